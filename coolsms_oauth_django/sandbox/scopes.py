"""The scopes a CoolSMS app may request, with the descriptions the consent page shows."""

from __future__ import annotations

from .. import endpoints

#: Every documented app scope, in CoolSMS's order, with what it lets an app do.
APP_SCOPES = endpoints.SCOPE_MEANINGS


def parse_scopes(raw: str) -> list[str]:
    """Split a space-separated scope string, dropping repeats but keeping the order."""
    seen: dict[str, None] = {}
    for scope in raw.split():
        seen.setdefault(scope, None)
    return list(seen)


def unknown_scopes(scopes: list[str]) -> list[str]:
    """Return the scopes that are not documented app scopes."""
    return [scope for scope in scopes if scope not in APP_SCOPES]
