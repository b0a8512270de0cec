"""Storage and the connect transaction on PostgreSQL and MariaDB (make test runs both)."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, connections

from coolsms_oauth_django import accounts, clock
from coolsms_oauth_django.exceptions import AccountAlreadyLinked
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.oauth import TokenSet

from .conftest import ACCESS_TOKEN, PROFILE, REFRESH_TOKEN

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
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT access_token, refresh_token FROM {CoolSMSAccount._meta.db_table} "
            "WHERE id = %s",
            [account.pk],
        )
        access, refresh = cursor.fetchone()
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


def test_the_compiled_read_matches_the_orm_on_the_server(user: AbstractBaseUser) -> None:
    from coolsms_oauth_django import lookup

    lookup._compiled.clear()
    account = accounts.save_connection(user, tokens(), profile=PROFILE)
    expected = CoolSMSAccount.objects.filter(pk=account.pk).values_list(*lookup.FIELDS).get()
    for _ in range(2):  # compiled, then reused
        row = lookup.connection_row(user.pk)
        assert row == lookup.ConnectionRow(*expected)
    assert row is not None and row.access_token == ACCESS_TOKEN
    assert row.expires_at.tzinfo is not None
    assert lookup._compiled.get(connections["default"]) not in (None, lookup._NOT_COMPILABLE)
