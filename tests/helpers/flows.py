"""The app's connect flow driven through Django's test client, and signals caught in a block."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.dispatch import Signal
from django.test import Client

PASSWORD = "correct horse battery staple"


def csrf_token(client: Client) -> str:
    """Load the confirmation page and return the CSRF token it set."""
    response = client.get("/coolsms/connect/")
    assert response.status_code == 200, response.status_code
    return str(client.cookies["csrftoken"].value)


def start_flow(client: Client, next_url: str = "/") -> dict[str, str]:
    """POST the connect form; return the authorize URL's query parameters."""
    token = csrf_token(client)
    response = client.post("/coolsms/connect/", {"next": next_url, "csrfmiddlewaretoken": token})
    assert response.status_code == 302, response.status_code
    query = parse_qs(urlsplit(response["Location"]).query, strict_parsing=True)
    return {key: values[0] for key, values in query.items()}


def callback(client: Client, **params: str) -> Any:
    """GET the callback with ``params``."""
    return client.get("/coolsms/callback/", params)


def connect_through_flow(client: Client, code: str = "code-1", next_url: str = "/") -> Any:
    """Run a whole connect flow against the fake CoolSMS; return the callback's response."""
    params = start_flow(client, next_url=next_url)
    return callback(client, code=code, state=params["state"])


@contextmanager
def captured(signal: Signal) -> Iterator[list[dict[str, Any]]]:
    """Collect the keyword arguments of every sending of ``signal`` inside the block."""
    received: list[dict[str, Any]] = []

    def handler(**kwargs: Any) -> None:
        received.append(kwargs)

    signal.connect(handler)
    try:
        yield received
    finally:
        signal.disconnect(handler)
