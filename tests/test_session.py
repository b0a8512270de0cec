"""``CoolSMSSession`` and ``get_coolsms_session``: checklist items 23 and 26, issue 4 items 1-7."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
import requests
import responses
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings

import coolsms_oauth_django
from coolsms_oauth_django import clock, endpoints, http
from coolsms_oauth_django.exceptions import (
    CoolSMSAPIError,
    NotConnected,
    ReconnectRequired,
)
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.sandbox import Sandbox
from coolsms_oauth_django.session import CoolSMSSession, get_coolsms_session

from .helpers.accounts import (
    connect,
    expire,
    make_account,
    make_user,
    sandbox_settings,
    stored_tokens,
)
from .helpers.coolsms import BALANCE_URL, BASE_URL, PROFILE_URL, TOKEN_URL, token_body

pytestmark = pytest.mark.django_db

SEND_URL = BASE_URL + endpoints.SEND_MESSAGE_PATH


# --- get_coolsms_session -----------------------------------------------------------------


def test_the_package_exports_get_coolsms_session() -> None:
    assert coolsms_oauth_django.get_coolsms_session is get_coolsms_session
    assert coolsms_oauth_django.CoolSMSSession is CoolSMSSession


def test_get_coolsms_session_works_without_a_request() -> None:
    user = make_user()
    account = make_account(user)
    with get_coolsms_session(user) as opened:
        assert isinstance(opened, requests.Session)
        assert opened.account_pk == account.pk


@pytest.mark.parametrize("user", [None, AnonymousUser()])
def test_get_coolsms_session_refuses_anonymous_users(user: Any) -> None:
    with pytest.raises(NotConnected):
        get_coolsms_session(user)


def test_get_coolsms_session_without_a_connection_is_not_connected() -> None:
    with pytest.raises(NotConnected):
        get_coolsms_session(make_user())


def test_get_coolsms_session_on_a_lost_connection_requires_reconnect() -> None:
    user = make_user()
    make_account(user, status=CoolSMSAccount.NEEDS_RECONNECT)
    with pytest.raises(ReconnectRequired):
        get_coolsms_session(user)


@responses.activate
def test_get_coolsms_session_costs_one_query_for_itself_and_its_first_requests(
    django_assert_num_queries: Any,
) -> None:
    user = make_user()
    make_account(user)
    responses.get(BALANCE_URL, json={"balance": 1})
    with django_assert_num_queries(1):
        opened = get_coolsms_session(user)
    with opened, django_assert_num_queries(0):
        opened.get_balance()
        opened.get_balance()
    assert responses.calls[1].request.headers["Authorization"] == "Bearer access-1"
    # It keeps the access token it sends, never the refresh token, and shows neither.
    assert "access-1" not in repr(opened)
    assert "refresh-1" not in repr(vars(opened))


@responses.activate
def test_a_kept_token_is_read_again_once_it_is_due() -> None:
    user = make_user()
    account = make_account(user, expires_in=3600)
    responses.get(BALANCE_URL, json={"balance": 1})
    opened = get_coolsms_session(user)
    CoolSMSAccount.objects.filter(pk=account.pk).update(access_token="access-2")
    later = clock.now() + timedelta(seconds=3600 - 30)  # inside REFRESH_LEEWAY of its expiry
    with opened, mock.patch("coolsms_oauth_django.clock.now", return_value=later):
        responses.post(TOKEN_URL, json=token_body("access-3", refresh_token=None))
        opened.get_balance()
    assert responses.calls[-1].request.headers["Authorization"] == "Bearer access-3"


# --- 1. URLs, the bearer header, timeout, User-Agent --------------------------------------


@responses.activate
def test_relative_urls_resolve_against_base_url(session: CoolSMSSession) -> None:
    responses.get(BALANCE_URL, json={"balance": 1})
    with session.get("/cash/v1/balance") as answer:
        assert answer.json() == {"balance": 1}
    with session.get("cash/v1/balance"):
        pass
    assert [call.request.url for call in responses.calls] == [BALANCE_URL, BALANCE_URL]


@responses.activate
def test_base_url_with_a_path_prefix_keeps_it(settings: Any) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "BASE_URL": BASE_URL + "/proxy/"}
    responses.get(BASE_URL + "/proxy/cash/v1/balance", json={})
    with CoolSMSSession(make_account(make_user())) as opened, opened.get("/cash/v1/balance"):
        pass


@responses.activate
def test_sc23_the_token_travels_only_in_the_authorization_header(
    session: CoolSMSSession,
) -> None:
    responses.post(SEND_URL, json={"messageId": "M1"})
    session.send_message(to="01000000000", from_="029302266", text="hello")
    sent = responses.calls[0].request
    assert sent.headers["Authorization"] == "Bearer access-1"
    assert "access-1" not in sent.url
    assert b"access-1" not in (sent.body or b"")
    others = {name: value for name, value in sent.headers.items() if name != "Authorization"}
    assert "access-1" not in json.dumps(others)


@responses.activate
def test_sc23_the_token_is_not_sent_to_another_host(session: CoolSMSSession) -> None:
    responses.get("https://example.com/collect", body="ok")
    with session.get("https://example.com/collect"):
        pass
    assert "Authorization" not in responses.calls[0].request.headers


@responses.activate
def test_requests_carry_the_default_timeout_and_user_agent(settings: Any) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "TIMEOUT": 4.5}
    responses.get(BALANCE_URL, json={})
    with CoolSMSSession(make_account(make_user())) as opened:
        with opened.get("/cash/v1/balance"):
            pass
        with opened.get("/cash/v1/balance", timeout=1):
            pass
    assert responses.calls[0].request.req_kwargs["timeout"] == 4.5
    assert responses.calls[1].request.req_kwargs["timeout"] == 1
    assert responses.calls[0].request.headers["User-Agent"] == http.USER_AGENT
    assert f"coolsms-oauth-django/{coolsms_oauth_django.__version__}" == http.USER_AGENT


def test_the_session_keeps_no_token_in_memory_or_repr(session: CoolSMSSession) -> None:
    text = repr(session) + repr(session.auth) + repr(vars(session))
    assert "access-1" not in text and "refresh-1" not in text
    assert str(session.account_pk) in repr(session)


def test_bytes_urls_are_accepted(session: CoolSMSSession) -> None:
    with responses.RequestsMock() as mock:
        mock.get(BALANCE_URL, json={})
        with session.get(b"/cash/v1/balance"):  # type: ignore[arg-type]
            pass


# --- 2. refresh before a request and after a 401 -----------------------------------------


@responses.activate
def test_sc26_a_token_expiring_within_the_leeway_is_refreshed_before_the_request() -> None:
    account = make_account(make_user(), expires_in=45)
    responses.post(TOKEN_URL, json=token_body("access-2", refresh_token=None, expires_in=3600))
    responses.get(BALANCE_URL, json={"balance": 5})
    with CoolSMSSession(account) as opened:
        assert opened.get_balance() == {"balance": 5}
    assert [call.request.url for call in responses.calls] == [TOKEN_URL, BALANCE_URL]
    assert responses.calls[1].request.headers["Authorization"] == "Bearer access-2"


@responses.activate
def test_sc26_a_token_outside_the_leeway_is_used_as_it_is() -> None:
    account = make_account(make_user(), expires_in=90)
    responses.get(BALANCE_URL, json={})
    with CoolSMSSession(account) as opened:
        opened.get_balance()
    assert len(responses.calls) == 1


@responses.activate
def test_sc26_the_leeway_is_a_setting(settings: Any) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "REFRESH_LEEWAY": 300}
    account = make_account(make_user(), expires_in=90)
    responses.post(TOKEN_URL, json=token_body("access-2", refresh_token=None, expires_in=3600))
    responses.get(BALANCE_URL, json={})
    with CoolSMSSession(account) as opened:
        opened.get_balance()
    assert responses.calls[0].request.url == TOKEN_URL


def test_sc26_expiry_from_the_jwt_schedules_the_refresh() -> None:
    # The sandbox sends no expires_in; its JWT says the token lives 30 s, inside the leeway.
    with Sandbox(auto_approve=True, access_token_ttl=30) as short_lived:
        settings = sandbox_settings(short_lived)
        with override_settings(COOLSMS_OAUTH=settings):
            user = make_user()
            connect(user, short_lived)
            with get_coolsms_session(user) as opened:
                opened.get_balance()
        assert short_lived.token_calls()["refresh_token"] == 1


@responses.activate
def test_a_401_refreshes_once_and_retries_once(session: CoolSMSSession) -> None:
    responses.get(BALANCE_URL, status=401, json={"errorCode": "Unauthorized"})
    responses.get(BALANCE_URL, json={"balance": 7})
    responses.post(TOKEN_URL, json=token_body("access-2", refresh_token=None, expires_in=3600))
    assert session.get_balance() == {"balance": 7}
    urls = [call.request.url for call in responses.calls]
    assert urls == [BALANCE_URL, TOKEN_URL, BALANCE_URL]
    assert responses.calls[2].request.headers["Authorization"] == "Bearer access-2"


@responses.activate
def test_a_second_401_is_returned_without_another_refresh(session: CoolSMSSession) -> None:
    responses.get(BALANCE_URL, status=401, json={"errorCode": "Unauthorized", "errorMessage": "x"})
    responses.post(TOKEN_URL, json=token_body("access-2", refresh_token=None, expires_in=3600))
    with session.get("/cash/v1/balance") as answer:
        assert answer.status_code == 401
    with pytest.raises(CoolSMSAPIError) as info:
        session.get_balance()
    assert info.value.status == 401
    token_calls = [c for c in responses.calls if c.request.url == TOKEN_URL]
    assert len(token_calls) == 2  # one per request, never a loop


@responses.activate
def test_a_401_for_a_request_sent_without_a_token_is_not_retried(
    session: CoolSMSSession,
) -> None:
    responses.get("https://example.com/x", status=401)
    with session.get("https://example.com/x") as answer:
        assert answer.status_code == 401
    assert len(responses.calls) == 1


@responses.activate
def test_a_streamed_body_is_not_sent_twice(session: CoolSMSSession) -> None:
    responses.post(SEND_URL, status=401)
    with session.post("/messages/v4/send", data=iter([b"a", b"b"])) as answer:
        assert answer.status_code == 401
    assert len(responses.calls) == 1


def test_a_401_on_the_sandbox_refreshes_and_retries(rotating_sandbox_settings: Sandbox) -> None:
    user = make_user()
    account = connect(user, rotating_sandbox_settings)
    before = stored_tokens(account)
    rotating_sandbox_settings.expire_access_tokens()
    with get_coolsms_session(user) as opened:
        balance = opened.get_balance()
    assert balance["accountId"] == rotating_sandbox_settings.default_user.account_id
    assert rotating_sandbox_settings.token_calls()["refresh_token"] == 1
    assert stored_tokens(account) != before


def test_an_expired_token_on_the_sandbox_is_refreshed_first(
    rotating_sandbox_settings: Sandbox,
) -> None:
    user = make_user()
    account = connect(user, rotating_sandbox_settings)
    expire(account)
    with get_coolsms_session(user) as opened:
        opened.get_profile()
        opened.get_profile()
    assert rotating_sandbox_settings.token_calls()["refresh_token"] == 1


def test_a_revoked_grant_surfaces_as_reconnect_required(rotating_sandbox_settings: Sandbox) -> None:
    user = make_user()
    connect(user, rotating_sandbox_settings)
    rotating_sandbox_settings.revoke()
    with get_coolsms_session(user) as opened, pytest.raises(ReconnectRequired):
        opened.get_balance()
    with pytest.raises(ReconnectRequired):
        get_coolsms_session(user)


# --- 6. API errors -----------------------------------------------------------------------


ERROR_ANSWERS = [
    (
        {"status": 402, "json": {"errorCode": "NotEnoughBalance", "errorMessage": "no cash"}},
        (402, "NotEnoughBalance", "no cash"),
    ),
    (
        {"status": 400, "json": {"error": "invalid_request", "error_description": "bad"}},
        (400, "invalid_request", "bad"),
    ),
    (
        {"status": 502, "body": "<html>Bad gateway</html>", "content_type": "text/html"},
        (502, "HTTP502", "Bad Gateway"),
    ),
    ({"status": 403, "body": ""}, (403, "HTTP403", "Forbidden")),
]


@pytest.mark.parametrize(("answer", "expected"), ERROR_ANSWERS)
@responses.activate
def test_api_errors_become_coolsms_api_error(
    answer: dict[str, Any], expected: tuple[int, str, str], session: CoolSMSSession
) -> None:
    responses.get(BALANCE_URL, **answer)
    with pytest.raises(CoolSMSAPIError) as info:
        session.get_balance()
    assert (info.value.status, info.value.error_code, info.value.error_message) == expected


@responses.activate
def test_a_non_json_success_is_an_api_error(session: CoolSMSSession) -> None:
    responses.get(BALANCE_URL, body="<html>maintenance</html>", content_type="text/html")
    with pytest.raises(CoolSMSAPIError) as info:
        session.get_balance()
    assert info.value.error_code == "InvalidResponse"


@responses.activate
def test_a_json_answer_that_is_not_an_object_is_an_api_error(session: CoolSMSSession) -> None:
    responses.get(PROFILE_URL, json=[1, 2])
    with pytest.raises(CoolSMSAPIError):
        session.get_profile()


@responses.activate
def test_network_errors_become_api_errors_with_status_zero(session: CoolSMSSession) -> None:
    responses.get(BALANCE_URL, body=requests.ConnectionError("refused"))
    with pytest.raises(CoolSMSAPIError) as info:
        session.get_balance()
    assert (info.value.status, info.value.error_code) == (0, "ConnectionError")


@responses.activate
def test_call_returns_decoded_json(session: CoolSMSSession) -> None:
    responses.get(BASE_URL + "/senderid/v1/numbers", json=[{"phoneNumber": "029302266"}])
    assert session.call("GET", "/senderid/v1/numbers") == [{"phoneNumber": "029302266"}]


def test_sandbox_scope_errors_are_api_errors(rotating_sandbox: Sandbox) -> None:
    with override_settings(COOLSMS_OAUTH=sandbox_settings(rotating_sandbox, SCOPES=["users:read"])):
        user = make_user()
        connect(user, rotating_sandbox)
        with get_coolsms_session(user) as opened, pytest.raises(CoolSMSAPIError) as info:
            opened.get_balance()
    assert info.value.status in (401, 403)
    assert info.value.error_code == "Unauthorized"


# --- 7. helpers --------------------------------------------------------------------------


def test_helpers_against_the_sandbox(rotating_sandbox_settings: Sandbox) -> None:
    user = make_user()
    connect(user, rotating_sandbox_settings)
    member = rotating_sandbox_settings.default_user
    with get_coolsms_session(user) as opened:
        profile = opened.get_profile()
        balance = opened.get_balance()
        sent = opened.send_message(to="01000000000", from_="029302266", text="안녕하세요")
    assert profile["memberId"] == member.member_id
    assert "balance" in balance and "point" in balance
    assert sent["statusCode"] == "2000"
    [message] = rotating_sandbox_settings.messages()
    assert message["text"] == "안녕하세요"
    assert message["app_id"] in (None, "")


def test_send_message_adds_the_app_id_when_set(rotating_sandbox: Sandbox) -> None:
    with override_settings(COOLSMS_OAUTH=sandbox_settings(rotating_sandbox, APP_ID="APP123")):
        user = make_user()
        connect(user, rotating_sandbox)
        with get_coolsms_session(user) as opened:
            opened.send_message(to="01000000000", from_="029302266", text="hi", type="SMS")
    [message] = rotating_sandbox.messages()
    assert message["app_id"] == "APP123"
    assert message["type"] == "SMS"


@responses.activate
def test_send_message_body_without_app_id(session: CoolSMSSession) -> None:
    responses.post(SEND_URL, json={"messageId": "M1"})
    session.send_message(to="01000000000", from_="029302266", text="hi", country="82")
    body = json.loads(responses.calls[0].request.body or b"{}")
    assert body == {
        "message": {"to": "01000000000", "from": "029302266", "text": "hi", "country": "82"}
    }


@responses.activate
def test_get_profile_uses_the_profile_path_setting(settings: Any) -> None:
    settings.COOLSMS_OAUTH = {
        **settings.COOLSMS_OAUTH,
        "PROFILE_PATH": endpoints.USERPROFILE_PATH,
    }
    responses.get(BASE_URL + endpoints.USERPROFILE_PATH, json={"memberId": "M1"})
    with CoolSMSSession(make_account(make_user())) as opened:
        assert opened.get_profile() == {"memberId": "M1"}


def test_a_connection_deleted_while_the_session_lives_is_not_connected(
    session: CoolSMSSession,
) -> None:
    CoolSMSAccount.objects.filter(pk=session.account_pk).delete()
    with pytest.raises(NotConnected):
        session.get_balance()


@responses.activate
def test_an_upload_is_not_sent_twice(session: CoolSMSSession) -> None:
    responses.post(BASE_URL + "/storage/v1/files", status=401)
    with session.post("/storage/v1/files", files={"file": ("a.txt", b"x")}) as answer:
        assert answer.status_code == 401
    assert len(responses.calls) == 1


@responses.activate
def test_a_kept_token_refused_after_another_worker_refreshed_takes_the_saved_one() -> None:
    user = make_user()
    account = make_account(user)
    opened = get_coolsms_session(user)  # keeps access-1
    # Another worker refreshed meanwhile and saved access-2; CoolSMS refuses access-1 now.
    CoolSMSAccount.objects.filter(pk=account.pk).update(access_token="access-2")

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        if request.headers["Authorization"] == "Bearer access-2":
            return 200, {}, json.dumps({"balance": 5})
        return 401, {}, json.dumps({"errorCode": "Unauthorized", "errorMessage": "expired"})

    responses.add_callback(responses.GET, BALANCE_URL, callback=answer)
    token_endpoint = responses.post(
        TOKEN_URL, json=token_body("access-3", refresh_token=None, expires_in=3600)
    )
    with opened:
        assert opened.get_balance() == {"balance": 5}
        assert opened.get_balance() == {"balance": 5}
    assert token_endpoint.call_count == 0
    sent = [call.request.headers["Authorization"] for call in responses.calls]
    assert sent == ["Bearer access-1", "Bearer access-2", "Bearer access-2"]
