"""Single-flight refresh (``coolsms_oauth_django.refresh``): checklist items 25, 28 and 29."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import requests
import responses
from django.db import connection
from django.test import override_settings

from coolsms_oauth_django import refresh
from coolsms_oauth_django.exceptions import (
    InvalidGrant,
    NotConnected,
    ReconnectRequired,
    TokenError,
    TokenRefreshError,
)
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.sandbox import Sandbox

from .helpers.accounts import (
    Recorder,
    connect,
    expire,
    make_account,
    make_user,
    no_sleep,
    stored_tokens,
)
from .helpers.coolsms import TOKEN_URL, token_body

pytestmark = pytest.mark.django_db


def sent_body(call_index: int = 0) -> dict[str, Any]:
    body = responses.calls[call_index].request.body
    assert body is not None
    parsed: dict[str, Any] = json.loads(body)
    return parsed


# --- 25: a new refresh token replaces the old one; none keeps it -------------------------


@responses.activate
def test_sc25_new_refresh_token_replaces_old_atomically(
    expired_fake_account: CoolSMSAccount,
    refresh_recorder: Recorder,
    django_capture_on_commit_callbacks: Any,
) -> None:
    responses.post(TOKEN_URL, json=token_body("access-2", "refresh-2", expires_in=3600))
    with django_capture_on_commit_callbacks(execute=True):
        token = refresh.refresh_account(expired_fake_account.pk)
    assert token == "access-2"
    assert stored_tokens(expired_fake_account) == ("access-2", "refresh-2")
    assert sent_body()["refresh_token"] == "refresh-1"
    assert sent_body()["grant_type"] == "refresh_token"
    account = CoolSMSAccount.objects.get(pk=expired_fake_account.pk)
    assert account.last_refreshed_at is not None
    assert not account.expires_within(3000)
    assert [a.pk for a in refresh_recorder.refreshed] == [expired_fake_account.pk]


@responses.activate
def test_sc25_response_without_refresh_token_keeps_the_old_one(
    expired_fake_account: CoolSMSAccount,
) -> None:
    responses.post(TOKEN_URL, json=token_body("access-2", refresh_token=None, expires_in=3600))
    assert refresh.refresh_account(expired_fake_account.pk) == "access-2"
    assert stored_tokens(expired_fake_account) == ("access-2", "refresh-1")


@responses.activate
def test_sc25_token_refreshed_is_sent_only_after_commit(
    expired_fake_account: CoolSMSAccount,
    refresh_recorder: Recorder,
    django_capture_on_commit_callbacks: Any,
) -> None:
    responses.post(TOKEN_URL, json=token_body("access-2", "refresh-2", expires_in=3600))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refresh.refresh_account(expired_fake_account.pk)
    assert refresh_recorder.refreshed == []
    assert len(callbacks) == 1


def test_sc25_rotating_sandbox_keeps_the_grant_alive(rotating_sandbox_settings: Sandbox) -> None:
    account = connect(make_user(), rotating_sandbox_settings)
    first_refresh = stored_tokens(account)[1]
    for _ in range(3):
        expire(account)
        refresh.refresh_account(account.pk)
    _access, refresh_token = stored_tokens(account)
    assert refresh_token != first_refresh
    assert rotating_sandbox_settings.token_calls()["refresh_token"] == 3
    assert not any(grant["revoked"] for grant in rotating_sandbox_settings.live_grants())


# --- deciding whether to refresh --------------------------------------------------------


@responses.activate
def test_a_token_that_is_not_expiring_is_not_refreshed() -> None:
    account = make_account(make_user(), expires_in=3600)
    assert refresh.refresh_account(account.pk) == "access-1"
    assert len(responses.calls) == 0


@responses.activate
def test_a_token_expiring_within_the_leeway_is_refreshed() -> None:
    account = make_account(make_user(), expires_in=30)
    responses.post(TOKEN_URL, json=token_body("access-2", refresh_token=None, expires_in=3600))
    assert refresh.refresh_account(account.pk) == "access-2"


@responses.activate
def test_the_current_token_is_returned_without_a_call_when_fresh() -> None:
    account = make_account(make_user(), expires_in=3600)
    assert refresh.current_token(account.pk) == "access-1"
    assert len(responses.calls) == 0


@responses.activate
def test_current_token_refreshes_a_token_inside_the_leeway() -> None:
    account = make_account(make_user(), expires_in=59)
    responses.post(TOKEN_URL, json=token_body("access-2", refresh_token=None, expires_in=3600))
    assert refresh.current_token(account.pk) == "access-2"


@responses.activate
def test_a_rejected_token_is_refreshed_even_before_its_expiry() -> None:
    account = make_account(make_user(), expires_in=3600)
    responses.post(TOKEN_URL, json=token_body("access-2", refresh_token=None, expires_in=3600))
    assert refresh.refresh_account(account.pk, rejected_token="access-1") == "access-2"


@responses.activate
def test_a_rejected_token_already_replaced_by_another_worker_is_not_refreshed_again() -> None:
    account = make_account(make_user(), access="access-2", expires_in=3600)
    assert refresh.refresh_account(account.pk, rejected_token="access-1") == "access-2"
    assert len(responses.calls) == 0


@responses.activate
def test_force_refreshes_a_fresh_token() -> None:
    account = make_account(make_user(), expires_in=3600)
    responses.post(TOKEN_URL, json=token_body("access-2", refresh_token=None, expires_in=3600))
    assert refresh.refresh_account(account.pk, force=True) == "access-2"


@responses.activate
def test_the_granted_scopes_are_kept_across_a_refresh() -> None:
    account = make_account(make_user(), expires_in=-1, scopes="cash:read")
    responses.post(TOKEN_URL, json=token_body("access-2", refresh_token=None, expires_in=3600))
    refresh.refresh_account(account.pk)
    assert CoolSMSAccount.objects.get(pk=account.pk).scopes == "cash:read"


def test_a_missing_connection_is_not_connected() -> None:
    with pytest.raises(NotConnected):
        refresh.refresh_account(999_999)
    with pytest.raises(NotConnected):
        refresh.current_token(999_999)


def test_a_connection_needing_reconnect_is_not_refreshed() -> None:
    account = make_account(make_user(), status=CoolSMSAccount.NEEDS_RECONNECT, expires_in=-1)
    with pytest.raises(ReconnectRequired):
        refresh.refresh_account(account.pk)
    with pytest.raises(ReconnectRequired):
        refresh.current_token(account.pk)


@responses.activate
def test_a_caller_supplied_http_session_is_used_and_left_open() -> None:
    account = make_account(make_user(), expires_in=-1)
    responses.post(TOKEN_URL, json=token_body("access-2", refresh_token=None, expires_in=3600))
    with requests.Session() as http:
        http.headers["X-Probe"] = "1"
        refresh.refresh_account(account.pk, http=http)
        assert responses.calls[0].request.headers["X-Probe"] == "1"


# --- 28: the grant is gone ------------------------------------------------------------


GRANT_GONE_ANSWERS = [
    (403, {"errorCode": "InvalidGrant", "errorMessage": "grant revoked"}),
    (400, {"errorCode": "InvalidRefreshToken", "errorMessage": "unknown"}),
    (400, {"error": "invalid_grant", "error_description": "revoked"}),
]


@pytest.mark.parametrize(("status", "body"), GRANT_GONE_ANSWERS)
@responses.activate
def test_sc28_invalid_grant_marks_the_connection_and_fires_refresh_failed(
    status: int,
    body: dict[str, str],
    expired_fake_account: CoolSMSAccount,
    refresh_recorder: Recorder,
    django_capture_on_commit_callbacks: Any,
) -> None:
    responses.post(TOKEN_URL, status=status, json=body)
    sleeps: list[float] = []
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ReconnectRequired) as info:
        refresh.refresh_account(expired_fake_account.pk, sleep=sleeps.append)
    assert isinstance(info.value.__cause__, InvalidGrant)
    assert len(responses.calls) == 1, "no retry loop"
    assert sleeps == []
    account = CoolSMSAccount.objects.get(pk=expired_fake_account.pk)
    assert account.status == CoolSMSAccount.NEEDS_RECONNECT
    assert account.last_error and account.last_error_at
    assert "refresh-1" not in account.last_error
    assert stored_tokens(expired_fake_account) == ("access-1", "refresh-1")
    assert len(refresh_recorder.failed) == 1
    assert refresh_recorder.failed[0][0].pk == expired_fake_account.pk
    assert isinstance(refresh_recorder.failed[0][1], InvalidGrant)


@responses.activate
def test_sc28_rereads_the_row_and_uses_a_token_another_worker_saved(
    expired_fake_account: CoolSMSAccount, refresh_recorder: Recorder
) -> None:
    def another_worker_refreshed_first(request: Any) -> tuple[int, dict[str, str], str]:
        fresh = CoolSMSAccount.objects.get(pk=expired_fake_account.pk)
        fresh.access_token = "access-from-elsewhere"
        fresh.expires_at = fresh.expires_at.replace(year=fresh.expires_at.year + 1)
        fresh.save()
        return 403, {}, json.dumps({"errorCode": "InvalidGrant", "errorMessage": "rotated"})

    responses.add_callback(responses.POST, TOKEN_URL, callback=another_worker_refreshed_first)
    assert refresh.refresh_account(expired_fake_account.pk) == "access-from-elsewhere"
    account = CoolSMSAccount.objects.get(pk=expired_fake_account.pk)
    assert account.status == CoolSMSAccount.ACTIVE
    assert refresh_recorder.failed == []


@responses.activate
def test_sc28_a_changed_but_expired_token_does_not_save_the_connection(
    expired_fake_account: CoolSMSAccount,
) -> None:
    def another_worker_saved_an_expired_token(request: Any) -> tuple[int, dict[str, str], str]:
        CoolSMSAccount.objects.filter(pk=expired_fake_account.pk).update(
            status=CoolSMSAccount.ACTIVE
        )
        fresh = CoolSMSAccount.objects.get(pk=expired_fake_account.pk)
        fresh.access_token = "stale-from-elsewhere"
        fresh.save()
        return 403, {}, json.dumps({"errorCode": "InvalidGrant", "errorMessage": "gone"})

    responses.add_callback(
        responses.POST, TOKEN_URL, callback=another_worker_saved_an_expired_token
    )
    with pytest.raises(ReconnectRequired):
        refresh.refresh_account(expired_fake_account.pk)


@responses.activate
def test_sc28_a_row_deleted_meanwhile_still_needs_reconnect(
    expired_fake_account: CoolSMSAccount,
) -> None:
    def disconnected_meanwhile(request: Any) -> tuple[int, dict[str, str], str]:
        CoolSMSAccount.objects.filter(pk=expired_fake_account.pk).delete()
        return 403, {}, json.dumps({"errorCode": "InvalidGrant", "errorMessage": "gone"})

    responses.add_callback(responses.POST, TOKEN_URL, callback=disconnected_meanwhile)
    with pytest.raises(ReconnectRequired):
        refresh.refresh_account(expired_fake_account.pk)


def test_sc28_a_connection_without_refresh_token_needs_reconnect(
    refresh_recorder: Recorder,
) -> None:
    account = make_account(make_user(), refresh=None, expires_in=-1)
    with pytest.raises(ReconnectRequired):
        refresh.refresh_account(account.pk)
    assert CoolSMSAccount.objects.get(pk=account.pk).status == CoolSMSAccount.NEEDS_RECONNECT


def test_sc28_revoked_grant_on_the_sandbox_needs_reconnect(
    rotating_sandbox_settings: Sandbox,
) -> None:
    account = connect(make_user(), rotating_sandbox_settings)
    before = stored_tokens(account)
    rotating_sandbox_settings.revoke()
    expire(account)
    with pytest.raises(ReconnectRequired):
        refresh.refresh_account(account.pk)
    assert rotating_sandbox_settings.token_calls()["refresh_token"] == 1
    assert CoolSMSAccount.objects.get(pk=account.pk).status == CoolSMSAccount.NEEDS_RECONNECT
    assert stored_tokens(account) == before


# --- 29: passing failures ----------------------------------------------------------------


PASSING_FAILURES = [
    {"status": 500, "json": {"errorCode": "InternalError", "errorMessage": "oops"}},
    {"status": 502, "body": "<html>Bad gateway</html>", "content_type": "text/html"},
    {"status": 429, "json": {"errorCode": "TooManyRequests", "errorMessage": "slow down"}},
    {"body": requests.Timeout("read timed out")},
    {"body": requests.ConnectionError("refused")},
]


@pytest.mark.parametrize("answer", PASSING_FAILURES)
@responses.activate
def test_sc29_passing_failures_retry_with_backoff_then_raise(
    answer: dict[str, Any], expired_fake_account: CoolSMSAccount, refresh_recorder: Recorder
) -> None:
    responses.post(TOKEN_URL, **answer)
    sleeps: list[float] = []
    with pytest.raises(TokenRefreshError) as info:
        refresh.refresh_account(expired_fake_account.pk, sleep=sleeps.append)
    assert info.value.retryable
    assert len(responses.calls) == 3  # REFRESH_RETRIES = 2
    assert sleeps == [0.5, 1.0]
    account = CoolSMSAccount.objects.get(pk=expired_fake_account.pk)
    assert stored_tokens(expired_fake_account) == ("access-1", "refresh-1")
    assert account.status == CoolSMSAccount.ACTIVE
    assert account.last_error
    assert refresh_recorder.failed == []


@responses.activate
def test_sc29_retries_follow_the_settings(
    expired_fake_account: CoolSMSAccount, settings: Any
) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "REFRESH_RETRIES": 0}
    responses.post(TOKEN_URL, status=503)
    sleeps: list[float] = []
    with pytest.raises(TokenRefreshError):
        refresh.refresh_account(expired_fake_account.pk, sleep=sleeps.append)
    assert len(responses.calls) == 1
    assert sleeps == []


@responses.activate
def test_sc29_a_passing_failure_followed_by_success_refreshes(
    expired_fake_account: CoolSMSAccount,
) -> None:
    responses.post(TOKEN_URL, status=503)
    responses.post(TOKEN_URL, json=token_body("access-2", "refresh-2", expires_in=3600))
    assert refresh.refresh_account(expired_fake_account.pk, sleep=no_sleep) == "access-2"
    assert stored_tokens(expired_fake_account) == ("access-2", "refresh-2")


@responses.activate
def test_sc29_the_token_call_has_a_timeout(
    expired_fake_account: CoolSMSAccount, settings: Any
) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "TIMEOUT": 3.5}
    responses.post(TOKEN_URL, json=token_body("access-2", refresh_token=None, expires_in=3600))
    refresh.refresh_account(expired_fake_account.pk)
    assert responses.calls[0].request.req_kwargs["timeout"] == 3.5


def test_sc29_sandbox_outage_leaves_tokens_untouched(rotating_sandbox_settings: Sandbox) -> None:
    account = connect(make_user(), rotating_sandbox_settings)
    before = stored_tokens(account)
    expire(account)
    rotating_sandbox_settings.inject_fault("/oauth2/v1/access_token", status=500, count=3)
    with pytest.raises(TokenRefreshError):
        refresh.refresh_account(account.pk, sleep=no_sleep)
    assert stored_tokens(account) == before
    assert not any(grant["revoked"] for grant in rotating_sandbox_settings.live_grants())


def test_sc29_sandbox_dropped_connection_then_recovery(rotating_sandbox_settings: Sandbox) -> None:
    account = connect(make_user(), rotating_sandbox_settings)
    expire(account)
    rotating_sandbox_settings.inject_fault("/oauth2/v1/access_token", drop=True, count=1)
    token = refresh.refresh_account(account.pk, sleep=no_sleep)
    assert stored_tokens(account)[0] == token


def test_sc29_sandbox_slow_token_endpoint_times_out(rotating_sandbox: Sandbox) -> None:
    from .helpers.accounts import sandbox_settings

    with override_settings(COOLSMS_OAUTH=sandbox_settings(rotating_sandbox)):
        account = connect(make_user(), rotating_sandbox)
    with override_settings(
        COOLSMS_OAUTH=sandbox_settings(rotating_sandbox, TIMEOUT=0.2, REFRESH_RETRIES=0)
    ):
        expire(account)
        rotating_sandbox.inject_fault("/oauth2/v1/access_token", delay=1.0, count=1)
        with pytest.raises(TokenRefreshError):
            refresh.refresh_account(account.pk)


@responses.activate
def test_a_refused_client_records_the_error_without_reconnect(
    expired_fake_account: CoolSMSAccount, refresh_recorder: Recorder
) -> None:
    responses.post(
        TOKEN_URL, status=400, json={"errorCode": "InvalidClient", "errorMessage": "bad"}
    )
    with pytest.raises(TokenError) as info:
        refresh.refresh_account(expired_fake_account.pk, sleep=no_sleep)
    assert not info.value.retryable
    assert not isinstance(info.value, (InvalidGrant, TokenRefreshError))
    assert len(responses.calls) == 1
    account = CoolSMSAccount.objects.get(pk=expired_fake_account.pk)
    assert account.status == CoolSMSAccount.ACTIVE
    assert "InvalidClient" in account.last_error
    assert "test-client-secret-value" not in account.last_error
    assert stored_tokens(expired_fake_account) == ("access-1", "refresh-1")


# --- the process-local lock --------------------------------------------------------------


def test_local_lock_is_shared_by_threads_for_one_account() -> None:
    using = "default"
    if connection.features.has_select_for_update:
        pytest.skip("row locks serialize refreshes on this database")
    inside = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def holder() -> None:
        with refresh.local_lock(1, using):
            inside.set()
            release.wait(5)
            order.append("holder")

    thread = threading.Thread(target=holder)
    thread.start()
    inside.wait(5)
    with refresh.local_lock(2, using):
        order.append("other account")
    release.set()
    with refresh.local_lock(1, using):
        order.append("waiter")
    thread.join()
    assert order == ["other account", "holder", "waiter"]


def test_local_lock_is_a_no_op_where_rows_can_be_locked(monkeypatch: Any) -> None:
    monkeypatch.setattr(connection.features, "has_select_for_update", True)
    with refresh.local_lock(1, "default"), refresh.local_lock(1, "default"):
        pass  # no deadlock: the database's row lock does the work
