"""The admin: list, search, filters, masked tokens, a read-only page and the disconnect action."""

from __future__ import annotations

import re
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import AbstractBaseUser, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.common import make_connections
from coolsms_oauth_django import accounts, signals
from coolsms_oauth_django.models import CoolSMSAccount, fingerprint

from .helpers.coolsms import ACCESS_TOKEN, REFRESH_TOKEN
from .helpers.flows import PASSWORD, captured

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/coolsms_oauth/coolsmsaccount/"


def disconnect(client: Client, pks: list[Any], *, confirmed: bool) -> Any:
    """Run "Disconnect" on ``pks`` from the list; ``confirmed`` answers its confirmation page."""
    data: dict[str, Any] = {"action": "delete_selected", "_selected_action": pks}
    if confirmed:
        data["post"] = "yes"
    return client.post(CHANGELIST, data)


def queries_of(function: Any, *args: Any, **kwargs: Any) -> list[str]:
    """Return the SQL of every query ``function(*args, **kwargs)`` ran."""
    with CaptureQueriesContext(connection) as context:
        function(*args, **kwargs)
    return [query["sql"] for query in context.captured_queries]


def test_changelist_shows_the_connection_columns(
    admin_client: Client, profiled_account: CoolSMSAccount
) -> None:
    page = admin_client.get(CHANGELIST).content.decode()
    for text in ("alice", "MEM0000000000001", "users:read cash:read", "Active"):
        assert text in page


def test_search_finds_an_exact_member_id_only(
    admin_client: Client, profiled_account: CoolSMSAccount
) -> None:
    assert (
        "MEM0000000000001"
        in admin_client.get(CHANGELIST, {"q": "MEM0000000000001 "}).content.decode()
    )
    assert (
        "MEM0000000000001" not in admin_client.get(CHANGELIST, {"q": "0000000001"}).content.decode()
    )


def test_search_finds_the_beginning_of_a_username(
    admin_client: Client, profiled_account: CoolSMSAccount
) -> None:
    assert "MEM0000000000001" in admin_client.get(CHANGELIST, {"q": "ali"}).content.decode()
    for elsewhere in ("lice", "gildong"):
        page = admin_client.get(CHANGELIST, {"q": elsewhere}).content.decode()
        assert "MEM0000000000001" not in page, elsewhere
    assert "the beginning of a username" in admin_client.get(CHANGELIST).content.decode()


def test_filter_by_status(admin_client: Client, profiled_account: CoolSMSAccount) -> None:
    page = admin_client.get(CHANGELIST, {"status__exact": "needs_reconnect"}).content.decode()
    assert "MEM0000000000001" not in page
    page = admin_client.get(CHANGELIST, {"status__exact": "active"}).content.decode()
    assert "MEM0000000000001" in page


def test_the_list_reads_the_same_queries_for_one_row_and_many(admin_client: Client) -> None:
    make_connections(1, prefix="one")
    one = queries_of(admin_client.get, CHANGELIST)
    make_connections(60, prefix="many")
    many = queries_of(admin_client.get, CHANGELIST)
    assert len(one) == len(many)


def test_a_filtered_list_counts_only_its_own_rows(admin_client: Client) -> None:
    make_connections(20)
    for params in ({"status__exact": "active"}, {"q": "user00000"}):
        sql = queries_of(admin_client.get, CHANGELIST, params)
        counts = [query for query in sql if "COUNT(" in query.upper()]
        assert len(counts) == 1 and "WHERE" in counts[0].upper(), counts


def test_the_list_has_no_date_hierarchy(
    admin_client: Client, profiled_account: CoolSMSAccount
) -> None:
    sql = queries_of(admin_client.get, CHANGELIST)
    assert not [query for query in sql if "MIN(" in query.upper() or "MAX(" in query.upper()]
    assert 'class="xfull"' not in admin_client.get(CHANGELIST).content.decode()


def test_sc22_admin_pages_never_show_a_token(
    admin_client: Client, profiled_account: CoolSMSAccount
) -> None:
    pages = [
        admin_client.get(CHANGELIST).content.decode(),
        admin_client.get(f"{CHANGELIST}{profiled_account.pk}/change/").content.decode(),
    ]
    for page in pages:
        assert ACCESS_TOKEN not in page and REFRESH_TOKEN not in page
        assert ACCESS_TOKEN[:20] not in page
    assert fingerprint(ACCESS_TOKEN) in pages[1]


def test_change_page_survives_a_token_no_key_opens(
    admin_client: Client, profiled_account: CoolSMSAccount, settings: Any
) -> None:
    settings.COOLSMS_OAUTH = {
        **settings.COOLSMS_OAUTH,
        "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
    }
    page = admin_client.get(f"{CHANGELIST}{profiled_account.pk}/change/")
    assert page.status_code == 200
    assert "cannot be decrypted" in page.content.decode()


def test_the_connection_page_is_read_only_without_save_buttons(
    admin_client: Client, profiled_account: CoolSMSAccount
) -> None:
    page = admin_client.get(f"{CHANGELIST}{profiled_account.pk}/change/").content.decode()
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert "View CoolSMS account" in page
    assert f"{CHANGELIST}{profiled_account.pk}/delete/" in page  # disconnecting stays possible


def test_titles_name_the_user_by_username(
    admin_client: Client, profiled_account: CoolSMSAccount
) -> None:
    for url in (
        f"{CHANGELIST}{profiled_account.pk}/change/",
        f"{CHANGELIST}{profiled_account.pk}/delete/",
    ):
        page = admin_client.get(url).content.decode()
        assert "CoolSMS MEM0000000000001 of alice" in page, url
        assert f"of user {profiled_account.user_id}" not in page


def test_posting_the_connection_page_changes_nothing(
    admin_client: Client, profiled_account: CoolSMSAccount
) -> None:
    response = admin_client.post(
        f"{CHANGELIST}{profiled_account.pk}/change/", {"scopes": "changed"}
    )
    assert response.status_code == 403
    profiled_account.refresh_from_db()
    assert profiled_account.scopes == "users:read cash:read"
    assert (profiled_account.access_token, profiled_account.refresh_token) == (
        ACCESS_TOKEN,
        REFRESH_TOKEN,
    )


def test_staff_who_may_change_connections_may_refresh_them(
    django_user_model: Any, profiled_account: CoolSMSAccount
) -> None:
    staff_user = django_user_model.objects.create_user(
        username="operator", password=PASSWORD, is_staff=True
    )
    client = Client()
    client.force_login(staff_user)
    staff_user.user_permissions.add(Permission.objects.get(codename="view_coolsmsaccount"))
    options = client.get(CHANGELIST).content.decode()
    assert "Refresh tokens of selected" not in options
    staff_user.user_permissions.add(Permission.objects.get(codename="change_coolsmsaccount"))
    assert "Refresh tokens of selected" in client.get(CHANGELIST).content.decode()


def test_accounts_cannot_be_added_by_hand(admin_client: Client) -> None:
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403


def test_the_list_offers_one_disconnect_action(
    admin_client: Client, profiled_account: CoolSMSAccount
) -> None:
    page = admin_client.get(CHANGELIST).content.decode()
    assert page.count("Disconnect selected CoolSMS accounts") == 1
    assert "Delete selected" not in page


def test_disconnect_asks_for_confirmation_first(
    admin_client: Client, profiled_account: CoolSMSAccount
) -> None:
    with captured(signals.account_disconnected) as received:
        response = disconnect(admin_client, [profiled_account.pk], confirmed=False)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Are you sure" in page and "CoolSMS MEM0000000000001 of alice" in page
    assert received == [] and CoolSMSAccount.objects.filter(pk=profiled_account.pk).exists()


def test_disconnect_after_confirmation_deletes_and_signals(
    admin_client: Client, profiled_account: CoolSMSAccount
) -> None:
    with captured(signals.account_disconnected) as received:
        response = disconnect(admin_client, [profiled_account.pk], confirmed=True)
    assert response.status_code == 302
    page = admin_client.get(response["Location"]).content.decode()
    assert "Successfully deleted 1 CoolSMS account." in page
    assert not CoolSMSAccount.objects.exists()
    assert [(kwargs["user"].username, kwargs["member_id"]) for kwargs in received] == [
        ("alice", "MEM0000000000001")
    ]
    assert received[0]["request"] is not None


def test_disconnect_runs_the_same_queries_for_one_row_and_many(admin_client: Client) -> None:
    make_connections(81)
    pks = list(CoolSMSAccount.objects.order_by("pk").values_list("pk", flat=True))
    counted = {}
    for label, chosen in (("one", pks[:1]), ("many", pks[1:])):
        for confirmed in (False, True):
            with captured(signals.account_disconnected) as received:
                sql = queries_of(disconnect, admin_client, chosen, confirmed=confirmed)
            counted[label, confirmed] = len(sql)
        assert len(received) == len(chosen)
    assert counted["one", False] == counted["many", False]
    assert counted["one", True] == counted["many", True]
    assert not CoolSMSAccount.objects.exists()


def test_deleting_from_the_admin_also_signals(
    admin_client: Client, profiled_account: CoolSMSAccount
) -> None:
    with captured(signals.account_disconnected) as received:
        admin_client.post(f"{CHANGELIST}{profiled_account.pk}/delete/", {"post": "yes"})
    assert [kwargs["member_id"] for kwargs in received] == ["MEM0000000000001"]
    assert not CoolSMSAccount.objects.exists()


@pytest.mark.parametrize("count", [1, 50])
def test_disconnect_all_reads_once_and_deletes_once(count: int) -> None:
    make_connections(count + 3)
    pks = list(CoolSMSAccount.objects.order_by("pk").values_list("pk", flat=True)[:count])
    chosen = CoolSMSAccount.objects.filter(pk__in=pks)
    wanted = set(chosen.values_list("user__username", "member_id"))
    with (
        captured(signals.account_disconnected) as received,
        CaptureQueriesContext(connection) as context,
    ):
        assert accounts.disconnect_all(chosen) == count
    statements = [query["sql"].split()[0].upper() for query in context.captured_queries]
    assert [s for s in statements if s in ("SELECT", "DELETE")] == ["SELECT", "DELETE"]
    assert {(kwargs["user"].username, kwargs["member_id"]) for kwargs in received} == wanted
    assert len(received) == count
    assert CoolSMSAccount.objects.count() == 3


def admin_queryset(rf: Any, admin_user: AbstractBaseUser, **params: str) -> Any:
    """Return the queryset of the list's first page, as the admin builds it for ``params``."""
    from django.contrib import admin

    request = rf.get(CHANGELIST, params)
    request.user = admin_user
    changelist = admin.site.get_model_admin(CoolSMSAccount).get_changelist_instance(request)
    return changelist.queryset[: changelist.list_per_page]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({}, "coolsms_connected_idx"),
        ({"status__exact": "needs_reconnect"}, "coolsms_status_idx"),
        ({"q": "MEM-user-0000042"}, "coolsms_oauth_coolsmsaccount_member_id_"),
        ({"q": "user00004"}, "auth_user_username_"),
    ],
)
def test_the_list_and_its_searches_read_an_index(
    rf: Any, admin_user: AbstractBaseUser, params: dict[str, str], index: str
) -> None:
    make_connections(2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE coolsms_oauth_coolsmsaccount")
        cursor.execute("ANALYZE auth_user")
        # At this size a sequential scan is cheaper; forbid it, so the plan shows whether an
        # index can answer the query at all (a substring search, for one, cannot).
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = admin_queryset(rf, admin_user, **params).explain()
    assert re.search(rf"(using|on) {index}", plan), plan
    assert "Seq Scan on coolsms_oauth_coolsmsaccount" not in plan, plan
