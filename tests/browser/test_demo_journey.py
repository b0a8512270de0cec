"""The demo as a person uses it: Chromium driving ``example_project/demo.py`` and the sandbox.

The demo runs exactly as ``make demo`` runs it (a subprocess of ``example_project/demo.py``),
on free ports and with a database of its own. Screenshots of the main steps go to
``build/screenshots/`` (``SCREENSHOT_DIR`` overrides); ``make screenshots`` writes them to
``docs/screenshots/``, where the README shows three of them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from ..helpers.browser import (
    SANDBOX_MEMBER_ID,
    SANDBOX_PHONE,
    SITE_ADMIN,
    Demo,
    approve,
    disconnect_if_connected,
    log_in,
    sandbox_log_in,
    screenshot,
)

if TYPE_CHECKING:
    from ..helpers.browser import PageFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SMS_RESULT_FIELDS = (
    "groupId",
    "messageId",
    "accountId",
    "statusCode",
    "statusMessage",
    "to",
    "from",
    "type",
    "country",
)


@pytest.mark.presses(
    "site-login-form", "coolsms-connect", "login-form", "approve", "send-form", "coolsms-disconnect"
)
def test_connect_send_and_disconnect(demo: Demo, new_page: PageFactory) -> None:
    page = new_page()
    log_in(page, demo)
    disconnect_if_connected(page, demo)
    assert page.locator("#not-connected").is_visible()
    screenshot(page, "connect-button")

    page.click("#coolsms-connect")
    sandbox_log_in(page)
    assert page.url.startswith(demo.sandbox_url + "/oauth2/v1/authorize")
    scopes = page.locator("#scopes").inner_text()
    for scope in ("users:read", "cash:read", "message:write"):
        assert scope in scopes
    screenshot(page, "consent")
    approve(page, demo)

    assert "Your CoolSMS account is connected." in page.locator(".messages").inner_text()
    assert page.locator("#profile-name").inner_text() == "김쿨문"
    assert SANDBOX_MEMBER_ID in page.locator("#profile").inner_text()
    assert page.locator("#balance-amount").inner_text() == "10,000 KRW"
    assert demo.stored_connections() == [("demo", SANDBOX_MEMBER_ID, "active")]

    # CoolSMS not answering (a dropped connection) is a notice on the page, not an error page.
    demo.sandbox("faults", {"path": "/cash/v1/balance", "drop": True})
    response = page.reload()
    assert response is not None and response.status == 200
    assert "could not be reached" in page.locator("#problem").inner_text()
    assert page.locator("#profile-name").inner_text() == "김쿨문"
    # And an error answer is named.
    demo.sandbox(
        "faults",
        {
            "path": "/users/v1/member",
            "status": 500,
            "body": {"errorCode": "InternalError", "errorMessage": "Try again later"},
        },
    )
    page.reload()
    assert "InternalError Try again later" in page.locator("#problem").inner_text()
    page.reload()
    assert page.locator("#problem").count() == 0

    page.fill("#id_to", "01012345678")
    page.fill("#id_text", "Your order has shipped.")
    page.click("#send-submit")
    page.wait_for_selector("#last-sms")
    answer = {
        field: page.locator(f'#last-sms dd[data-field="{field}"]').inner_text()
        for field in SMS_RESULT_FIELDS
    }
    assert answer["statusCode"] == "2000"
    assert answer["to"] == "01012345678" and answer["from"] == SANDBOX_PHONE
    assert answer["type"] == "SMS" and answer["country"] == "82"
    assert all(answer.values()), answer
    # The sandbox recorded the message, and charged for it.
    sent = [m for m in demo.sandbox("messages") if m["text"] == "Your order has shipped."]
    assert len(sent) == 1 and sent[0]["to"] == "01012345678"
    assert page.locator("#balance-amount").inner_text() == "9,980 KRW"
    screenshot(page, "connected-dashboard")

    # The superuser sees the connection in the admin, with fingerprints instead of tokens.
    admin = new_page()
    log_in(admin, demo, SITE_ADMIN)
    admin.goto(demo.site_url + "admin/coolsms_oauth/coolsmsaccount/")
    assert SANDBOX_MEMBER_ID in admin.locator("#result_list").inner_text()
    options = admin.locator("select[name=action] option").all_inner_texts()
    assert "Refresh tokens of selected CoolSMS accounts now" in options
    assert "Disconnect selected CoolSMS accounts" in options
    admin.click("#result_list tbody th a")
    fingerprints = admin.locator(".field-token_fingerprints").inner_text()
    assert re.search(r"access sha256:[0-9a-f]{10}… · refresh sha256:[0-9a-f]{10}…", fingerprints)
    assert "eyJ" not in admin.content()  # no JWT anywhere on the page
    screenshot(admin, "admin")

    page.click("#coolsms-disconnect")
    page.wait_for_selector("#not-connected")
    assert "Your CoolSMS account is disconnected." in page.locator(".messages").inner_text()
    assert demo.stored_connections() == []


@pytest.mark.presses("coolsms-connect", "deny")
def test_deny_comes_back_with_a_friendly_message_and_stores_nothing(
    demo: Demo, new_page: PageFactory
) -> None:
    # A Korean browser: the site follows its Accept-Language.
    page = new_page(locale="ko-KR")
    log_in(page, demo)
    disconnect_if_connected(page, demo)
    assert page.locator("html").get_attribute("lang") == "ko"
    page.click("#coolsms-connect")
    sandbox_log_in(page)
    page.click("#deny")
    page.wait_for_url(demo.site_url)

    assert "거부하셨습니다" in page.locator(".messages").inner_text()
    assert page.locator("#coolsms-connect").inner_text() == "쿨에스엠에스 연결"
    screenshot(page, "denied-ko")
    assert demo.stored_connections() == []


@pytest.mark.presses("coolsms-reconnect", "language-switcher", "coolsms-disconnect")
def test_revoked_connection_shows_the_reconnect_page(demo: Demo, new_page: PageFactory) -> None:
    page = new_page()
    log_in(page, demo)
    disconnect_if_connected(page, demo)
    page.click("#coolsms-connect")
    sandbox_log_in(page)
    approve(page, demo)
    assert page.locator("#profile-name").is_visible()

    # The member revokes the site's access at CoolSMS while the dashboard is open. Sending
    # now fails at CoolSMS; CoolSMSMiddleware turns that into the app's connect page.
    # (Earlier grants are revoked too: CoolSMS has no revocation endpoint for disconnecting.)
    assert demo.sandbox("revoke", {"memberId": SANDBOX_MEMBER_ID})["revoked"] >= 1
    page.fill("#id_to", "01012345678")
    page.click("#send-submit")
    page.wait_for_url(re.compile(r"/coolsms/connect/\?next="))
    assert page.locator("#coolsms-continue").is_visible()
    assert demo.stored_connections() == [("demo", SANDBOX_MEMBER_ID, "needs_reconnect")]

    # The dashboard explains what happened and leads back to CoolSMS; never an error page.
    response = page.goto(demo.site_url)
    assert response is not None and response.status == 200
    assert page.locator("#reconnect").is_visible()
    assert page.locator(".coolsms-status").inner_text().startswith("Needs reconnecting")

    # The language switcher puts the site in Korean.
    page.select_option("#language-switcher select", "ko")
    page.wait_for_selector("html[lang=ko]")
    assert "쿨에스엠에스 연결을 다시 해야 합니다" in page.locator("#reconnect").inner_text()
    screenshot(page, "reconnect-ko")

    page.click("#coolsms-reconnect")
    page.wait_for_selector("#consent-form")  # still logged in at the sandbox
    approve(page, demo)
    assert page.locator("#profile-name").inner_text() == "김쿨문"
    assert demo.stored_connections() == [("demo", SANDBOX_MEMBER_ID, "active")]

    page.click("#coolsms-disconnect")
    page.wait_for_selector("#not-connected")
    assert demo.stored_connections() == []
