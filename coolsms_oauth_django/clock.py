"""The one clock of the app; tests move time by patching :func:`now` here."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    """Return the current aware datetime."""
    return timezone.now()


def timestamp() -> float:
    """Return the current time as a Unix timestamp."""
    return now().timestamp()
