"""The admin's "refresh now" action."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses
from django.test import Client

from coolsms_oauth_django.models import CoolSMSAccount

from .helpers.accounts import make_account, make_user, stored_tokens
from .helpers.coolsms import TOKEN_URL, token_body

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/coolsms_oauth/coolsmsaccount/"


def refresh_now(client: Client, *accounts: CoolSMSAccount) -> Any:
    return client.post(
        CHANGELIST,
        {"action": "refresh_selected", "_selected_action": [a.pk for a in accounts]},
        follow=True,
    )


@responses.activate
def test_refresh_now_refreshes_even_a_fresh_token(admin_client: Client) -> None:
    account = make_account(make_user("bob"), expires_in=7200)
    responses.post(TOKEN_URL, json=token_body("access-2", "refresh-2", expires_in=3600))
    page = refresh_now(admin_client, account).content.decode()
    assert "1 CoolSMS account refreshed." in page
    assert stored_tokens(account) == ("access-2", "refresh-2")
    assert "access-2" not in page and "refresh-2" not in page


@responses.activate
def test_refresh_now_reports_failures_and_shows_the_last_error(
    admin_client: Client, settings: Any
) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "REFRESH_BACKOFF": 0}
    good = make_account(make_user("bob"), refresh="good")
    bad = make_account(make_user("carol"), refresh="bad")

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        if b'"bad"' in request.body:
            return 403, {}, '{"errorCode": "InvalidGrant", "errorMessage": "revoked"}'
        return 200, {}, json.dumps(token_body("access-2", refresh_token=None))

    responses.add_callback(responses.POST, TOKEN_URL, callback=answer)
    page = refresh_now(admin_client, good, bad).content.decode()
    assert "1 CoolSMS account refreshed." in page
    assert "1 CoolSMS account could not be refreshed" in page
    assert CoolSMSAccount.objects.get(pk=bad.pk).status == CoolSMSAccount.NEEDS_RECONNECT
    change = admin_client.get(f"{CHANGELIST}{bad.pk}/change/").content.decode()
    assert "InvalidGrant" in change
    assert "last refreshed at" in change.lower()
    again = refresh_now(admin_client, bad).content.decode()
    assert "refreshed." not in again
    assert "1 CoolSMS account could not be refreshed" in again
