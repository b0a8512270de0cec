"""``lookup.connection_row``: the one read of ``get_coolsms_session``, compiled once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from coolsms_oauth_django import lookup
from coolsms_oauth_django.exceptions import DecryptionError
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.session import get_coolsms_session
from tests.conftest_session import make_account, make_user
from tests.settings import COOLSMS_OAUTH

pytestmark = pytest.mark.django_db

OTHER_KEY = "x1l2dJ0lq3Yk3mFfT6Y1bq3X5v0o8mQ3s3hYq8xGm0Q="


@pytest.fixture(autouse=True)
def _fresh_compilation() -> None:
    lookup._compiled.clear()


def expected_row(account: CoolSMSAccount) -> lookup.ConnectionRow:
    values = CoolSMSAccount.objects.filter(pk=account.pk).values_list(*lookup.FIELDS).get()
    return lookup.ConnectionRow(*values)


def test_the_row_equals_what_the_orm_reads() -> None:
    account = make_account(make_user(), access="access-lookup")
    row = lookup.connection_row(account.user_id)
    assert row == expected_row(account)
    assert row is not None and row.access_token == "access-lookup"
    assert row.expires_at.tzinfo is not None


def test_a_user_without_a_connection_has_no_row() -> None:
    make_account(make_user("alice"))
    assert lookup.connection_row(make_user("bob").pk) is None


def test_each_user_reads_their_own_row_through_one_compiled_query() -> None:
    first = make_account(make_user("alice"), access="access-alice")
    second = make_account(make_user("bob"), access="access-bob")
    assert lookup.connection_row(first.user_id) == expected_row(first)
    assert lookup.connection_row(second.user_id) == expected_row(second)
    assert list(lookup._compiled.values()) != [lookup._NOT_COMPILABLE]


def test_the_query_is_compiled_once_per_database_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = make_account(make_user())
    compiled: list[Any] = []
    original = lookup._compile

    def counting(*args: Any) -> Any:
        compiled.append(args)
        return original(*args)

    monkeypatch.setattr(lookup, "_compile", counting)
    for _ in range(3):
        lookup.connection_row(account.user_id)
    assert len(compiled) == 1


def test_the_read_is_one_query() -> None:
    account = make_account(make_user())
    lookup.connection_row(account.user_id)
    with CaptureQueriesContext(connection) as queries:
        lookup.connection_row(account.user_id)
    assert len(queries) == 1
    assert CoolSMSAccount._meta.db_table in queries[0]["sql"]


def test_a_compiled_form_that_does_not_check_out_runs_as_a_queryset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = make_account(make_user(), access="access-fallback")
    monkeypatch.setattr(lookup, "_parameter", lambda user_pk, connection: "not-the-parameter")
    assert lookup.connection_row(account.user_id) == expected_row(account)
    assert lookup.connection_row(make_user("bob").pk) is None
    assert list(lookup._compiled.values()) == [lookup._NOT_COMPILABLE]


def test_sc21_a_token_no_key_opens_fails_closed_through_the_compiled_read() -> None:
    account = make_account(make_user())
    lookup.connection_row(account.user_id)  # compiled with the right key
    with override_settings(COOLSMS_OAUTH={**COOLSMS_OAUTH, "ENCRYPTION_KEYS": [OTHER_KEY]}):
        with pytest.raises(DecryptionError):
            lookup.connection_row(account.user_id)
        with pytest.raises(DecryptionError):
            get_coolsms_session(account.user)


def test_a_new_key_added_first_still_reads_rows_written_with_the_old_one() -> None:
    account = make_account(make_user(), access="access-old-key")
    lookup.connection_row(account.user_id)
    keys = [OTHER_KEY, *COOLSMS_OAUTH["ENCRYPTION_KEYS"]]
    with override_settings(COOLSMS_OAUTH={**COOLSMS_OAUTH, "ENCRYPTION_KEYS": keys}):
        row = lookup.connection_row(account.user_id)
    assert row is not None and row.access_token == "access-old-key"


def test_get_coolsms_session_sees_a_change_made_after_the_compilation() -> None:
    account = make_account(make_user(), access="access-1")
    assert get_coolsms_session(account.user)._token == "access-1"
    later = account.expires_at + timedelta(hours=1)
    CoolSMSAccount.objects.filter(pk=account.pk).update(expires_at=later)
    account.access_token = "access-2"
    account.save(update_fields=["access_token"])
    session = get_coolsms_session(account.user)
    assert (session._token, session._token_expires) == ("access-2", later)


def test_a_key_the_orm_will_not_compile_is_answered_by_the_queryset_and_not_remembered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = make_account(make_user())
    original = lookup._queryset
    # An empty queryset compiles to EmptyResultSet, as an out-of-range key does.
    monkeypatch.setattr(lookup, "_queryset", lambda pk, using: original(pk, using).none())
    assert lookup.connection_row(account.user_id) is None
    assert len(lookup._compiled) == 0
    monkeypatch.setattr(lookup, "_queryset", original)
    assert lookup.connection_row(account.user_id) == expected_row(account)
    assert list(lookup._compiled.values()) != [lookup._NOT_COMPILABLE]
