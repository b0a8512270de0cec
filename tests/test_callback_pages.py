"""What the confirmation page and the callback's pages tell the user."""

from __future__ import annotations

import pytest
import responses
from django.test import Client

from coolsms_oauth_django import endpoints
from coolsms_oauth_django.models import CoolSMSAccount

from .helpers.coolsms import PROFILE
from .helpers.flows import callback, connect_through_flow, start_flow

pytestmark = pytest.mark.django_db

INVALID = "This link is not valid. Please connect again."
ALREADY = "is already connected. This connection link is no longer needed."


def replay_of_a_finished_flow(client: Client) -> str:
    """Connect through a flow, then send its callback again; return the page's text."""
    params = start_flow(client)
    assert callback(client, code="code-1", state=params["state"]).status_code == 302
    replay = callback(client, code="code-1", state=params["state"])
    assert replay.status_code == 400
    return replay.content.decode()


def test_a_replayed_callback_of_a_connected_user_says_it_is_connected(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    page = replay_of_a_finished_flow(logged_in)
    assert f"Your CoolSMS account {PROFILE['memberId']} {ALREADY}" in page
    assert INVALID not in page
    # The link leads where a finished connection lands (CONNECT_REDIRECT_URL).
    assert '<a href="/" id="coolsms-connected-continue">' in page


def test_a_second_tab_with_an_unknown_state_says_the_user_is_connected(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    connect_through_flow(logged_in)
    page = callback(logged_in, code="code-2", state="state-of-a-flow-this-session-forgot")
    assert page.status_code == 400
    assert ALREADY in page.content.decode()


def test_the_already_connected_page_is_in_korean_for_a_korean_browser(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    connect_through_flow(logged_in)
    page = logged_in.get(
        "/coolsms/callback/", {"code": "c", "state": "s"}, headers={"accept-language": "ko"}
    )
    assert f"쿨에스엠에스 계정 {PROFILE['memberId']}은(는) 이미 연결되어 있습니다." in (
        page.content.decode()
    )


def test_a_replayed_callback_of_a_connection_needing_renewal_asks_to_connect_again(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    connect_through_flow(logged_in)
    CoolSMSAccount.objects.update(status=CoolSMSAccount.NEEDS_RECONNECT)
    page = callback(logged_in, code="code-1", state="unknown").content.decode()
    assert INVALID in page
    assert 'id="coolsms-connect-link"' in page


def test_an_unknown_state_of_a_user_not_connected_asks_to_connect_again(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    page = callback(logged_in, code="code-1", state="unknown").content.decode()
    assert INVALID in page
    assert ALREADY not in page


def test_a_wrong_issuer_is_refused_even_for_a_connected_user(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    connect_through_flow(logged_in)
    params = start_flow(logged_in)
    page = callback(logged_in, code="code-1", state=params["state"], iss="https://evil.test")
    assert page.status_code == 400
    assert INVALID in page.content.decode()


@pytest.mark.parametrize(
    ("language", "meanings"),
    [
        ("en", ["Read your member profile", "Read your balance and points"]),
        ("ko", ["회원 정보 조회", "잔액 및 포인트 조회", "메시지 발송"]),
    ],
)
def test_the_confirmation_page_lists_what_each_scope_allows(
    logged_in: Client, language: str, meanings: list[str]
) -> None:
    page = logged_in.get("/coolsms/connect/", headers={"accept-language": language})
    text = page.content.decode()
    for meaning in meanings:
        assert meaning in text
    for scope in ("users:read", "cash:read", "message:write"):
        meaning = endpoints.scope_meaning(scope, language)
        assert f'<li>{meaning} <code class="coolsms-scope">{scope}</code></li>' in text


def test_a_scope_coolsms_does_not_document_is_shown_as_it_is() -> None:
    assert endpoints.scope_meaning("beta:write", "ko") == "beta:write"
    assert endpoints.scope_meaning("message:write", "ko-kr") == "메시지 발송"
    assert endpoints.scope_meaning("message:write", None) == "Send messages on your behalf"
