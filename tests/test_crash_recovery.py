"""A process that dies in the middle of a refresh: after the token call, before the commit.

CoolSMS issues the refresh token once and never rotates it, so the connection the dead process
leaves behind still holds a working refresh token, and the next caller simply refreshes
again. With a provider that rotates refresh tokens the same crash loses the only copy of the
new refresh token, and the next refresh presents the old one; the last test shows what
follows (docs/reliability.md explains it).
"""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from coolsms_oauth_django import get_coolsms_session, oauth, refresh
from coolsms_oauth_django.exceptions import ReconnectRequired
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.sandbox import Sandbox

from .helpers.accounts import connect, expire, make_user, sandbox_settings, stored_tokens
from .helpers.reliability import refresh_then_die

#: The exit status ``refresh_then_die`` ends the child with.
KILLED = 17


class ProcessKilled(BaseException):
    """Stands in for the end of the process: no ``except Exception`` catches it."""


def die_after_the_token_call(monkeypatch: pytest.MonkeyPatch) -> None:
    real = oauth.refresh_tokens

    def answer_then_die(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise ProcessKilled

    monkeypatch.setattr(oauth, "refresh_tokens", answer_then_die)


def assert_refreshes_again(sandbox: Sandbox, account: CoolSMSAccount) -> None:
    before = stored_tokens(account)
    balance = get_coolsms_session(account.user).get_balance()
    assert balance["balance"] == sandbox.default_user.balance
    access, refresh_token = stored_tokens(account)
    assert access != before[0], "the next call refreshed"
    assert refresh_token == before[1], "with the refresh token the dead process also used"
    assert sandbox.token_calls()["refresh_token"] == 2
    assert not any(grant["revoked"] for grant in sandbox.live_grants())


@pytest.mark.django_db(transaction=True)
def test_sc25_a_refresh_ended_after_the_token_call_leaves_the_stored_tokens_unchanged(
    coolsms_sandbox_settings: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = connect(make_user(), coolsms_sandbox_settings)
    expire(account)
    before = stored_tokens(account)
    with monkeypatch.context() as patch:
        die_after_the_token_call(patch)
        with pytest.raises(ProcessKilled):
            refresh.refresh_account(account.pk)
    assert coolsms_sandbox_settings.token_calls()["refresh_token"] == 1
    assert stored_tokens(account) == before
    assert CoolSMSAccount.objects.get(pk=account.pk).is_active
    assert_refreshes_again(coolsms_sandbox_settings, account)


def kill_a_refreshing_process(sandbox: Sandbox, account: CoolSMSAccount, database: str) -> None:
    """Run a Django process that refreshes ``account`` and dies before committing."""
    context = multiprocessing.get_context("spawn")
    child = context.Process(
        target=refresh_then_die,
        args=(database, connection.settings_dict["NAME"], sandbox_settings(sandbox), account.pk),
    )
    child.start()
    child.join(60)
    if child.is_alive():  # pragma: no cover - only when the child hangs
        child.kill()
        child.join()
    assert child.exitcode == KILLED, child.exitcode
    child.close()


def run_killed_refresh(sandbox: Sandbox, database: str) -> None:
    user: AbstractBaseUser = make_user()
    account = connect(user, sandbox)
    expire(account)
    before = stored_tokens(account)
    kill_a_refreshing_process(sandbox, account, database)
    # The token call was made and answered; the dead process's transaction never committed,
    # and its row lock went with its connection.
    assert sandbox.token_calls()["refresh_token"] == 1
    assert stored_tokens(account) == before
    assert_refreshes_again(sandbox, account)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sc25_a_process_killed_mid_refresh_on_postgres_leaves_a_usable_connection(
    coolsms_sandbox_settings: Sandbox,
) -> None:
    run_killed_refresh(coolsms_sandbox_settings, "postgres")


@pytest.mark.slow
@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_sc25_a_process_killed_mid_refresh_on_mariadb_leaves_a_usable_connection(
    coolsms_sandbox_settings: Sandbox,
) -> None:
    run_killed_refresh(coolsms_sandbox_settings, "mysql")


@pytest.mark.django_db(transaction=True)
def test_with_rotating_refresh_tokens_a_refresh_lost_mid_way_needs_reconnecting(
    rotating_sandbox_settings: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = connect(make_user(), rotating_sandbox_settings)
    expire(account)
    with monkeypatch.context() as patch:
        die_after_the_token_call(patch)
        with pytest.raises(ProcessKilled):
            refresh.refresh_account(account.pk)

    # The stored refresh token was rotated away; presenting it again revokes the grant.
    with pytest.raises(ReconnectRequired):
        get_coolsms_session(account.user).get_balance()
    assert CoolSMSAccount.objects.get(pk=account.pk).status == CoolSMSAccount.NEEDS_RECONNECT
    assert all(grant["revoked"] for grant in rotating_sandbox_settings.live_grants())
