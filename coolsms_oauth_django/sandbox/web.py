"""The small request and response types the sandbox's endpoints speak."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import SandboxError, json_object, validation_error

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
FORM_TYPE = "application/x-www-form-urlencoded"


def parse_params(text: str) -> dict[str, str]:
    """Parse a query string or form body; a repeated parameter is a ``ValidationError``."""
    params: dict[str, str] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key in params:
            raise validation_error(f"parameter {key} must not be repeated")
        params[key] = value
    return params


def required_param(params: dict[str, str], name: str) -> str:
    """Return the parameter ``name``; a missing or empty one is a ``ValidationError``."""
    value = params.get(name, "")
    if not value:
        raise validation_error(f"{name} is required")
    return value


def append_query(uri: str, params: dict[str, str]) -> str:
    """Return ``uri`` with ``params`` added to its query string."""
    parts = urlsplit(uri)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


@dataclass
class Request:
    """An HTTP request as the endpoints see it."""

    method: str
    path: str
    query_string: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """Return a header's value, matching its name case-insensitively."""
        return self.headers.get(name.lower())

    @property
    def content_type(self) -> str:
        """Return the media type, lowercased and without parameters."""
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def query(self) -> dict[str, str]:
        """Return the query parameters."""
        return parse_params(self.query_string)

    def form(self) -> dict[str, str]:
        """Return the parameters of a form body."""
        if self.content_type != FORM_TYPE:
            raise validation_error(f"Content-Type must be {FORM_TYPE}")
        return parse_params(self.body.decode("utf-8", errors="replace"))

    def json(self) -> Any:
        """Return the parsed JSON body, or raise a ``ValidationError``."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except ValueError as err:
            raise validation_error("body must be valid JSON") from err

    def json_object(self) -> dict[str, Any]:
        """Return the JSON body, which may be empty, as an object."""
        if not self.body.strip():
            return {}
        return json_object(self.json())

    def cookie(self, name: str) -> str | None:
        """Return the value of cookie ``name``, if the request carries it."""
        jar: SimpleCookie = SimpleCookie()
        # SimpleCookie skips what it cannot parse instead of raising.
        jar.load(self.header("cookie") or "")
        morsel = jar.get(name)
        return morsel.value if morsel is not None else None


@dataclass
class Response:
    """An HTTP response the server writes back."""

    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(data: Any, status: int = 200) -> Response:
    """Return a JSON response that no cache keeps."""
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(status, body, JSON_TYPE, [("Cache-Control", "no-store")])


def error_response(error: SandboxError) -> Response:
    """Return CoolSMS's JSON error body for ``error``, with the headers the error carries."""
    response = json_response(error.as_body(), error.status)
    response.headers.extend(error.headers)
    return response


def html_response(page: str, status: int = 200) -> Response:
    """Return an HTML page that may not be framed or cached."""
    headers = [("Cache-Control", "no-store"), ("X-Frame-Options", "DENY")]
    return Response(status, page.encode("utf-8"), HTML_TYPE, headers)


def redirect(location: str, status: int = 302) -> Response:
    """Return a redirect to ``location``."""
    return Response(
        status, b"", "text/plain", [("Location", location), ("Cache-Control", "no-store")]
    )


def method_not_allowed(*allowed: str) -> SandboxError:
    """Return the 405 for a known path requested with a method other than ``allowed``.

    Its ``Allow`` header lists the methods (RFC 9110 §15.5.6), ``HEAD`` wherever ``GET`` is.
    """
    methods = [*allowed, "HEAD"] if "GET" in allowed else list(allowed)
    return SandboxError(
        405,
        "MethodNotAllowed",
        f"use {' or '.join(allowed)} for this path",
        [("Allow", ", ".join(methods))],
    )
