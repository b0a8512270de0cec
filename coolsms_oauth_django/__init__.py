"""Connect Django users' CoolSMS accounts through OAuth2 and call CoolSMS on their behalf.

``get_coolsms_session`` is imported lazily, so that importing the package (as the Django-free
sandbox provider does) loads nothing from Django.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["CoolSMSSession", "__version__", "get_coolsms_session"]

if TYPE_CHECKING:
    from .session import CoolSMSSession, get_coolsms_session


def __getattr__(name: str) -> Any:
    if name in ("get_coolsms_session", "CoolSMSSession"):
        from . import session

        return getattr(session, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
