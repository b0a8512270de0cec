"""The admin: list, search, filters, masked tokens and the disconnect action."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from coolsms_oauth_django import clock, signals
from coolsms_oauth_django.models import CoolSMSAccount, fingerprint

from .conftest import ACCESS_TOKEN, REFRESH_TOKEN, captured

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/coolsms_oauth/coolsmsaccount/"


@pytest.fixture
def account(user: AbstractBaseUser) -> CoolSMSAccount:
    now = clock.now()
    return CoolSMSAccount.objects.create(
        user=user,
        member_id="MEM0000000000001",
        email="gildong@example.com",
        access_token=ACCESS_TOKEN,
        refresh_token=REFRESH_TOKEN,
        scopes="users:read cash:read",
        expires_at=now + timedelta(hours=1),
        connected_at=now,
    )


@pytest.fixture
def staff(admin_client: Client) -> Client:
    return admin_client


def test_changelist_shows_the_connection_columns(staff: Client, account: CoolSMSAccount) -> None:
    page = staff.get(CHANGELIST).content.decode()
    for text in ("alice", "MEM0000000000001", "users:read cash:read", "Active"):
        assert text in page


def test_changelist_search_and_filter(staff: Client, account: CoolSMSAccount) -> None:
    assert "MEM0000000000001" in staff.get(CHANGELIST, {"q": "gildong"}).content.decode()
    assert "MEM0000000000001" not in staff.get(CHANGELIST, {"q": "nobody"}).content.decode()
    page = staff.get(CHANGELIST, {"status__exact": "needs_reconnect"}).content.decode()
    assert "MEM0000000000001" not in page


def test_sc22_admin_pages_never_show_a_token(staff: Client, account: CoolSMSAccount) -> None:
    pages = [
        staff.get(CHANGELIST).content.decode(),
        staff.get(f"{CHANGELIST}{account.pk}/change/").content.decode(),
    ]
    for page in pages:
        assert ACCESS_TOKEN not in page and REFRESH_TOKEN not in page
        assert ACCESS_TOKEN[:20] not in page
    assert fingerprint(ACCESS_TOKEN) in pages[1]


def test_change_page_survives_a_token_no_key_opens(
    staff: Client, account: CoolSMSAccount, settings: Any
) -> None:
    settings.COOLSMS_OAUTH = {
        **settings.COOLSMS_OAUTH,
        "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
    }
    page = staff.get(f"{CHANGELIST}{account.pk}/change/")
    assert page.status_code == 200
    assert "cannot be decrypted" in page.content.decode()


def test_saving_the_change_form_keeps_the_tokens(staff: Client, account: CoolSMSAccount) -> None:
    response = staff.post(f"{CHANGELIST}{account.pk}/change/", {})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.access_token == ACCESS_TOKEN
    assert account.refresh_token == REFRESH_TOKEN


def test_accounts_cannot_be_added_by_hand(staff: Client) -> None:
    assert staff.get(f"{CHANGELIST}add/").status_code == 403


def test_disconnect_action_deletes_and_signals(staff: Client, account: CoolSMSAccount) -> None:
    with captured(signals.account_disconnected) as received:
        response = staff.post(
            CHANGELIST,
            {"action": "disconnect_selected", "_selected_action": [account.pk]},
            follow=True,
        )
    assert "1 CoolSMS account disconnected." in response.content.decode()
    assert not CoolSMSAccount.objects.exists()
    assert [kwargs["member_id"] for kwargs in received] == ["MEM0000000000001"]


def test_deleting_from_the_admin_also_signals(staff: Client, account: CoolSMSAccount) -> None:
    with captured(signals.account_disconnected) as received:
        staff.post(f"{CHANGELIST}{account.pk}/delete/", {"post": "yes"})
    assert [kwargs["member_id"] for kwargs in received] == ["MEM0000000000001"]
    assert not CoolSMSAccount.objects.exists()
