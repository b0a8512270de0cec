"""Hardening of the HTTP side: error reports, deadlines, bounded answers, the 401 rule,
the plain-HTTP loopback rule. Each test is named after its line in the README's security table.
"""

from __future__ import annotations

from typing import Any

import pytest
import responses

from coolsms_oauth_django import endpoints
from coolsms_oauth_django.session import CoolSMSSession
from tests.conftest_session import FAKE_BASE, FAKE_TOKEN_URL, make_account, make_user, token_body

pytestmark = pytest.mark.django_db

BALANCE_URL = FAKE_BASE + endpoints.BALANCE_PATH
OTHER_URL = "https://hooks.example.com/notify"


@pytest.fixture
def session() -> Any:
    account = make_account(make_user())
    with CoolSMSSession(account) as opened:
        yield opened


# --- H6: a 401 from another host is that host's answer ---------------------------------------


@responses.activate
def test_h06_a_401_from_another_host_is_neither_refreshed_nor_sent_again(
    session: CoolSMSSession,
) -> None:
    # The caller brings its own bearer token for the other service.
    responses.post(OTHER_URL, status=401)
    responses.post(FAKE_TOKEN_URL, json=token_body("access-2"))
    headers = {"Authorization": "Bearer token-of-the-other-service"}
    with session.post(OTHER_URL, json={"event": "sent"}, headers=headers) as answer:
        assert answer.status_code == 401
    assert [call.request.url for call in responses.calls] == [OTHER_URL]


@responses.activate
def test_h06_a_401_from_coolsms_still_refreshes_and_sends_once_more(
    session: CoolSMSSession,
) -> None:
    responses.get(BALANCE_URL, status=401)
    responses.get(BALANCE_URL, json={"balance": 3})
    responses.post(FAKE_TOKEN_URL, json=token_body("access-2"))
    assert session.get_balance() == {"balance": 3}
    assert [call.request.url for call in responses.calls] == [
        BALANCE_URL,
        FAKE_TOKEN_URL,
        BALANCE_URL,
    ]
