"""The fault matrix: every fault the sandbox can inject, against the code exchange, the
refresh and an API call.

For each pair the tests say what the user (or the calling code) sees, what the database holds
afterwards (nothing half-written, good tokens kept) and what was logged (no secret, with every
logger at DEBUG). ``TIMEOUT`` is half a second, so the timeout and slow-answer faults are quick.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from coolsms_oauth_django import endpoints, get_coolsms_session
from coolsms_oauth_django.exceptions import CoolSMSAPIError, TokenError, TokenRefreshError
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.sandbox import Sandbox

from .helpers.accounts import connect, stored_tokens
from .helpers.flows import start_flow
from .helpers.reliability import (
    PASSING_FAULTS,
    authorize,
    code_of,
    exception_texts,
    fault_kinds,
    leaked,
    site_path,
)

pytestmark = pytest.mark.django_db

FAULTS = fault_kinds()
#: What a network-level failure looks like in ``CoolSMSAPIError.status``.
NETWORK_FAULTS = frozenset({"timeout", "dropped-connection", "slow-answer"})


def assert_nothing_secret_logged(
    caplog: pytest.LogCaptureFixture, secrets: list[str | None], *more: Any
) -> None:
    texts = [caplog.text, *(str(record.args) for record in caplog.records), *map(str, more)]
    assert leaked(secrets, texts) == []


# --- The code exchange ---------------------------------------------------------------------


@pytest.mark.parametrize("reconnecting", [False, True], ids=["first-connect", "reconnect"])
@pytest.mark.parametrize("fault", FAULTS)
def test_code_exchange_fault_redirects_with_a_message_and_stores_nothing(
    fault: str,
    reconnecting: bool,
    fault_debug_sandbox: Sandbox,
    logged_in: Client,
    user: AbstractBaseUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = stored_tokens(connect(user, fault_debug_sandbox)) if reconnecting else None
    location = authorize(fault_debug_sandbox, start_flow(logged_in, next_url="/dashboard/"))
    fault_debug_sandbox.inject_fault(endpoints.TOKEN_PATH, **FAULTS[fault])

    response = logged_in.get(site_path(location))

    # The user is sent back where they started, with a message on the next page.
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    page = logged_in.get("/coolsms/connect/").content.decode()
    assert "CoolSMS did not complete the connection. Please try again." in page
    # Nothing half-written: no new connection, or the old one exactly as it was.
    if before is None:
        assert not CoolSMSAccount.objects.exists()
    else:
        account = CoolSMSAccount.objects.get(user=user)
        assert stored_tokens(account) == before
        assert account.is_active
    # The failure is logged, without the code or the client secret.
    assert "CoolSMS code exchange failed" in caplog.text
    assert_nothing_secret_logged(
        caplog, [code_of(location), fault_debug_sandbox.client_secret, *(before or ())], page
    )


@pytest.mark.parametrize("fault", FAULTS)
def test_a_new_flow_after_a_code_exchange_fault_connects(
    fault: str, fault_debug_sandbox: Sandbox, logged_in: Client, user: AbstractBaseUser
) -> None:
    failed = authorize(fault_debug_sandbox, start_flow(logged_in))
    fault_debug_sandbox.inject_fault(endpoints.TOKEN_PATH, **FAULTS[fault])
    logged_in.get(site_path(failed))

    retried = authorize(fault_debug_sandbox, start_flow(logged_in))
    assert logged_in.get(site_path(retried)).status_code == 302

    account = CoolSMSAccount.objects.get(user=user)
    assert account.member_id == fault_debug_sandbox.default_user.member_id
    assert account.last_error == ""


# --- The refresh ---------------------------------------------------------------------------


def attempts(fault: str) -> int:
    """Return how many token calls a refresh makes while ``fault`` lasts (REFRESH_RETRIES=1)."""
    return 2 if fault in PASSING_FAULTS else 1


@pytest.mark.parametrize("fault", FAULTS)
def test_refresh_fault_that_persists_raises_and_keeps_the_stored_tokens(
    fault: str,
    fault_debug_sandbox: Sandbox,
    user: AbstractBaseUser,
    expired_sandbox_account: CoolSMSAccount,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = stored_tokens(expired_sandbox_account)
    fault_debug_sandbox.inject_fault(endpoints.TOKEN_PATH, count=attempts(fault), **FAULTS[fault])

    with pytest.raises(TokenError) as caught:
        get_coolsms_session(user).get_balance()

    if fault in PASSING_FAULTS:
        # Retried once (REFRESH_RETRIES=1), then a retryable error.
        assert isinstance(caught.value, TokenRefreshError)
        assert caught.value.retryable
        assert fault_debug_sandbox.token_calls()["refresh_token"] == 2
    else:
        # A 200 that is not a token response is not retried: it would not get better.
        assert not isinstance(caught.value, TokenRefreshError)
        assert fault_debug_sandbox.token_calls()["refresh_token"] == 1
    account = CoolSMSAccount.objects.get(pk=expired_sandbox_account.pk)
    assert stored_tokens(account) == before
    assert account.is_active, "a passing fault never asks the user to connect again"
    assert account.last_error
    assert_nothing_secret_logged(
        caplog,
        [*before, fault_debug_sandbox.client_secret],
        account.last_error,
        *exception_texts(caught.value),
    )


@pytest.mark.parametrize("fault", FAULTS)
def test_after_a_refresh_fault_the_next_call_refreshes_and_succeeds(
    fault: str,
    fault_debug_sandbox: Sandbox,
    user: AbstractBaseUser,
    expired_sandbox_account: CoolSMSAccount,
) -> None:
    before = stored_tokens(expired_sandbox_account)
    fault_debug_sandbox.inject_fault(endpoints.TOKEN_PATH, count=attempts(fault), **FAULTS[fault])
    with pytest.raises(TokenError):
        get_coolsms_session(user).get_balance()

    balance = get_coolsms_session(user).get_balance()

    assert balance["balance"] == fault_debug_sandbox.default_user.balance
    access, refresh = stored_tokens(expired_sandbox_account)
    assert access != before[0]
    assert refresh == before[1], "CoolSMS does not rotate refresh tokens"


@pytest.mark.parametrize("fault", sorted(PASSING_FAULTS))
def test_sc29_a_single_passing_refresh_fault_is_retried_and_the_call_succeeds(
    fault: str,
    fault_debug_sandbox: Sandbox,
    user: AbstractBaseUser,
    expired_sandbox_account: CoolSMSAccount,
) -> None:
    before = stored_tokens(expired_sandbox_account)
    fault_debug_sandbox.inject_fault(endpoints.TOKEN_PATH, count=1, **FAULTS[fault])

    balance = get_coolsms_session(user).get_balance()

    assert balance["balance"] == fault_debug_sandbox.default_user.balance
    assert fault_debug_sandbox.token_calls()["refresh_token"] == 2
    assert stored_tokens(expired_sandbox_account)[0] != before[0]


# --- An API call ---------------------------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS)
def test_api_call_fault_raises_coolsms_api_error_and_touches_no_token(
    fault: str,
    fault_debug_sandbox: Sandbox,
    user: AbstractBaseUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    account = connect(user, fault_debug_sandbox)
    before = stored_tokens(account)
    fault_debug_sandbox.inject_fault(endpoints.BALANCE_PATH, **FAULTS[fault])

    with pytest.raises(CoolSMSAPIError) as caught:
        get_coolsms_session(user).get_balance()

    error = caught.value
    if fault in NETWORK_FAULTS:
        assert error.status == 0
        assert error.error_code in {"Timeout", "ConnectionError"}
    elif fault == "malformed-json":
        assert (error.status, error.error_code) == (200, "InvalidResponse")
    else:
        assert error.status == FAULTS[fault]["status"]
    assert stored_tokens(account) == before
    assert CoolSMSAccount.objects.get(pk=account.pk).is_active
    assert fault_debug_sandbox.token_calls().get("refresh_token", 0) == 0, (
        "no refresh for a server fault"
    )
    assert_nothing_secret_logged(
        caplog, [*before, fault_debug_sandbox.client_secret], *exception_texts(error)
    )
    # The next call goes through.
    assert (
        get_coolsms_session(user).get_balance()["balance"]
        == fault_debug_sandbox.default_user.balance
    )
