"""The suite's fixtures: users, clients, connections, faked CoolSMSes, sandboxes, servers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import responses
from cryptography.fernet import Fernet
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.test import Client, override_settings

from coolsms_oauth_django import get_coolsms_session, http, signals
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.report_endpoint import report_path
from coolsms_oauth_django.sandbox import Sandbox
from coolsms_oauth_django.session import CoolSMSSession
from coolsms_oauth_django.testing import oauth_settings_for

from .helpers.accounts import (
    Recorder,
    connect,
    expire,
    keep_only_key,
    make_account,
    make_user,
    sandbox_settings,
)
from .helpers.celery_workers import celery_or_skip, forget_queue
from .helpers.coolsms import (
    ACCESS_TOKEN,
    GOOD_ACCESS,
    GOOD_REFRESH,
    PROFILE,
    PROFILE_URL,
    REALM,
    REFRESH_TOKEN,
    TOKEN_URL,
    token_body,
)
from .helpers.flows import PASSWORD
from .helpers.messaging import APP_ID, MESSAGING_SCOPES
from .helpers.middleware import MIDDLEWARE
from .helpers.page_inventory import (
    Pressable,
    admin_inventory,
    sandbox_inventory,
    template_inventory,
)
from .helpers.reliability import FAULT_TIMEOUT, SESSION_REDIS_URL, members, sandbox_at_debug
from .helpers.reports import ACCOUNT_ID, SECRET, WEBHOOK_SCOPES, Receiver
from .helpers.sandbox import FakeClock
from .helpers.servers import (
    DRIP_TIMEOUT,
    LocalServer,
    RecordingServer,
    drip_body,
    drip_head,
    reachable,
)
from .settings import COOLSMS_OAUTH

ROOT = Path(__file__).resolve().parent.parent
SERVERS = {"postgres": ("127.0.0.1", 5432), "mysql": ("127.0.0.1", 3306)}


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


# --- Users and clients -------------------------------------------------------------------


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
def logged_in_error_pages(logged_in: Client) -> Client:
    """The logged-in browser, receiving server errors as pages rather than exceptions."""
    logged_in.raise_request_exception = False
    return logged_in


@pytest.fixture
def middleware_site(settings: Any) -> None:
    """Serve ``tests.helpers.middleware_urls`` through a stack with ``CoolSMSMiddleware``."""
    settings.ROOT_URLCONF = "tests.helpers.middleware_urls"
    settings.MIDDLEWARE = MIDDLEWARE


# --- Connections with fake tokens --------------------------------------------------------


@pytest.fixture
def session() -> Iterator[CoolSMSSession]:
    """An open session over a connection with fake tokens, for tests that fake CoolSMS."""
    with CoolSMSSession(make_account(make_user())) as opened:
        yield opened


@pytest.fixture
def profiled_account(user: AbstractBaseUser) -> CoolSMSAccount:
    """A connection of ``user`` with its member's id and email, and tokens that look real."""
    return make_account(
        user,
        access=ACCESS_TOKEN,
        refresh=REFRESH_TOKEN,
        scopes="users:read cash:read",
        member_id="MEM0000000000001",
        email="gildong@example.com",
    )


@pytest.fixture
def good_account(user: AbstractBaseUser) -> CoolSMSAccount:
    """A connection of ``user`` holding ``GOOD_ACCESS`` and ``GOOD_REFRESH``."""
    return make_account(
        user,
        access=GOOD_ACCESS,
        refresh=GOOD_REFRESH,
        scopes="users:read",
        member_id=PROFILE["memberId"],
    )


@pytest.fixture
def expired_fake_account() -> CoolSMSAccount:
    """A new user's connection with fake tokens whose access token expired 10 s ago."""
    return make_account(make_user(), expires_in=-10)


@pytest.fixture
def unreadable_account(user: AbstractBaseUser, settings: Any) -> CoolSMSAccount:
    """Connect ``user``, then lose the key the tokens were written with."""
    account = make_account(user, access=ACCESS_TOKEN, refresh=REFRESH_TOKEN)
    keep_only_key(settings, Fernet.generate_key().decode())
    return account


@pytest.fixture
def refresh_recorder() -> Iterator[Recorder]:
    """Record the ``token_refreshed`` and ``refresh_failed`` signals sent during the test."""
    recorder = Recorder()
    signals.token_refreshed.connect(recorder.on_refreshed)
    signals.refresh_failed.connect(recorder.on_failed)
    yield recorder
    signals.token_refreshed.disconnect(recorder.on_refreshed)
    signals.refresh_failed.disconnect(recorder.on_failed)


# --- A faked CoolSMS ---------------------------------------------------------------------


@pytest.fixture
def coolsms() -> Iterator[responses.RequestsMock]:
    """Fake CoolSMS: the documented token response and member profile."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(TOKEN_URL, json=token_body())
        mock.get(PROFILE_URL, json=PROFILE)
        yield mock


@pytest.fixture
def coolsms_down() -> Iterator[responses.RequestsMock]:
    """Fake CoolSMS whose token endpoint answers 503."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(TOKEN_URL, json={"errorCode": "ServerError"}, status=503)
        yield mock


@pytest.fixture
def token_endpoint() -> Iterator[responses.RequestsMock]:
    """Fake CoolSMS whose token endpoint answers 500 until the test answers otherwise."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(TOKEN_URL, status=500)
        mock.get(PROFILE_URL, json=PROFILE)
        yield mock


@pytest.fixture
def token_endpoint_refuses() -> Iterator[responses.RequestsMock]:
    """A CoolSMS that refuses every code (the codes in these queries are made up)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(
            TOKEN_URL,
            status=403,
            json={"errorCode": "InvalidGrant", "errorMessage": "unknown code"},
        )
        mock.get(PROFILE_URL, json=PROFILE)
        yield mock


@pytest.fixture
def standard_server(settings: Any, coolsms: responses.RequestsMock) -> responses.RequestsMock:
    """Send users to an authorization server on another origin than ``BASE_URL``."""
    settings.COOLSMS_OAUTH = {
        **settings.COOLSMS_OAUTH,
        "AUTHORIZE_URL": REALM + "/protocol/openid-connect/auth",
        "TOKEN_URL": REALM + "/protocol/openid-connect/token",
    }
    coolsms.post(REALM + "/protocol/openid-connect/token", json=token_body())
    return coolsms


# --- Sandboxes ---------------------------------------------------------------------------


@pytest.fixture
def rotating_sandbox() -> Iterator[Sandbox]:
    """Yield a running auto-approving sandbox that rotates refresh tokens."""
    with Sandbox(auto_approve=True, rotate_refresh_tokens=True) as running:
        yield running


@pytest.fixture
def rotating_sandbox_settings(rotating_sandbox: Sandbox) -> Iterator[Sandbox]:
    """Point the app at ``rotating_sandbox`` for one test and return the sandbox."""
    with override_settings(COOLSMS_OAUTH=sandbox_settings(rotating_sandbox)):
        yield rotating_sandbox


@pytest.fixture
def sandbox_clock(coolsms_sandbox: Sandbox) -> FakeClock:
    """Give ``coolsms_sandbox`` a clock the test moves by hand (a ``FakeClock`` at now)."""
    moved = FakeClock(time.time())
    coolsms_sandbox.clock = moved
    return moved


@pytest.fixture
def manual_sandbox(settings: Any) -> Iterator[Sandbox]:
    """A sandbox that shows its login and consent pages, with the site pointed at it."""
    with Sandbox() as sandbox:
        settings.COOLSMS_OAUTH = oauth_settings_for(sandbox, settings.COOLSMS_OAUTH)
        yield sandbox


@pytest.fixture
def member_sandbox() -> Iterator[Sandbox]:
    """A sandbox with login and consent pages and one CoolSMS member per site user."""
    with Sandbox(users=members()) as running:
        coolsms = sandbox_settings(running, REDIRECT_URI=None)
        with override_settings(COOLSMS_OAUTH=coolsms):
            yield running


@pytest.fixture
def debug_sandbox(caplog: pytest.LogCaptureFixture) -> Iterator[Sandbox]:
    """An auto-approving sandbox with the app pointed at it and every log at DEBUG."""
    with sandbox_at_debug(caplog) as running:
        yield running


@pytest.fixture
def fault_debug_sandbox(caplog: pytest.LogCaptureFixture) -> Iterator[Sandbox]:
    """``debug_sandbox`` with the fault tests' short TIMEOUT and one retry."""
    with sandbox_at_debug(caplog, TIMEOUT=FAULT_TIMEOUT, REFRESH_RETRIES=1) as running:
        yield running


@pytest.fixture
def one_retry_debug_sandbox(caplog: pytest.LogCaptureFixture) -> Iterator[Sandbox]:
    """``debug_sandbox`` with one retry and a TIMEOUT of 2 s."""
    with sandbox_at_debug(caplog, REFRESH_RETRIES=1, TIMEOUT=2) as running:
        yield running


@pytest.fixture
def expired_sandbox_account(fault_debug_sandbox: Sandbox, user: AbstractBaseUser) -> CoolSMSAccount:
    """Connect ``user`` to ``fault_debug_sandbox``, then let the access token expire."""
    account = connect(user, fault_debug_sandbox)
    expire(account)
    return account


@pytest.fixture
def error_report_sandbox() -> Iterator[Sandbox]:
    """A rotating sandbox, the app pointed at it with the fault tests' short TIMEOUT and one
    retry, and the site at DEBUG, so an error shows Django's technical report."""
    with (
        Sandbox(auto_approve=True, rotate_refresh_tokens=True) as sandbox,
        override_settings(
            DEBUG=True,
            COOLSMS_OAUTH=sandbox_settings(sandbox, TIMEOUT=FAULT_TIMEOUT, REFRESH_RETRIES=1),
        ),
    ):
        yield sandbox


@pytest.fixture
def messaging_session(
    coolsms_sandbox: Sandbox, sandbox_clock: FakeClock
) -> Iterator[CoolSMSSession]:
    """An open session of a new user connected to ``coolsms_sandbox`` to send messages."""
    settings = sandbox_settings(coolsms_sandbox, SCOPES=MESSAGING_SCOPES, APP_ID=APP_ID)
    with override_settings(COOLSMS_OAUTH=settings):
        user = make_user()
        connect(user, coolsms_sandbox)
        with get_coolsms_session(user) as session:
            yield session


# --- Delivery reports --------------------------------------------------------------------


@pytest.fixture
def report_settings() -> Iterator[None]:
    """Give the site the report secret ``SECRET``, so it has report URLs."""
    with override_settings(COOLSMS_OAUTH={**COOLSMS_OAUTH, "REPORT_SECRETS": [SECRET]}):
        yield


@pytest.fixture
def report_account(user: AbstractBaseUser) -> CoolSMSAccount:
    """A connection of ``user`` (fake tokens) to the CoolSMS account ``ACCOUNT_ID``."""
    return make_account(user, account_id=ACCOUNT_ID)


@pytest.fixture
def report_url(db: None, report_settings: None, user: AbstractBaseUser) -> str:
    """The report URL of a connection of ``user``, under ``report_settings``."""
    return report_path(str(make_account(user).member_id))


@pytest.fixture
def report_sandbox_account(
    coolsms_sandbox: Sandbox, sandbox_clock: FakeClock, user: AbstractBaseUser
) -> Iterator[CoolSMSAccount]:
    """Connect ``user`` to ``coolsms_sandbox``, with reports confirmed there (REPORT_CONFIRM)."""
    settings = sandbox_settings(
        coolsms_sandbox,
        SCOPES=["users:read", "message:read", "message:write"],
        REPORT_SECRETS=[SECRET],
        REPORT_CONFIRM=True,
    )
    with override_settings(COOLSMS_OAUTH=settings):
        yield connect(user, coolsms_sandbox)


@pytest.fixture
def webhook_session(
    db: None, coolsms_sandbox: Sandbox, sandbox_clock: FakeClock, user: AbstractBaseUser
) -> Iterator[CoolSMSSession]:
    """An open session of ``user``, connected to ``coolsms_sandbox`` to register webhooks."""
    settings = sandbox_settings(coolsms_sandbox, SCOPES=WEBHOOK_SCOPES, REPORT_SECRETS=[SECRET])
    with override_settings(COOLSMS_OAUTH=settings):
        connect(user, coolsms_sandbox)
        with get_coolsms_session(user) as session:
            yield session


@pytest.fixture
def report_receiver() -> Iterator[Receiver]:
    """A running site on loopback that records the reports posted to it."""
    running = Receiver()
    running.thread.start()
    try:
        yield running
    finally:
        running.server.shutdown()
        running.server.server_close()


# --- Servers and processes ---------------------------------------------------------------


@pytest.fixture
def fresh_api_pool() -> Iterator[None]:
    """Start and end the test with a new shared API connection pool."""
    http.reset_api_adapter()
    yield
    http.reset_api_adapter()


@pytest.fixture
def recording_server(settings: Any) -> Iterator[RecordingServer]:
    """A running ``RecordingServer``, with the app's ``BASE_URL`` pointed at it."""
    server = RecordingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "BASE_URL": server.base_url}
    try:
        yield server
    finally:
        http.reset_api_adapter()
        server.shutdown()
        server.server_close()


@pytest.fixture(params=[drip_head, drip_body], ids=["head", "body"])
def drip(request: pytest.FixtureRequest, settings: Any) -> Iterator[LocalServer]:
    """A server that answers a byte at a time (the head too, or the body only), the app
    pointed at it with a TIMEOUT of ``DRIP_TIMEOUT`` and one retry."""
    server = LocalServer(request.param)
    settings.COOLSMS_OAUTH = {
        **settings.COOLSMS_OAUTH,
        "BASE_URL": server.base_url,
        "TIMEOUT": DRIP_TIMEOUT,
        "REFRESH_RETRIES": 1,
        "REFRESH_BACKOFF": 0.2,
    }
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def listening_socket() -> Iterator[socket.socket]:
    """A server socket on a free loopback port, as a demo already running would hold."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock


@pytest.fixture
def celery_env(settings: Any) -> Iterator[dict[str, str]]:
    """The environment of Celery workers on a queue of this test alone, on the test database.

    Skip, saying why, when Celery or its broker is missing, except under CI.
    """
    celery_or_skip()
    queue = f"coolsms-test-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "COOLSMS_CELERY_QUEUE": queue,
        "COOLSMS_CELERY_DATABASE": connection.settings_dict["NAME"],
    }
    try:
        yield env
    finally:
        forget_queue(queue)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A Redis key prefix of this test alone; its keys are deleted afterwards.

    Skip, saying why, when no Redis answers on 127.0.0.1:6379, except under CI.
    """
    import redis

    if not reachable("127.0.0.1", 6379) and os.environ.get("CI") != "true":
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")

    prefix = f"coolsms-reliability-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(SESSION_REDIS_URL)
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def exit_stack() -> Iterator[ExitStack]:
    """An ``ExitStack`` closed at the end of the test."""
    with ExitStack() as stack:
        yield stack


# --- The package and its pages -----------------------------------------------------------


@pytest.fixture(scope="module")
def inventory() -> list[Pressable]:
    """Every form, link and admin action the app, the example and the sandbox show."""
    return template_inventory() + admin_inventory() + sandbox_inventory()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's wheel, built from this checkout."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("coolsms_oauth_django-*.whl")
    return built
