"""The database going away during a callback or a refresh.

A failing write rolls the whole transaction back: nothing half-written, the stored tokens as
they were, and the next attempt (once the database is back) works. An unreachable database
stops a refresh before the token endpoint is called, so no refresh token is spent on an
answer that could not be saved.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError
from django.test import Client

from coolsms_oauth_django import get_coolsms_session, refresh
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.sandbox import Sandbox

from .helpers.accounts import connect, expire, stored_tokens
from .helpers.flows import start_flow
from .helpers.reliability import (
    authorize,
    code_of,
    failing_writes,
    leaked,
    site_path,
    unreachable_table,
)

pytestmark = pytest.mark.django_db

TABLE = CoolSMSAccount._meta.db_table


@pytest.mark.parametrize("outage", [failing_writes, unreachable_table], ids=["write", "all"])
def test_callback_with_the_database_failing_answers_a_clear_503_and_stores_nothing(
    outage: object,
    logged_in_error_pages: Client,
    user: AbstractBaseUser,
    debug_sandbox: Sandbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    location = authorize(debug_sandbox, start_flow(logged_in_error_pages))
    with outage(TABLE) as refused:  # type: ignore[operator]
        response = logged_in_error_pages.get(site_path(location))
    assert refused, "the outage was hit"
    # The app's own error page; the failure is logged (without secrets).
    assert response.status_code == 503
    assert "could not be saved" in response.content.decode()
    assert not CoolSMSAccount.objects.exists()
    assert any(record.name == "coolsms_oauth_django" for record in caplog.records)
    assert leaked([code_of(location), debug_sandbox.client_secret], [caplog.text]) == []


def test_callback_failing_at_the_save_keeps_an_existing_connection_whole(
    logged_in_error_pages: Client, user: AbstractBaseUser, debug_sandbox: Sandbox
) -> None:
    account = connect(user, debug_sandbox)
    before = stored_tokens(account)
    location = authorize(debug_sandbox, start_flow(logged_in_error_pages))
    with failing_writes(TABLE):
        assert logged_in_error_pages.get(site_path(location)).status_code == 503
    assert stored_tokens(account) == before
    assert CoolSMSAccount.objects.get(pk=account.pk).is_active


@pytest.mark.parametrize("outage", [failing_writes, unreachable_table], ids=["write", "all"])
def test_after_a_database_outage_a_new_connect_flow_works(
    outage: object, logged_in_error_pages: Client, user: AbstractBaseUser, debug_sandbox: Sandbox
) -> None:
    location = authorize(debug_sandbox, start_flow(logged_in_error_pages))
    with outage(TABLE):  # type: ignore[operator]
        logged_in_error_pages.get(site_path(location))

    retried = authorize(debug_sandbox, start_flow(logged_in_error_pages))
    response = logged_in_error_pages.get(site_path(retried))

    assert response.status_code == 302
    assert CoolSMSAccount.objects.get(user=user).member_id == debug_sandbox.default_user.member_id


def test_refresh_failing_at_the_save_raises_a_database_error_and_keeps_the_tokens(
    user: AbstractBaseUser, debug_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    account = connect(user, debug_sandbox)
    expire(account)
    before = stored_tokens(account)

    with failing_writes(TABLE) as refused, pytest.raises(DatabaseError) as caught:
        refresh.refresh_account(account.pk)

    assert "UPDATE" in refused
    assert debug_sandbox.token_calls()["refresh_token"] == 1
    assert stored_tokens(account) == before
    assert leaked([*before, debug_sandbox.client_secret], [caplog.text, str(caught.value)]) == []


def test_after_a_refresh_lost_to_the_database_the_next_call_refreshes_again(
    user: AbstractBaseUser, debug_sandbox: Sandbox
) -> None:
    account = connect(user, debug_sandbox)
    expire(account)
    before = stored_tokens(account)
    with failing_writes(TABLE), pytest.raises(DatabaseError):
        refresh.refresh_account(account.pk)

    balance = get_coolsms_session(user).get_balance()

    assert balance["balance"] == debug_sandbox.default_user.balance
    assert debug_sandbox.token_calls()["refresh_token"] == 2
    access, refresh_token = stored_tokens(account)
    assert access != before[0] and refresh_token == before[1]


def test_refresh_with_the_database_unreachable_never_calls_the_token_endpoint(
    user: AbstractBaseUser, debug_sandbox: Sandbox
) -> None:
    account = connect(user, debug_sandbox)
    expire(account)
    with unreachable_table(TABLE), pytest.raises(DatabaseError):
        get_coolsms_session(user).get_balance()
    with unreachable_table(TABLE), pytest.raises(DatabaseError):
        refresh.refresh_account(account.pk)
    assert debug_sandbox.token_calls().get("refresh_token", 0) == 0
    assert get_coolsms_session(user).get_balance()["balance"] == debug_sandbox.default_user.balance
