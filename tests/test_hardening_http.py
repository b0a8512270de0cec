"""Hardening of the HTTP side: error reports, deadlines, bounded answers, the 401 rule,
the plain-HTTP loopback rule. Each test is named after its line in the README's security table.
"""

from __future__ import annotations

import html
import socket
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import responses

from coolsms_oauth_django import clock, endpoints, get_coolsms_session, oauth
from coolsms_oauth_django.conf import app_settings, collect_problems, oauth_config, raw_settings
from coolsms_oauth_django.exceptions import (
    CoolSMSAPIError,
    ReconnectRequired,
    TokenError,
    TokenRefreshError,
)
from coolsms_oauth_django.http import create_session
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.refresh import refresh_account, refresh_budget
from coolsms_oauth_django.sandbox import Sandbox
from coolsms_oauth_django.session import CoolSMSSession, fetch_profile

from .helpers.accounts import (
    REDIRECT_URI,
    connect,
    expire,
    make_account,
    make_user,
    stored_tokens,
)
from .helpers.coolsms import BALANCE_URL, PROFILE_URL, TOKEN_URL, token_body
from .helpers.reliability import FAULT_TIMEOUT, code_of, leaked, report_of
from .helpers.servers import DRIP_TIMEOUT, LocalServer

pytestmark = pytest.mark.django_db

OTHER_URL = "https://hooks.example.com/notify"


# --- H6: a 401 from another host is that host's answer ---------------------------------------


@responses.activate
def test_h06_a_401_from_another_host_is_neither_refreshed_nor_sent_again(
    session: CoolSMSSession,
) -> None:
    # The caller brings its own bearer token for the other service.
    responses.post(OTHER_URL, status=401)
    responses.post(TOKEN_URL, json=token_body("access-2", refresh_token=None, expires_in=3600))
    headers = {"Authorization": "Bearer token-of-the-other-service"}
    with session.post(OTHER_URL, json={"event": "sent"}, headers=headers) as answer:
        assert answer.status_code == 401
    assert [call.request.url for call in responses.calls] == [OTHER_URL]


@responses.activate
def test_h06_a_401_from_coolsms_still_refreshes_and_sends_once_more(
    session: CoolSMSSession,
) -> None:
    responses.get(BALANCE_URL, status=401)
    responses.get(BALANCE_URL, json={"balance": 3})
    responses.post(TOKEN_URL, json=token_body("access-2", refresh_token=None, expires_in=3600))
    assert session.get_balance() == {"balance": 3}
    assert [call.request.url for call in responses.calls] == [
        BALANCE_URL,
        TOKEN_URL,
        BALANCE_URL,
    ]


# --- H1: no secret in an error report ---------------------------------------------------------

#: A token answer the client must refuse (its ``token_type`` is not Bearer), holding tokens
#: that must not appear in the report either.
REFUSED_TOKENS = ("refused-access-token-7d3e91c0", "refused-refresh-token-52ab8f14")
H1_FAULTS: dict[str, dict[str, Any]] = {
    "network-error": {"drop": True},
    "timeout": {"delay": FAULT_TIMEOUT * 4},
    "5xx": {"status": 503, "body": {"errorCode": "Unavailable", "errorMessage": "down"}},
    "bad-body": {},  # per endpoint, below
}
BAD_BODIES: dict[str, Any] = {
    endpoints.TOKEN_PATH: token_body(*REFUSED_TOKENS, token_type="mac"),
    endpoints.MEMBER_PATH: '{"memberId": ',
    endpoints.BALANCE_PATH: "[" * 50,
}


@dataclass
class Case:
    """One failing operation; the secrets it handles are hidden from its repr."""

    sandbox: Sandbox
    secrets: list[str] = field(default_factory=list, repr=False)
    code: str = field(default="", repr=False)
    access_token: str = field(default="", repr=False)

    def fail(self, path: str, fault: str, count: int = 1) -> None:
        options = H1_FAULTS[fault] or {"status": 200, "body": BAD_BODIES[path]}
        self.sandbox.inject_fault(path, count=count, **options)

    def connected_user(self) -> Any:
        user = make_user()
        self.secrets += stored_tokens(connect(user, self.sandbox))  # type: ignore[arg-type]
        return user


def exchange(case: Case, fault: str) -> Callable[[], Any]:
    url = oauth.authorize_url(oauth_config(), redirect_uri=REDIRECT_URI, state="s" * 32)
    with requests.get(url, allow_redirects=False, timeout=5) as answer:
        case.code = code_of(answer.headers["Location"])
    case.secrets.append(case.code)
    case.fail(endpoints.TOKEN_PATH, fault)

    def call() -> Any:
        with create_session() as http:
            return oauth.exchange_code(
                oauth_config(), http, code=case.code, redirect_uri=REDIRECT_URI, now=clock.now()
            )

    return call


def profile(case: Case, fault: str) -> Callable[[], Any]:
    user = case.connected_user()
    case.access_token = CoolSMSAccount.objects.get(user=user).access_token
    case.fail(endpoints.MEMBER_PATH, fault)

    def call() -> Any:
        with create_session() as http:
            return fetch_profile(app_settings(), http, case.access_token)

    return call


def refresh(case: Case, fault: str) -> Callable[[], Any]:
    user = case.connected_user()
    expire(CoolSMSAccount.objects.get(user=user))
    case.fail(endpoints.TOKEN_PATH, fault, count=2)  # REFRESH_RETRIES=1: two attempts
    return lambda: get_coolsms_session(user).get_balance()


def api_call(case: Case, fault: str) -> Callable[[], Any]:
    user = case.connected_user()
    case.fail(endpoints.BALANCE_PATH, fault)
    return lambda: get_coolsms_session(user).get_balance()


def api_request(case: Case, fault: str) -> Callable[[], Any]:
    """``session.get()`` as ``requests`` has it: only network failures raise."""
    user = case.connected_user()
    case.fail(endpoints.BALANCE_PATH, fault)
    return lambda: get_coolsms_session(user).get(endpoints.BALANCE_PATH)


def revoked(case: Case, fault: str) -> Callable[[], Any]:
    """A refresh CoolSMS refuses (the grant was revoked), and the session asked for after it."""
    user = case.connected_user()
    expire(CoolSMSAccount.objects.get(user=user))
    case.sandbox.revoke()
    if fault == "refused":
        return lambda: get_coolsms_session(user).get_balance()
    with pytest.raises(ReconnectRequired):
        get_coolsms_session(user).get_balance()
    return lambda: get_coolsms_session(user)


OPERATIONS = {
    "exchange": exchange,
    "profile": profile,
    "refresh": refresh,
    "api-call": api_call,
    "api-request": api_request,
    "revoked": revoked,
}
#: ``session.get()`` returns error answers as ``requests`` does: only network failures raise.
H1_CASES = [
    *(
        (operation, fault)
        for operation in ("exchange", "profile", "refresh", "api-call")
        for fault in H1_FAULTS
    ),
    ("api-request", "network-error"),
    ("api-request", "timeout"),
    ("revoked", "refused"),
    ("revoked", "session-after"),
]


@pytest.mark.parametrize(("operation", "fault"), H1_CASES)
def test_h01_no_token_refresh_token_or_client_secret_in_a_debug_or_text_error_report(
    operation: str, fault: str, error_report_sandbox: Sandbox
) -> None:
    case = Case(error_report_sandbox, secrets=[error_report_sandbox.client_secret, *REFUSED_TOKENS])
    error, reports = report_of(OPERATIONS[operation](case, fault))
    assert len([secret for secret in case.secrets if secret]) >= 4
    # The reports are real: they show the error and the frames it came through.
    assert type(error).__name__ in reports[0] and type(error).__name__ in reports[1]
    assert "Local vars" in reports[0]
    escaped = [html.escape(secret) for secret in case.secrets if secret]
    assert leaked(case.secrets + escaped, reports) == []


@pytest.mark.parametrize("operation", ["exchange", "refresh", "api-call", "api-request"])
def test_h01_an_error_report_still_says_why_the_call_failed(
    operation: str, error_report_sandbox: Sandbox
) -> None:
    case = Case(error_report_sandbox, secrets=[error_report_sandbox.client_secret])
    call = OPERATIONS[operation](case, "5xx")
    error_report_sandbox.clear_faults()
    # Nothing listens on CoolSMS's port any more.
    error_report_sandbox.stop()
    error, reports = report_of(call)
    assert "Connection refused" in str(error)
    assert "Connection refused" in reports[1]


@responses.activate
@pytest.mark.parametrize(
    "token", ["eyJ.line\nbreak", "eyJ.carriage\rreturn", " eyJ.leading-space", "eyJ.t\u00e4b"]
)
def test_h01_a_token_that_cannot_travel_in_a_header_is_refused_before_any_message_shows_it(
    token: str,
) -> None:
    # Sent in a header, requests would refuse it with an error whose text is the header.
    responses.post(TOKEN_URL, json=token_body(token, refresh_token=None))
    error, reports = report_of(
        lambda: oauth.exchange_code(
            oauth_config(), create_session(), code="c", redirect_uri=REDIRECT_URI, now=clock.now()
        )
    )
    assert isinstance(error, TokenError) and "access_token" in str(error)
    assert leaked([token.strip(), repr(token)[1:-1]], [*reports, str(error)]) == []


@responses.activate
def test_h01_a_refresh_token_that_is_not_printable_ascii_is_refused() -> None:
    body = {"access_token": "eyJ.ok", "refresh_token": "ref\nresh", "token_type": "Bearer"}
    responses.post(TOKEN_URL, json=body)
    with create_session() as http, pytest.raises(TokenError, match="refresh_token"):
        oauth.refresh_tokens(oauth_config(), http, refresh_token="r", scopes=(), now=clock.now())


# --- H11: plain HTTP only to this machine; a missing refresh token named as such --------------


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.localhost:8000",
        "http://localhost.evil.example",
        "http://127.0.0.1.evil.example",
        "http://10.0.0.1",
        "http://[::2]",
    ],
)
def test_h11_plain_http_to_a_host_that_is_not_loopback_is_refused(settings: Any, url: str) -> None:
    settings.DEBUG = False
    for name in ("BASE_URL", "AUTHORIZE_URL", "TOKEN_URL"):
        raw = {**raw_settings(), name: url}
        assert [problem.id for problem in collect_problems(raw)] == ["coolsms_oauth.E004"], name


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000",
        "http://LOCALHOST",
        "http://127.0.0.1:9",
        "http://127.8.9.10",
        "http://[::1]:8080",
    ],
)
def test_h11_plain_http_to_a_loopback_host_is_accepted(settings: Any, url: str) -> None:
    settings.DEBUG = False
    assert collect_problems({**raw_settings(), "BASE_URL": url}) == []


@responses.activate
def test_h11_a_refresh_without_a_refresh_token_says_none_was_issued() -> None:
    user = make_user()
    account = make_account(user, refresh=None)
    expire(account)
    with pytest.raises(ReconnectRequired) as info:
        get_coolsms_session(user).get_balance()
    message = str(info.value)
    assert "no refresh token" in message and "no longer accepts" not in message
    account.refresh_from_db()
    assert account.status == CoolSMSAccount.NEEDS_RECONNECT
    assert "no refresh token" in account.last_error
    assert len(responses.calls) == 0  # nothing to send to the token endpoint


# --- H2: TIMEOUT is a deadline for the whole call ---------------------------------------------

#: What a deadline may overrun by on a machine shared with other test runs.
MARGIN = 1.0


def timed(call: Callable[[], Any]) -> tuple[BaseException, float]:
    started = time.monotonic()
    try:
        call()
    except Exception as err:
        return err, time.monotonic() - started
    raise AssertionError("the call did not fail")


def test_h02_a_code_exchange_ends_at_the_deadline_with_a_timeout_error(drip: LocalServer) -> None:
    def exchange() -> Any:
        with create_session() as http:
            return oauth.exchange_code(
                oauth_config(), http, code="code-1", redirect_uri=REDIRECT_URI, now=clock.now()
            )

    error, elapsed = timed(exchange)
    assert isinstance(error, TokenRefreshError), error
    assert f"did not answer within {DRIP_TIMEOUT:g} s" in str(error)
    assert elapsed < DRIP_TIMEOUT + MARGIN, elapsed


def test_h02_a_profile_read_ends_at_the_deadline(drip: LocalServer) -> None:
    def profile() -> Any:
        with create_session() as http:
            return fetch_profile(app_settings(), http, "access-1")

    error, elapsed = timed(profile)
    assert isinstance(error, CoolSMSAPIError) and error.error_code == "Timeout", error
    assert elapsed < DRIP_TIMEOUT + MARGIN, elapsed


def test_h02_an_api_call_ends_at_the_deadline(drip: LocalServer) -> None:
    session = CoolSMSSession(make_account(make_user()))
    error, elapsed = timed(session.get_balance)
    assert isinstance(error, CoolSMSAPIError), error
    assert (error.status, error.error_code) == (0, "Timeout")
    assert f"did not answer within {DRIP_TIMEOUT:g} s" in str(error)
    assert elapsed < DRIP_TIMEOUT + MARGIN, elapsed


def test_h02_a_raw_request_ends_at_the_deadline(drip: LocalServer) -> None:
    session = CoolSMSSession(make_account(make_user()))

    def get() -> Any:
        with session.get(endpoints.BALANCE_PATH) as answer:
            return answer.content

    error, elapsed = timed(get)
    assert isinstance(error, requests.RequestException), error
    assert elapsed < DRIP_TIMEOUT + MARGIN, elapsed


def test_h02_a_refresh_with_retries_ends_within_its_budget(drip: LocalServer) -> None:
    account = make_account(make_user())
    expire(account)
    error, elapsed = timed(lambda: refresh_account(account.pk, force=True))
    assert isinstance(error, TokenRefreshError), error
    assert drip.requests == 2  # REFRESH_RETRIES=1
    assert "did not answer within" in str(error)
    budget = refresh_budget(app_settings())
    assert budget == pytest.approx(2 * DRIP_TIMEOUT + 0.2)
    assert elapsed < budget + MARGIN, elapsed


# --- H3: bounded answers, safe parsing ----------------------------------------------------------

#: What the answering server sends when nobody stops reading: far past the limit below.
HUGE = 64 * 1024 * 1024
LIMIT = 256 * 1024


def huge_answer(declare_length: bool) -> Callable[[socket.socket, LocalServer], None]:
    """Answer 200 with a JSON array of ``HUGE`` bytes, with or without Content-Length."""

    def answer(connection: socket.socket, server: LocalServer) -> None:
        length = b"Content-Length: %d\r\n" % HUGE if declare_length else b""
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + length)
        connection.sendall(b"Connection: close\r\n\r\n[")
        piece = b"0," * 32768
        server.sent = 1
        while server.sent + len(piece) < HUGE - 1 and not server.stopped.is_set():
            connection.sendall(piece)
            server.sent += len(piece)
        connection.sendall(b"0" * (HUGE - 1 - server.sent - 1) + b"]")

    return answer


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "unannounced"])
def test_h03_an_api_answer_past_max_response_size_is_refused_and_not_read(
    settings: Any, declare_length: bool
) -> None:
    server = LocalServer(huge_answer(declare_length))
    settings.COOLSMS_OAUTH = {
        **settings.COOLSMS_OAUTH,
        "BASE_URL": server.base_url,
        "MAX_RESPONSE_SIZE": LIMIT,
        "TIMEOUT": 30,
    }
    session = CoolSMSSession(make_account(make_user()))
    tracemalloc.start()
    try:
        with pytest.raises(CoolSMSAPIError) as info:
            session.get_balance()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        server.stop()
    assert (info.value.status, info.value.error_code) == (200, "ResponseTooLarge")
    assert str(LIMIT) in str(info.value)
    # What was read stayed near the limit: the 64 MB answer was neither read nor kept.
    assert peak < 4 * LIMIT, peak


def test_h03_an_answer_within_max_response_size_is_read_whole(settings: Any) -> None:
    body = b'{"balance": 1, "pad": "' + b"x" * (LIMIT - 100) + b'"}'

    def answer(connection: socket.socket, server: LocalServer) -> None:
        connection.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body
        )

    server = LocalServer(answer)
    settings.COOLSMS_OAUTH = {
        **settings.COOLSMS_OAUTH,
        "BASE_URL": server.base_url,
        "MAX_RESPONSE_SIZE": LIMIT,
    }
    try:
        assert CoolSMSSession(make_account(make_user())).get_balance()["balance"] == 1
    finally:
        server.stop()


@responses.activate
@pytest.mark.parametrize("status", [200, 400])
def test_h03_deeply_nested_json_is_an_api_error_not_a_recursion_error(
    session: CoolSMSSession, status: int
) -> None:
    responses.get(BALANCE_URL, status=status, body="[" * 50000)
    with pytest.raises(CoolSMSAPIError) as info:
        session.get_balance()
    assert info.value.status == status
    assert info.value.error_code == ("InvalidResponse" if status == 200 else "HTTP400")


@responses.activate
def test_h03_a_deeply_nested_profile_is_an_api_error() -> None:
    responses.get(PROFILE_URL, body="{" + '"a":[' * 50000)
    with create_session() as http, pytest.raises(CoolSMSAPIError) as info:
        fetch_profile(app_settings(), http, "access-1")
    assert info.value.error_code == "InvalidResponse"


@pytest.mark.parametrize("value", [0, -1, "10", 1.5, True, None])
def test_h03_max_response_size_must_be_a_positive_whole_number(settings: Any, value: Any) -> None:
    raw = {**raw_settings(), "MAX_RESPONSE_SIZE": value}
    problems = collect_problems(raw)
    assert [problem.id for problem in problems] == ["coolsms_oauth.E013"]
    assert problems[0].hint
