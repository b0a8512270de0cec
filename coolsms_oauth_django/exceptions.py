"""Every error this app raises derives from :class:`CoolSMSOAuthError`.

Each error also inherits the type that Django callers already catch: configuration mistakes
are :class:`~django.core.exceptions.ImproperlyConfigured`, a tampered callback is a
:class:`~django.core.exceptions.SuspiciousOperation` (Django answers 400 and logs it to
``django.security``). Messages never carry a token, a code or the client secret.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation


class CoolSMSOAuthError(Exception):
    """Base class of every error raised by coolsms_oauth_django."""


class ConfigurationError(CoolSMSOAuthError, ImproperlyConfigured):
    """The ``COOLSMS_OAUTH`` setting is missing something or holds a bad value."""


class DecryptionError(CoolSMSOAuthError):
    """A stored token cannot be decrypted with any configured key."""


class CallbackError(CoolSMSOAuthError, SuspiciousOperation):
    """The OAuth callback request was malformed or did not match a flow of this session."""


class StateMismatch(CallbackError):
    """The ``state`` parameter is missing, unknown, expired, or belongs to someone else."""


class AccountAlreadyLinked(CoolSMSOAuthError):
    """The CoolSMS account is already connected to another user of this site."""


class MemberNotIdentified(CoolSMSOAuthError):
    """The profile read after the code exchange names no CoolSMS member; nothing is stored."""


class TokenError(CoolSMSOAuthError):
    """The token endpoint refused a request or answered with something unusable."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str = "",
        description: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.description = description


class InvalidGrant(TokenError):
    """The code or refresh token is no longer valid; the user must connect again."""


class TokenRefreshError(TokenError):
    """Refreshing failed for a passing reason (5xx, timeout, network); try again later."""

    retryable = True


class NotConnected(CoolSMSOAuthError):
    """The user has not connected a CoolSMS account."""


class ReconnectRequired(CoolSMSOAuthError):
    """The user's CoolSMS connection no longer works; they must connect again."""


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
