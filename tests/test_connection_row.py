"""``accounts.connection_row``: the one read of ``get_coolsms_session``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from coolsms_oauth_django import accounts, clock, refresh
from coolsms_oauth_django.exceptions import DecryptionError
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.session import get_coolsms_session

from .helpers.accounts import make_account, make_user
from .settings import COOLSMS_OAUTH

pytestmark = pytest.mark.django_db

OTHER_KEY = "x1l2dJ0lq3Yk3mFfT6Y1bq3X5v0o8mQ3s3hYq8xGm0Q="


def expected_row(account: CoolSMSAccount) -> accounts.ConnectionRow:
    return accounts.ConnectionRow(
        account.pk, account.status, account.access_token, account.expires_at
    )


def test_the_row_equals_what_the_orm_reads() -> None:
    account = make_account(make_user(), access="access-lookup")
    row = accounts.connection_row(account.user_id)
    assert row == expected_row(account)
    assert row is not None and row.access_token == "access-lookup"
    assert row.expires_at.tzinfo is not None


def test_a_user_without_a_connection_has_no_row() -> None:
    make_account(make_user("alice"))
    assert accounts.connection_row(make_user("bob").pk) is None


def test_the_read_is_one_query() -> None:
    account = make_account(make_user())
    accounts.connection_row(account.user_id)
    with CaptureQueriesContext(connection) as queries:
        accounts.connection_row(account.user_id)
    assert len(queries) == 1
    assert CoolSMSAccount._meta.db_table in queries[0]["sql"]


def test_sc21_a_token_no_key_opens_fails_closed_through_the_session_read() -> None:
    account = make_account(make_user())
    accounts.connection_row(account.user_id)  # read once with the right key
    with override_settings(COOLSMS_OAUTH={**COOLSMS_OAUTH, "ENCRYPTION_KEYS": [OTHER_KEY]}):
        with pytest.raises(DecryptionError):
            accounts.connection_row(account.user_id)
        with pytest.raises(DecryptionError):
            get_coolsms_session(account.user)


def test_a_new_key_added_first_still_reads_rows_written_with_the_old_one() -> None:
    account = make_account(make_user(), access="access-old-key")
    accounts.connection_row(account.user_id)
    keys = [OTHER_KEY, *COOLSMS_OAUTH["ENCRYPTION_KEYS"]]
    with override_settings(COOLSMS_OAUTH={**COOLSMS_OAUTH, "ENCRYPTION_KEYS": keys}):
        row = accounts.connection_row(account.user_id)
    assert row is not None and row.access_token == "access-old-key"


def test_get_coolsms_session_sees_a_change_made_after_an_earlier_read() -> None:
    account = make_account(make_user(), access="access-1")
    assert get_coolsms_session(account.user)._token == "access-1"
    later = account.expires_at + timedelta(hours=1)
    CoolSMSAccount.objects.filter(pk=account.pk).update(expires_at=later)
    account.access_token = "access-2"
    account.save(update_fields=["access_token"])
    session = get_coolsms_session(account.user)
    assert (session._token, session._token_expires) == ("access-2", later)


@pytest.mark.parametrize(("expires_in", "due"), [(60, True), (61, False)])
def test_the_session_the_refresh_and_the_model_agree_on_when_a_token_is_due(
    monkeypatch: pytest.MonkeyPatch, expires_in: int, due: bool
) -> None:
    account = make_account(make_user(), access="access-kept")
    frozen = clock.now()
    monkeypatch.setattr(clock, "now", lambda: frozen)
    CoolSMSAccount.objects.filter(pk=account.pk).update(
        expires_at=frozen + timedelta(seconds=expires_in)
    )
    account.refresh_from_db()
    row = accounts.account_row(account.pk, using="default")
    assert row is not None
    leeway = 60  # REFRESH_LEEWAY's default: due when it expires within a minute
    assert row.is_due(leeway) is due
    assert account.expires_within(leeway) is due
    asked: list[int] = []

    def database_read(account_pk: int, **kwargs: Any) -> tuple[str, None]:
        asked.append(account_pk)
        return "access-refreshed", None

    monkeypatch.setattr(refresh, "token_and_expiry", database_read)
    session = get_coolsms_session(account.user)
    assert session.leeway == leeway
    expected = "access-refreshed" if due else "access-kept"
    assert session.usable_token() == expected
    assert asked == ([account.pk] if due else [])
