"""The error the sandbox answers with, in CoolSMS's ``{"errorCode", "errorMessage"}`` shape."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class SandboxError(Exception):
    """A request the sandbox refuses; becomes a JSON error response."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(f"{error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        #: Headers the error response carries besides the JSON body (``Allow`` on a 405).
        self.headers = list(headers or [])

    def as_body(self) -> dict[str, str]:
        """Return the JSON body CoolSMS sends for this error."""
        return {"errorCode": self.error_code, "errorMessage": self.message}


def validation_error(message: str) -> SandboxError:
    """Return a ``ValidationError`` (400)."""
    return SandboxError(400, "ValidationError", message)


def json_object(payload: Any) -> dict[str, Any]:
    """Return ``payload`` if it is a JSON object; else raise a ``ValidationError``."""
    if not isinstance(payload, dict):
        raise validation_error("body must be a JSON object")
    return payload


def one_of(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``; else raise a ``ValidationError``."""
    allowed = tuple(choices)
    if value not in allowed:
        raise validation_error(f"{name} must be one of {', '.join(allowed)}")
    return str(value)


def invalid_grant(message: str) -> SandboxError:
    """Return an ``InvalidGrant`` (403)."""
    return SandboxError(403, "InvalidGrant", message)


#: The error code of an API call refused for its access token.
UNAUTHORIZED = "Unauthorized"


def unauthorized(message: str, status: int = 401) -> SandboxError:
    """Return an ``Unauthorized`` error (401, or 403 for a missing scope)."""
    return SandboxError(status, UNAUTHORIZED, message)
