"""The example's other buttons and links, and the callback's page for a link already used.

The admin's actions are pressed in ``test_admin_journey.py``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from ..helpers.browser import (
    SANDBOX_MEMBER_ID,
    SANDBOX_PHONE,
    SECOND_SANDBOX_USER,
    SITE_ADMIN,
    Demo,
    approve,
    connect,
    consent,
    log_in,
    log_in_not_connected,
    sandbox_log_in,
    screenshot,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from ..helpers.browser import PageFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CALLBACK = re.compile(r"/coolsms/callback/\?")


def connected_page(new_page: PageFactory, demo: Demo, locale: str = "en-US") -> Page:
    """Return a page of the demo user, signed in and connected afresh."""
    page = new_page(locale)
    log_in_not_connected(page, demo)
    connect(page, demo)
    assert page.locator("#profile-name").is_visible()
    return page


@pytest.mark.presses("back-to-dashboard")
def test_send_page_prefills_the_from_number(demo: Demo, new_page: PageFactory) -> None:
    page = connected_page(new_page, demo)
    page.goto(demo.site_url + "send/")
    assert page.locator("#id_sender").input_value() == SANDBOX_PHONE
    assert page.locator("#id_to").input_value() == ""
    page.click("#back-to-dashboard")
    page.wait_for_url(demo.site_url)
    assert page.locator("#profile-name").inner_text() == "김쿨문"
    # The dashboard's form fills it in the same way.
    assert page.locator("#id_sender").input_value() == SANDBOX_PHONE


@pytest.mark.presses("switch-form")
def test_another_sandbox_account_connects_that_member(demo: Demo, new_page: PageFactory) -> None:
    page = new_page()
    log_in_not_connected(page, demo)
    page.click("#coolsms-connect")
    sandbox_log_in(page)
    assert page.locator("#member-login").inner_text() == "demo@sandbox.coolsms.test"
    # "Use another account" at CoolSMS: back to its login page.
    page.click("#switch-account")
    sandbox_log_in(page, SECOND_SANDBOX_USER)
    assert page.locator("#member").inner_text() == "이문자"
    approve(page, demo)

    assert page.locator("#profile-name").inner_text() == "이문자"
    assert demo.stored_connections() == [("demo", "MEM0SANDBOX0002", "active")]
    # The send page pre-fills this member's number.
    page.goto(demo.site_url + "send/")
    assert page.locator("#id_sender").input_value() == "01000000002"
    page.click("#back-to-dashboard")
    page.wait_for_url(demo.site_url)
    page.click("#coolsms-disconnect")
    page.wait_for_selector("#not-connected")


@pytest.mark.presses("coolsms-connected-continue")
def test_a_replayed_callback_says_the_account_is_connected(
    demo: Demo, new_page: PageFactory
) -> None:
    page = new_page()
    log_in_not_connected(page, demo)
    page.click("#coolsms-connect")
    with page.expect_request(CALLBACK) as sent:
        consent(page, demo)
    assert demo.stored_connections() == [("demo", SANDBOX_MEMBER_ID, "active")]

    # The same callback URL again (a reload, a bookmark, a second tab).
    response = page.goto(sent.value.url)
    assert response is not None and response.status == 400
    status = page.locator("[role=status]")
    assert status.inner_text() == (
        f"Your CoolSMS account {SANDBOX_MEMBER_ID} is already connected. "
        "This connection link is no longer needed."
    )
    assert page.locator("[role=alert]").count() == 0
    screenshot(page, "already-connected")
    page.click("#coolsms-connected-continue")
    page.wait_for_url(demo.site_url)
    assert page.locator("#profile-name").inner_text() == "김쿨문"
    assert demo.stored_connections() == [("demo", SANDBOX_MEMBER_ID, "active")]


def test_back_to_coolsms_and_approving_again_says_the_account_is_connected(
    demo: Demo, new_page: PageFactory
) -> None:
    page = connected_page(new_page, demo, "ko-KR")
    # Back to the consent page, approved a second time: its state was used already.
    page.go_back()
    page.wait_for_selector("#consent-form")
    approve(page, demo)
    assert CALLBACK.search(page.url)
    assert (
        page.locator("[role=status]")
        .inner_text()
        .startswith(f"쿨에스엠에스 계정 {SANDBOX_MEMBER_ID}은(는) 이미 연결되어 있습니다.")
    )
    assert demo.stored_connections() == [("demo", SANDBOX_MEMBER_ID, "active")]


@pytest.mark.presses("site-login-form", "admin-link", "brand", "logout")
def test_header_links_and_logging_out(demo: Demo, new_page: PageFactory) -> None:
    page = new_page()
    log_in(page, demo, SITE_ADMIN)
    page.click("#admin-link")
    page.wait_for_url(demo.site_url + "admin/")
    assert page.locator("#site-name").is_visible()  # Django's admin index

    page.goto(demo.site_url + "coolsms/connect/")
    page.click("#brand")
    page.wait_for_url(demo.site_url)
    assert page.locator("#not-connected").is_visible()

    page.click("#logout")
    page.wait_for_url(demo.site_url + "accounts/login/")
    assert page.locator("#site-login-form").is_visible()
    page.goto(demo.site_url)  # signed out: the dashboard asks to log in
    assert page.url.startswith(demo.site_url + "accounts/login/?next=")
