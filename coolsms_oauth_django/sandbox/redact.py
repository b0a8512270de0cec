"""Records of the requests the sandbox saw, with every secret replaced by ``***``."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

MASK = "***"

#: Parameters whose values are secrets, wherever they appear.
SECRET_FIELDS = frozenset(
    {
        "client_secret",
        "code",
        "code_verifier",
        "access_token",
        "refresh_token",
        "password",
        "nonce",
    }
)

#: Headers whose values are credentials.
SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


def redact_value(value: Any) -> Any:
    """Return a copy of parsed JSON with the values of secret fields masked."""
    if isinstance(value, dict):
        return {
            key: MASK if key in SECRET_FIELDS else redact_value(item) for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    return value


def redact_query(query: str) -> dict[str, str]:
    """Parse a query string into a dict with secret parameters masked."""
    return {
        key: MASK if key in SECRET_FIELDS else value
        for key, value in parse_qsl(query, keep_blank_values=True)
    }


def redact_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Return the headers as a dict with credentials masked."""
    return {name: MASK if name.lower() in SECRET_HEADERS else value for name, value in headers}


def redact_body(body: bytes, content_type: str) -> Any:
    """Return the body as redacted data; a body that cannot be parsed is not shown at all."""
    if not body:
        return None
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/x-www-form-urlencoded"):
            return redact_query(text)
        return redact_value(json.loads(text))
    except ValueError:
        return f"<{len(body)} bytes not shown>"
