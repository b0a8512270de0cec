"""Every error this app raises derives from :class:`CoolSMSOAuthError`; import them from here.

Each error also inherits the type that Django callers already catch: configuration mistakes
are :class:`~django.core.exceptions.ImproperlyConfigured`, a tampered callback is a
:class:`~django.core.exceptions.SuspiciousOperation` (Django answers 400 and logs it to
``django.security``). Messages never carry a token, a code or the client secret.

The base class and the token endpoint's errors are defined in :mod:`.errors`, which needs no
Django (the protocol layer raises them), with the way errors leave this app detached.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation

from .errors import (
    CoolSMSOAuthError,
    InvalidGrant,
    TokenError,
    TokenRefreshError,
    detach_errors,
    detached,
    exception_chain,
    failure_reason,
)

__all__ = [
    "AccountAlreadyLinked",
    "CallbackError",
    "ConfigurationError",
    "CoolSMSAPIError",
    "CoolSMSOAuthError",
    "DecryptionError",
    "InvalidGrant",
    "MemberNotIdentified",
    "MessagesRejected",
    "NotConnected",
    "ReconnectRequired",
    "StateMismatch",
    "TokenError",
    "TokenRefreshError",
    "detach_errors",
    "detached",
    "exception_chain",
    "failure_reason",
]


class ConfigurationError(CoolSMSOAuthError, ImproperlyConfigured):
    """The ``COOLSMS_OAUTH`` setting is missing something or holds a bad value."""


class CallbackError(CoolSMSOAuthError, SuspiciousOperation):
    """The OAuth callback request was malformed or did not match a flow of this session."""


class StateMismatch(CallbackError):
    """The ``state`` parameter is missing, unknown, expired, or belongs to someone else."""


class AccountAlreadyLinked(CoolSMSOAuthError):
    """The CoolSMS account is already connected to another user of this site."""


class MemberNotIdentified(CoolSMSOAuthError):
    """The profile read after the code exchange names no CoolSMS member; nothing is stored."""


class NotConnected(CoolSMSOAuthError):
    """The user has not connected a CoolSMS account."""


class ReconnectRequired(CoolSMSOAuthError):
    """The user's CoolSMS connection no longer works; they must connect again."""


class DecryptionError(ReconnectRequired):
    """A stored token cannot be decrypted with any configured key.

    For the user the connection no longer works until they connect again (which replaces
    the tokens) or the key comes back, so it is also a :class:`ReconnectRequired`.
    """


class CoolSMSAPIError(CoolSMSOAuthError):
    """A CoolSMS API call answered with an error."""

    def __init__(self, status: int, error_code: str, error_message: str) -> None:
        super().__init__(f"CoolSMS API error {status} {error_code}: {error_message}")
        self.status = status
        self.error_code = error_code
        self.error_message = error_message


class MessagesRejected(CoolSMSAPIError):
    """CoolSMS answered a send but registered none of its messages.

    ``failed`` holds CoolSMS's ``failedMessageList`` entries (``to``, ``statusCode``,
    ``statusMessage``, ...); ``answers`` holds the answers it came in.
    """

    def __init__(self, failed: list[dict[str, Any]], answers: list[dict[str, Any]]) -> None:
        codes = sorted({str(entry.get("statusCode", "")) for entry in failed})
        super().__init__(
            200,
            "MessagesRejected",
            f"CoolSMS refused all {len(failed)} messages (status {', '.join(codes)}).",
        )
        self.failed = failed
        self.answers = answers
