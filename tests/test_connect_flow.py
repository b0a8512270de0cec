"""The connect → CoolSMS → callback flow, against a faked CoolSMS (SECURITY-CHECKLIST 1–17)."""

from __future__ import annotations

import base64
import json
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, override_settings

from coolsms_oauth_django import oauth, pending_flows, signals
from coolsms_oauth_django.models import CoolSMSAccount

from .helpers.coolsms import PROFILE, TOKEN_URL, calls_to, token_body
from .helpers.flows import (
    PASSWORD,
    callback,
    captured,
    connect_through_flow,
    csrf_token,
    start_flow,
)

pytestmark = pytest.mark.django_db

CALLBACK = "https://testserver/coolsms/callback/"


def token_request_body(mock_: responses.RequestsMock) -> dict[str, Any]:
    body = calls_to(mock_, TOKEN_URL)[-1].request.body
    return dict(json.loads(body))


# --- Connect -----------------------------------------------------------------------------


def test_authorize_url_has_exactly_the_documented_parameters(logged_in: Client) -> None:
    params = start_flow(logged_in)
    assert set(params) == {"client_id", "response_type", "scope", "redirect_uri", "state"}
    assert params["client_id"] == "test-client-id"
    assert params["response_type"] == "code"
    assert params["scope"] == "users:read cash:read message:write"
    assert params["redirect_uri"] == CALLBACK


def test_authorize_url_points_at_the_configured_authorize_url(logged_in: Client) -> None:
    token = csrf_token(logged_in)
    response = logged_in.post("/coolsms/connect/", {"csrfmiddlewaretoken": token})
    assert response["Location"].startswith("https://api.coolsms.co.kr/oauth2/v1/authorize?")


def test_authorize_url_may_be_any_absolute_url(logged_in: Client, settings: Any) -> None:
    settings.COOLSMS_OAUTH = {
        **settings.COOLSMS_OAUTH,
        "AUTHORIZE_URL": "https://auth.example.com/authorize?tenant=1",
    }
    token = csrf_token(logged_in)
    location = logged_in.post("/coolsms/connect/", {"csrfmiddlewaretoken": token})["Location"]
    assert location.startswith("https://auth.example.com/authorize?tenant=1&client_id=")


def test_sc09_connect_get_shows_a_confirmation_page_and_starts_nothing(logged_in: Client) -> None:
    response = logged_in.get("/coolsms/connect/")
    assert response.status_code == 200
    assert b'method="post"' in response.content
    assert pending_flows.pending_count(logged_in.session) == 0


def test_confirmation_page_says_when_the_connection_needs_reconnecting(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    connect_through_flow(logged_in)
    assert "already connected" in logged_in.get("/coolsms/connect/").content.decode()
    CoolSMSAccount.objects.update(status=CoolSMSAccount.NEEDS_RECONNECT)
    page = logged_in.get("/coolsms/connect/").content.decode()
    assert "no longer works" in page
    assert "already connected" not in page


def test_sc09_connect_post_without_csrf_token_is_refused(logged_in: Client) -> None:
    response = logged_in.post("/coolsms/connect/", {"next": "/"})
    assert response.status_code == 403
    assert pending_flows.pending_count(logged_in.session) == 0


def test_sc09_connect_requires_a_logged_in_user(browser: Client) -> None:
    assert browser.post("/coolsms/connect/").status_code == 403  # no CSRF token
    response = Client().post("/coolsms/connect/")  # CSRF passes; still no user
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert pending_flows.pending_count(browser.session) == 0


# --- State -------------------------------------------------------------------------------


def begin(session: SessionStore) -> pending_flows.PendingFlow:
    """Begin a connect flow for user 1 with the usual limits; return its record."""
    return pending_flows.begin(
        session,
        user_pk=1,
        next_url="/",
        redirect_uri=CALLBACK,
        code_verifier=None,
        ttl=600,
        limit=5,
    )


def test_sc01_state_has_at_least_128_bits_and_never_repeats() -> None:
    session = SessionStore()
    states = {begin(session).state for _ in range(1000)}
    assert len(states) == 1000
    # token_urlsafe(32): 43 characters of base64url, 6 bits each.
    assert min(len(value) for value in states) * 6 >= 128
    with mock.patch("coolsms_oauth_django.pending_flows.secrets.token_urlsafe") as token_urlsafe:
        token_urlsafe.return_value = "x" * 43
        begin(session)
    token_urlsafe.assert_called_once_with(32)


def test_sc02_callback_in_another_session_is_refused(
    logged_in: Client, user: AbstractBaseUser, coolsms: responses.RequestsMock
) -> None:
    params = start_flow(logged_in)
    attacker = Client()
    attacker.force_login(user)  # even the same user, but another session
    response = callback(attacker, code="code-1", state=params["state"])
    assert response.status_code == 400
    assert calls_to(coolsms, TOKEN_URL) == []
    assert not CoolSMSAccount.objects.exists()


def test_sc02_callback_after_logout_and_login_as_another_user_is_refused(
    logged_in: Client, other_user: AbstractBaseUser, coolsms: responses.RequestsMock
) -> None:
    params = start_flow(logged_in)
    # Keep the session but switch the user, as a shared computer might.
    session = logged_in.session
    session["_auth_user_id"] = str(other_user.pk)
    session["_auth_user_hash"] = other_user.get_session_auth_hash()
    session.save()
    response = callback(logged_in, code="code-1", state=params["state"])
    assert response.status_code == 400
    assert calls_to(coolsms, TOKEN_URL) == []
    assert not CoolSMSAccount.objects.exists()


def test_sc02_state_records_the_user_who_started_the_flow(
    logged_in: Client, user: AbstractBaseUser
) -> None:
    start_flow(logged_in)
    [record] = logged_in.session[pending_flows.SESSION_KEY]
    assert record["user_pk"] == str(user.pk)


@pytest.mark.parametrize("value", [None, "", "unknown-state-value", "None"])
def test_sc03_missing_empty_or_unknown_state_is_refused(
    logged_in: Client, coolsms: responses.RequestsMock, value: str | None
) -> None:
    start_flow(logged_in)
    params = {"code": "code-1"}
    if value is not None:
        params["state"] = value
    response = callback(logged_in, **params)
    assert response.status_code == 400
    assert calls_to(coolsms, TOKEN_URL) == []


def test_sc03_none_never_equals_none(logged_in: Client, coolsms: responses.RequestsMock) -> None:
    # A session with no flow and a callback with no state: two "nothings" must not match.
    response = callback(logged_in, code="code-1")
    assert response.status_code == 400
    session = SessionStore()
    session[pending_flows.SESSION_KEY] = [{"state": None}]
    with pytest.raises(pending_flows.StateMismatch):
        pending_flows.consume(session, None, ttl=600)


def test_sc04_state_is_compared_in_constant_time(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    params = start_flow(logged_in)
    with mock.patch(
        "coolsms_oauth_django.pending_flows.constant_time_compare",
        wraps=pending_flows.constant_time_compare,
    ) as compare:
        response = callback(logged_in, code="code-1", state=params["state"])
    assert response.status_code == 302
    compare.assert_called_with(params["state"], params["state"])


def test_sc05_state_is_single_use(logged_in: Client, coolsms: responses.RequestsMock) -> None:
    params = start_flow(logged_in)
    first = callback(logged_in, code="code-1", state=params["state"])
    replay = callback(logged_in, code="code-1", state=params["state"])
    assert first.status_code == 302
    assert replay.status_code == 400
    assert len(calls_to(coolsms, TOKEN_URL)) == 1


def test_sc05_state_is_consumed_on_error_paths_too(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    params = start_flow(logged_in)
    coolsms.replace(responses.POST, TOKEN_URL, status=403, json={"errorCode": "InvalidGrant"})
    callback(logged_in, code="code-1", state=params["state"])
    assert pending_flows.pending_count(logged_in.session) == 0
    coolsms.replace(responses.POST, TOKEN_URL, json=token_body())
    assert callback(logged_in, code="code-1", state=params["state"]).status_code == 400
    assert len(calls_to(coolsms, TOKEN_URL)) == 1


def test_sc06_state_expires(
    logged_in: Client, coolsms: responses.RequestsMock, settings: Any
) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "STATE_TTL": 60}
    params = start_flow(logged_in)
    real = pending_flows.clock.timestamp()
    with mock.patch("coolsms_oauth_django.clock.timestamp", return_value=real + 61):
        response = callback(logged_in, code="code-1", state=params["state"])
    assert response.status_code == 400
    assert calls_to(coolsms, TOKEN_URL) == []


def test_sc07_two_flows_at_once_both_work(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    first = start_flow(logged_in, next_url="/first/")
    second = start_flow(logged_in, next_url="/second/")
    assert first["state"] != second["state"]
    assert callback(logged_in, code="c2", state=second["state"])["Location"] == "/second/"
    assert callback(logged_in, code="c1", state=first["state"])["Location"] == "/first/"


def test_sc07_stored_states_are_capped(logged_in: Client, settings: Any) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "MAX_PENDING_STATES": 3}
    states = [start_flow(logged_in)["state"] for _ in range(5)]
    stored = [record["state"] for record in logged_in.session[pending_flows.SESSION_KEY]]
    assert stored == states[-3:]


def test_sc08_next_lives_in_the_session_not_in_the_state(logged_in: Client) -> None:
    params = start_flow(logged_in, next_url="/secret-next-page/")
    value = params["state"]
    decoded = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    assert b"secret-next-page" not in decoded
    assert "secret-next-page" not in value
    [record] = logged_in.session[pending_flows.SESSION_KEY]
    assert record["next_url"] == "/secret-next-page/"


def test_sc10_samesite_strict_callback_recovers_the_session_cookie(
    logged_in: Client, coolsms: responses.RequestsMock, settings: Any
) -> None:
    settings.SESSION_COOKIE_SAMESITE = "Strict"
    params = start_flow(logged_in)
    # The cross-site redirect from CoolSMS arrives without the Strict cookie.
    cookieless = Client()
    hop = callback(cookieless, code="code-1", state=params["state"])
    assert hop.status_code == 200
    assert b'http-equiv="refresh"' in hop.content
    assert calls_to(coolsms, TOKEN_URL) == []
    # The page's same-site navigation carries the cookie, and the flow completes.
    resumed = callback(logged_in, code="code-1", state=params["state"], coolsms_resumed="1")
    assert resumed.status_code == 302
    assert CoolSMSAccount.objects.count() == 1


def test_sc10_samesite_strict_without_cookie_after_the_hop_fails_with_a_clear_message(
    logged_in: Client, settings: Any
) -> None:
    settings.SESSION_COOKIE_SAMESITE = "Strict"
    params = start_flow(logged_in)
    response = callback(Client(), code="c", state=params["state"], coolsms_resumed="1")
    assert response.status_code == 400
    assert b"SESSION_COOKIE_SAMESITE" in response.content


# --- PKCE, redirect URI, next ------------------------------------------------------------


def test_sc11_pkce_sends_s256_challenge_and_the_verifier(
    logged_in: Client, coolsms: responses.RequestsMock, settings: Any
) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "USE_PKCE": True}
    first = start_flow(logged_in)
    second = start_flow(logged_in)
    assert first["code_challenge_method"] == "S256"
    assert first["code_challenge"] != second["code_challenge"]
    verifiers = {
        r["state"]: r["code_verifier"] for r in logged_in.session[pending_flows.SESSION_KEY]
    }
    verifier = verifiers[first["state"]]
    assert 43 <= len(verifier) <= 128
    assert oauth.code_challenge(verifier) == first["code_challenge"]
    callback(logged_in, code="code-1", state=first["state"])
    assert token_request_body(coolsms)["code_verifier"] == verifier


def test_sc11_no_pkce_parameters_unless_enabled(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    params = start_flow(logged_in)
    assert "code_challenge" not in params
    callback(logged_in, code="code-1", state=params["state"])
    assert "code_verifier" not in token_request_body(coolsms)


def test_sc12_redirect_uri_is_identical_in_both_requests(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    params = start_flow(logged_in)
    callback(logged_in, code="code-1", state=params["state"])
    assert token_request_body(coolsms)["redirect_uri"] == params["redirect_uri"]


def test_sc12_forged_forwarded_host_cannot_change_the_redirect_uri(
    logged_in: Client, coolsms: responses.RequestsMock, settings: Any
) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "REDIRECT_URI": None}
    token = csrf_token(logged_in)
    response = logged_in.post(
        "/coolsms/connect/", {"csrfmiddlewaretoken": token}, HTTP_X_FORWARDED_HOST="evil.com"
    )
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["redirect_uri"] == ["http://testserver/coolsms/callback/"]
    # The callback, reached through another Host, still sends the stored redirect_uri.
    callback(logged_in, code="code-1", state=query["state"][0])
    assert token_request_body(coolsms)["redirect_uri"] == "http://testserver/coolsms/callback/"


def test_sc12_forged_host_header_is_refused(logged_in: Client, settings: Any) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "REDIRECT_URI": None}
    token = csrf_token(logged_in)
    response = logged_in.post(
        "/coolsms/connect/", {"csrfmiddlewaretoken": token}, HTTP_HOST="evil.com"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.com",
        "///evil.com",
        "/\\evil.com",
        "https:///evil.com",
        "http:evil.com",
        "javascript:alert(1)",
        "/ok\n/evil",
        "https://evil.com/",
    ],
)
def test_sc13_unsafe_next_falls_back_to_the_default_page(
    logged_in: Client, coolsms: responses.RequestsMock, next_url: str
) -> None:
    params = start_flow(logged_in, next_url=next_url)
    response = callback(logged_in, code="code-1", state=params["state"])
    assert response["Location"] == "/"


def test_sc13_safe_next_is_followed(logged_in: Client, coolsms: responses.RequestsMock) -> None:
    params = start_flow(logged_in, next_url="/dashboard/?tab=sms")
    response = callback(logged_in, code="code-1", state=params["state"])
    assert response["Location"] == "/dashboard/?tab=sms"


# --- Callback input ----------------------------------------------------------------------


def test_sc14_access_denied_consumes_state_calls_nothing_and_stores_nothing(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    params = start_flow(logged_in, next_url="/back/")
    response = callback(
        logged_in,
        error="access_denied",
        error_description="<script>alert(1)</script>",
        state=params["state"],
    )
    assert response.status_code == 302
    assert response["Location"] == "/back/"
    assert len(coolsms.calls) == 0
    assert not CoolSMSAccount.objects.exists()
    assert pending_flows.pending_count(logged_in.session) == 0
    page = logged_in.get("/coolsms/connect/")
    assert "declined" in page.content.decode()
    assert b"<script>alert(1)</script>" not in page.content


def test_sc14_coolsms_error_code_is_handled_like_a_denial(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    params = start_flow(logged_in)
    response = callback(
        logged_in, errorCode="InvalidScope", errorMessage="<b>bad</b>", state=params["state"]
    )
    assert response.status_code == 302
    assert len(coolsms.calls) == 0
    assert not CoolSMSAccount.objects.exists()


@override_settings(
    INSTALLED_APPS=[
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "coolsms_oauth_django",
    ],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
)
def test_sc14_without_the_messages_framework_a_page_explains_the_denial(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    params = start_flow(logged_in)
    response = callback(
        logged_in,
        error="access_denied",
        error_description="<script>alert(1)</script>",
        state=params["state"],
    )
    assert response.status_code == 400
    assert "declined" in response.content.decode()
    assert b"<script>" not in response.content


def test_sc15_callback_without_code_is_refused(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    params = start_flow(logged_in)
    response = callback(logged_in, state=params["state"])
    assert response.status_code == 400
    assert len(coolsms.calls) == 0


def test_sc15_tokens_in_the_callback_url_are_ignored(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    params = start_flow(logged_in)
    callback(
        logged_in,
        code="code-1",
        state=params["state"],
        access_token="injected-access",
        refresh_token="injected-refresh",
    )
    account = CoolSMSAccount.objects.get()
    assert account.access_token != "injected-access"
    assert account.refresh_token != "injected-refresh"


def test_sc15_iss_must_equal_the_configured_issuer(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    params = start_flow(logged_in)
    response = callback(logged_in, code="code-1", state=params["state"], iss="https://evil.example")
    assert response.status_code == 400
    assert calls_to(coolsms, TOKEN_URL) == []
    params = start_flow(logged_in)
    response = callback(
        logged_in, code="code-1", state=params["state"], iss="https://api.coolsms.co.kr"
    )
    assert response.status_code == 302
    assert CoolSMSAccount.objects.count() == 1


@pytest.mark.parametrize(
    "value", ["s" * 10_000, "상태값", "abc\x00def", "\udcff".encode("utf-8", "surrogatepass")]
)
def test_sc16_hostile_state_values_get_a_400_page(
    logged_in: Client, coolsms: responses.RequestsMock, value: Any
) -> None:
    start_flow(logged_in)
    if isinstance(value, bytes):
        response = logged_in.get("/coolsms/callback/?state=%ED%B3%BF&code=c")
    else:
        response = callback(logged_in, code="code-1", state=value)
    assert response.status_code == 400
    assert b"<html" in response.content
    assert len(coolsms.calls) == 0


def test_sc17_callback_redirects_at_once_with_no_referrer_and_no_store(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    params = start_flow(logged_in)
    response = callback(logged_in, code="code-1", state=params["state"])
    assert response.status_code == 302
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    refused = callback(logged_in, code="code-1", state="nope")
    assert "no-store" in refused["Cache-Control"]


def test_sc17_a_page_the_callback_renders_sends_referrers_only_to_this_site(
    logged_in: Client,
) -> None:
    # Not "no-referrer": with it a browser sends "Origin: null" with the page's own forms
    # (the example's language switcher), and Django's CSRF check refuses them.
    refused = callback(logged_in, code="code-1", state="nope")
    assert refused.status_code == 400
    assert refused["Referrer-Policy"] == "same-origin"
    assert b'name="referrer"' not in refused.content


# --- Completing the flow -----------------------------------------------------------------


def test_callback_stores_the_connection_and_fires_account_connected(
    logged_in: Client, user: AbstractBaseUser, coolsms: responses.RequestsMock
) -> None:
    with captured(signals.account_connected) as received:
        response = connect_through_flow(logged_in, next_url="/after/")
    assert response["Location"] == "/after/"
    account = CoolSMSAccount.objects.get(user=user)
    assert account.member_id == PROFILE["memberId"]
    assert account.name == PROFILE["name"]
    assert account.phone_number == PROFILE["phoneNumber"]
    assert account.account_id == PROFILE["selectedAccountId"]
    assert account.scope_list == ["users:read", "cash:read", "message:write"]
    assert account.is_active
    assert account.last_error == ""
    assert len(received) == 1
    assert received[0]["account"] == account
    assert received[0]["user"] == user
    assert received[0]["created"] is True
    body = token_request_body(coolsms)
    assert body == {
        "grant_type": "authorization_code",
        "code": "code-1",
        "redirect_uri": CALLBACK,
        "client_id": "test-client-id",
        "client_secret": "test-client-secret-value",
    }


def test_connecting_again_updates_the_one_connection(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    for code in ("code-1", "code-2"):
        params = start_flow(logged_in)
        callback(logged_in, code=code, state=params["state"])
    assert CoolSMSAccount.objects.count() == 1


def test_token_endpoint_failure_stores_nothing_and_tells_the_user(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    coolsms.replace(responses.POST, TOKEN_URL, status=502, body="<html>Bad gateway</html>")
    params = start_flow(logged_in, next_url="/back/")
    response = callback(logged_in, code="code-1", state=params["state"])
    assert response["Location"] == "/back/"
    assert not CoolSMSAccount.objects.exists()
    assert "did not complete" in logged_in.get("/coolsms/connect/").content.decode()


def test_sc24_a_coolsms_account_linked_to_another_user_is_refused(
    logged_in: Client,
    other_user: AbstractBaseUser,
    user: AbstractBaseUser,
    coolsms: responses.RequestsMock,
) -> None:
    other = Client()
    other.force_login(other_user)
    params = start_flow(other)
    callback(other, code="code-1", state=params["state"])
    params = start_flow(logged_in)
    response = callback(logged_in, code="code-2", state=params["state"])
    assert response.status_code == 302
    assert list(CoolSMSAccount.objects.values_list("user_id", flat=True)) == [other_user.pk]
    assert "already connected" in logged_in.get("/coolsms/connect/").content.decode()


def test_sc24_tokens_are_bound_to_the_user_who_started_the_flow(
    logged_in: Client, user: AbstractBaseUser, coolsms: responses.RequestsMock
) -> None:
    connect_through_flow(logged_in)
    assert CoolSMSAccount.objects.get().user_id == user.pk


# --- Disconnect --------------------------------------------------------------------------


def test_only_a_post_disconnects_a_get_goes_to_the_button(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    connect_through_flow(logged_in)
    # A GET (the way back from the login page after a Disconnect in an ended session) goes
    # to the page with the button, not to a blank 405, and disconnects nothing.
    response = logged_in.get("/coolsms/disconnect/")
    assert (response.status_code, response["Location"]) == (302, "/")
    assert logged_in.get("/coolsms/disconnect/?next=/bye/")["Location"] == "/bye/"
    assert logged_in.get("/coolsms/disconnect/?next=https://evil.test/")["Location"] == "/"
    assert CoolSMSAccount.objects.count() == 1


def test_disconnect_deletes_the_tokens_and_fires_account_disconnected(
    logged_in: Client, user: AbstractBaseUser, coolsms: responses.RequestsMock
) -> None:
    connect_through_flow(logged_in)
    with captured(signals.account_disconnected) as received:
        token = logged_in.cookies["csrftoken"].value
        response = logged_in.post(
            "/coolsms/disconnect/", {"csrfmiddlewaretoken": token, "next": "/bye/"}
        )
    assert response["Location"] == "/bye/"
    assert not CoolSMSAccount.objects.exists()
    assert received[0]["user"] == user
    assert received[0]["member_id"] == PROFILE["memberId"]


def test_disconnect_needs_the_csrf_token(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    connect_through_flow(logged_in)
    assert logged_in.post("/coolsms/disconnect/").status_code == 403
    assert CoolSMSAccount.objects.count() == 1


def test_login_with_password_then_connect(
    browser: Client, user: AbstractBaseUser, coolsms: responses.RequestsMock
) -> None:
    assert browser.login(username="alice", password=PASSWORD)
    params = start_flow(browser)
    assert callback(browser, code="code-1", state=params["state"]).status_code == 302


def test_h09_the_repr_of_a_pending_flow_shows_no_state_or_verifier(logged_in: Client) -> None:
    flow = pending_flows.begin(
        logged_in.session,
        user_pk=1,
        next_url="/next/",
        redirect_uri=CALLBACK,
        code_verifier=oauth.new_code_verifier(),
        ttl=600,
        limit=5,
    )
    shown = repr(flow)
    assert flow.state not in shown
    assert flow.code_verifier is not None and flow.code_verifier not in shown
    assert "/next/" in shown
