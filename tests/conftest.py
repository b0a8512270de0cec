"""Shared fixtures: users, a CSRF-enforcing client, a faked CoolSMS, and flow helpers."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import responses
from django.contrib.auth.models import AbstractBaseUser
from django.dispatch import Signal
from django.test import Client

from coolsms_oauth_django import endpoints

if TYPE_CHECKING:
    from coolsms_oauth_django.sandbox import Sandbox

BASE_URL = endpoints.DEFAULT_BASE_URL
TOKEN_URL = BASE_URL + endpoints.TOKEN_PATH
PROFILE_URL = BASE_URL + endpoints.MEMBER_PATH
PASSWORD = "correct horse battery staple"

PROFILE = {
    "memberId": "MEM0000000000001",
    "name": "홍길동",
    "email": "gildong@example.com",
    "phoneNumber": "01012345678",
    "status": "ACTIVE",
    "selectedAccountId": "ACC0000000000001",
    "dateCreated": "2024-01-01T00:00:00.000Z",
    "dateUpdated": "2024-01-01T00:00:00.000Z",
}


SERVERS = {"postgres": ("127.0.0.1", 5432), "mysql": ("127.0.0.1", 3306)}


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip database-server tests that cannot run here, saying why; never skip under CI.

    A test marked ``postgres`` and/or ``mysql`` runs when ``COOLSMS_TEST_DATABASE`` selects one
    of its servers (``make test`` runs each server's pass).
    """
    selected = os.environ.get("COOLSMS_TEST_DATABASE", "sqlite")
    answered: dict[str, bool] = {}
    for item in items:
        wanted = [marker for marker in SERVERS if marker in item.keywords]
        if not wanted:
            continue
        if selected not in wanted:
            reason = f"needs COOLSMS_TEST_DATABASE={' or '.join(wanted)} (make test runs it)"
        else:
            if selected not in answered:
                answered[selected] = reachable(*SERVERS[selected])
            if answered[selected] or os.environ.get("CI") == "true":
                continue
            host, port = SERVERS[selected]
            reason = f"{selected} is not reachable at {host}:{port}"
        item.add_marker(pytest.mark.skip(reason=reason))


def make_jwt(**claims: Any) -> str:
    """Return an HS256 JWT such as CoolSMS issues (signed with a key the client never knows)."""
    payload = {
        "exp": int(time.time()) + 86400,
        "scope": "users:read cash:read message:write",
        "memberId": PROFILE["memberId"],
        **claims,
    }
    return jwt.encode(payload, "provider-signing-key-unknown-to-clients", algorithm="HS256")


ACCESS_TOKEN = make_jwt()
REFRESH_TOKEN = "refresh-token-value-4f1c9a7e2b"


def token_body(**overrides: Any) -> dict[str, Any]:
    """Return the documented token response, with overrides (``None`` removes a key)."""
    body: dict[str, Any] = {
        "access_token": ACCESS_TOKEN,
        "refresh_token": REFRESH_TOKEN,
        "token_type": "Bearer",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """Yield a running auto-approving sandbox that rotates refresh tokens."""
    from coolsms_oauth_django.sandbox import Sandbox

    with Sandbox(auto_approve=True, rotate_refresh_tokens=True) as running:
        yield running


@pytest.fixture
def sandbox_configured(sandbox: Sandbox) -> Iterator[Sandbox]:
    """Point the app at ``sandbox`` for one test."""
    from django.test import override_settings

    from .conftest_session import sandbox_settings

    with override_settings(COOLSMS_OAUTH=sandbox_settings(sandbox)):
        yield sandbox


@pytest.fixture
def user(django_user_model: Any) -> AbstractBaseUser:
    return django_user_model.objects.create_user(  # type: ignore[no-any-return]
        username="alice", password=PASSWORD
    )


@pytest.fixture
def other_user(django_user_model: Any) -> AbstractBaseUser:
    return django_user_model.objects.create_user(  # type: ignore[no-any-return]
        username="mallory", password=PASSWORD
    )


@pytest.fixture
def browser(db: None) -> Client:
    """A test client that enforces CSRF checks, as a real browser session would meet them."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def logged_in(browser: Client, user: AbstractBaseUser) -> Client:
    browser.force_login(user)
    return browser


@pytest.fixture
def coolsms() -> Iterator[responses.RequestsMock]:
    """Fake CoolSMS: the documented token response and member profile."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(TOKEN_URL, json=token_body())
        mock.get(PROFILE_URL, json=PROFILE)
        yield mock


def calls_to(mock: responses.RequestsMock, url: str) -> list[Any]:
    """Return the calls the fake CoolSMS received for ``url``."""
    return [call for call in mock.calls if call.request.url.split("?")[0] == url]


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
