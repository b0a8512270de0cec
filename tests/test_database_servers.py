"""Storage and the connect transaction on PostgreSQL and MariaDB (make test runs both)."""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.core.management import call_command
from django.db import connection

from coolsms_oauth_django import accounts, clock
from coolsms_oauth_django.exceptions import AccountAlreadyLinked
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.oauth import TokenSet

from .helpers.accounts import (
    keep_only_key,
    make_account,
    make_user,
    put_new_key_first,
    raw_columns,
    refresh_while_rotating,
    stored_tokens,
)
from .helpers.coolsms import ACCESS_TOKEN, PROFILE, REFRESH_TOKEN

pytestmark = [pytest.mark.postgres, pytest.mark.mysql, pytest.mark.django_db(transaction=True)]


def tokens() -> TokenSet:
    return TokenSet(
        access_token=ACCESS_TOKEN,
        refresh_token=REFRESH_TOKEN,
        token_type="Bearer",
        expires_at=clock.now() + timedelta(hours=1),
        scopes=("users:read",),
    )


def test_runs_on_the_selected_server() -> None:
    expected = {"postgres": "postgresql", "mysql": "mysql"}[os.environ["COOLSMS_TEST_DATABASE"]]
    assert connection.vendor == expected


def test_sc21_server_columns_hold_no_plaintext(user: AbstractBaseUser) -> None:
    account = accounts.save_connection(user, tokens(), profile=PROFILE)
    access, refresh = raw_columns(account)
    assert ACCESS_TOKEN not in access and REFRESH_TOKEN not in refresh
    assert CoolSMSAccount.objects.get().access_token == ACCESS_TOKEN


def test_sc24_two_users_racing_for_one_member_leave_one_connection(
    user: AbstractBaseUser, other_user: AbstractBaseUser
) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def connect(who: AbstractBaseUser) -> None:
        barrier.wait()
        try:
            accounts.save_connection(who, tokens(), profile=PROFILE)
            outcomes.append("saved")
        except AccountAlreadyLinked:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=connect, args=(u,)) for u in (user, other_user)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "saved"]
    assert CoolSMSAccount.objects.count() == 1


def test_the_session_read_matches_the_orm_on_the_server(user: AbstractBaseUser) -> None:
    account = accounts.save_connection(user, tokens(), profile=PROFILE)
    row = accounts.connection_row(user.pk)
    assert row == accounts.ConnectionRow(
        account.pk, account.status, ACCESS_TOKEN, account.expires_at
    )
    assert row is not None and row.expires_at.tzinfo is not None


# --- coolsms_rotate_keys on a server ------------------------------------------------------


def run_rotation(*args: str) -> str:
    out = StringIO()
    call_command("coolsms_rotate_keys", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_rotate_keys_on_a_server_reencrypts_rows_with_and_without_a_refresh_token(
    settings: Any,
) -> None:
    made = [
        make_account(make_user(f"u{i}"), access=f"access-{i}", refresh=f"refresh-{i}")
        for i in range(7)
    ]
    made.append(make_account(make_user("none"), access="lonely", refresh=None))
    new_key = put_new_key_first(settings)
    assert run_rotation("--batch-size", "3") == "Re-encrypted 8 account(s); 0 unreadable."
    keep_only_key(settings, new_key)
    for i, account in enumerate(made[:-1]):
        assert stored_tokens(account) == (f"access-{i}", f"refresh-{i}")
    assert stored_tokens(made[-1]) == ("lonely", None)


def test_rotate_keys_on_a_server_leaves_a_row_a_refresh_changed_meanwhile(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    refreshed = make_account(make_user("first"), access="access-old", refresh="refresh-old")
    other = make_account(make_user("second"), access="access-2", refresh="refresh-2")
    new_key = put_new_key_first(settings)
    refresh_while_rotating(monkeypatch, refreshed, access="access-new", refresh="refresh-new")
    assert run_rotation() == (
        "Re-encrypted 1 account(s); 0 unreadable; 1 changed meanwhile (left as written)."
    )
    keep_only_key(settings, new_key)
    assert stored_tokens(refreshed) == ("access-new", "refresh-new")
    assert stored_tokens(other) == ("access-2", "refresh-2")


def six_accounts_before_rotation(
    settings: Any,
) -> tuple[list[CoolSMSAccount], dict[int, tuple[str, str | None]]]:
    """Make six connections, note their ciphertexts, then put a new key first."""
    made = [make_account(make_user(f"u{i}"), access=f"access-{i}") for i in range(6)]
    before = {account.pk: raw_columns(account) for account in made}
    put_new_key_first(settings)
    return made, before


def rewritten(made: list[CoolSMSAccount], before: dict[int, tuple[str, str | None]]) -> list[int]:
    """Return the primary keys of the connections whose ciphertexts changed."""
    return [account.pk for account in made if raw_columns(account) != before[account.pk]]


def fail_call(monkeypatch: pytest.MonkeyPatch, step: str, failing: int, message: str) -> list[int]:
    """Make the rotation's database step ``step`` raise on call ``failing``; count the calls."""
    original = getattr(accounts, step)
    calls: list[int] = []

    def failing_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == failing:
            raise RuntimeError(message)
        return original(*args, **kwargs)

    monkeypatch.setattr(accounts, step, failing_once)
    return calls


# The third read comes after the first batch was written (the second batch is read, and
# encrypted, while the first is written); the second write is the second batch's.
@pytest.mark.parametrize(("step", "failing"), [("replace_ciphertexts", 2), ("ciphertext_batch", 3)])
def test_a_failed_step_stops_the_rotation_and_keeps_the_batches_written_before(
    settings: Any, monkeypatch: pytest.MonkeyPatch, step: str, failing: int
) -> None:
    made, before = six_accounts_before_rotation(settings)
    calls = fail_call(monkeypatch, step, failing, f"{step} went wrong")
    with pytest.raises(RuntimeError, match=f"{step} went wrong"):
        run_rotation("--batch-size", "2")
    assert len(calls) == failing
    assert rewritten(made, before) == [account.pk for account in made[:2]]
