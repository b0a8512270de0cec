"""The app's confirmation page (GET ``/coolsms/connect/``) in Chromium, from each way in.

Each way in ends by pressing "Continue to CoolSMS", approving at the sandbox and landing back
on the site, connected, in English and in Korean. The page must not set a referrer policy
that makes the browser send ``Origin: null`` with its form, which Django's CSRF check refuses.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from coolsms_oauth_django import endpoints

from ..helpers.browser import (
    SANDBOX_MEMBER_ID,
    Demo,
    connect,
    consent,
    log_in_not_connected,
    screenshot,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from ..helpers.browser import PageFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: What the pages say, per browser language.
TEXTS = {
    "en-US": {
        "heading": "Connect your CoolSMS account",
        "continue": "Continue to CoolSMS",
        "connected": "Your CoolSMS account is connected.",
        "invalid": "This link is not valid. Please connect again.",
        "send": "Send a test SMS",
        "scope": "Send messages on your behalf message:write",
    },
    "ko-KR": {
        "heading": "쿨에스엠에스 계정 연결",
        "continue": "쿨에스엠에스로 계속",
        "connected": "쿨에스엠에스 계정이 연결되었습니다.",
        "invalid": "유효하지 않은 링크입니다. 다시 연결해 주세요.",
        "send": "테스트 문자 보내기",
        "scope": "메시지 발송 message:write",
    },
}
LOCALES = pytest.mark.parametrize("locale", sorted(TEXTS))


def continue_to_coolsms(page: Page, demo: Demo, locale: str) -> None:
    """On the confirmation page: check what it says, press the button, approve at CoolSMS."""
    texts = TEXTS[locale]
    assert page.locator("h1").inner_text() == texts["heading"]
    # Each scope by what it allows, in the page's language, its code beside it.
    lines = page.locator("#coolsms-scopes li").all_inner_texts()
    codes = [line.rsplit(" ", 1)[-1] for line in lines]
    assert lines == [f"{endpoints.scope_meaning(code, locale)} {code}" for code in codes]
    assert texts["scope"] in lines
    button = page.locator("#coolsms-continue")
    assert button.inner_text() == texts["continue"]
    with page.expect_response(re.compile(r"/coolsms/connect/")) as posted:
        button.click()
    # The form's POST is answered with the redirect to CoolSMS, not a CSRF 403.
    assert posted.value.request.method == "POST"
    assert posted.value.status == 302, posted.value.text()
    consent(page, demo)


def assert_connected_at(page: Page, demo: Demo, locale: str, path: str) -> None:
    """Check the flow came back to ``path`` with the success message and stored the connection."""
    assert page.url == demo.site_url + path
    assert TEXTS[locale]["connected"] in page.locator(".messages").inner_text()
    assert demo.stored_connections() == [("demo", SANDBOX_MEMBER_ID, "active")]


@LOCALES
@pytest.mark.presses("coolsms-continue")
def test_confirmation_page_opened_directly(demo: Demo, new_page: PageFactory, locale: str) -> None:
    page = new_page(locale)
    log_in_not_connected(page, demo)
    page.goto(demo.site_url + "coolsms/connect/")
    screenshot(page, f"confirmation-{locale}")
    continue_to_coolsms(page, demo, locale)
    assert_connected_at(page, demo, locale, "")


@LOCALES
@pytest.mark.presses("send-form", "coolsms-continue")
def test_confirmation_page_after_the_reconnect_redirect_returns_to_next(
    demo: Demo, new_page: PageFactory, locale: str
) -> None:
    page = new_page(locale)
    log_in_not_connected(page, demo)
    connect(page, demo)
    # Revoked at CoolSMS: sending raises ReconnectRequired, which CoolSMSMiddleware answers
    # with the confirmation page and ``next`` pointing back at the send page.
    assert demo.sandbox("revoke", {"memberId": SANDBOX_MEMBER_ID})["revoked"] >= 1
    page.fill("#id_to", "01012345678")
    page.click("#send-submit")
    page.wait_for_url(re.compile(r"/coolsms/connect/\?next=%2Fsend%2F$"))
    assert page.locator(".coolsms-error").is_visible()  # "no longer works"
    continue_to_coolsms(page, demo, locale)
    assert_connected_at(page, demo, locale, "send/")
    assert page.locator("h1").inner_text() == TEXTS[locale]["send"]


@LOCALES
@pytest.mark.presses("coolsms-connect-link", "coolsms-continue")
def test_confirmation_page_from_the_callback_error_page(
    demo: Demo, new_page: PageFactory, locale: str
) -> None:
    page = new_page(locale)
    log_in_not_connected(page, demo)
    response = page.goto(demo.site_url + "coolsms/callback/?code=forged&state=forged")
    assert response is not None and response.status == 400
    assert page.locator("[role=alert]").inner_text() == TEXTS[locale]["invalid"]
    screenshot(page, f"callback-error-{locale}")
    page.click("#coolsms-connect-link")
    page.wait_for_url(demo.site_url + "coolsms/connect/")
    continue_to_coolsms(page, demo, locale)
    assert_connected_at(page, demo, locale, "")


@pytest.mark.presses("language-switcher")
def test_forms_on_a_page_the_callback_renders_pass_the_csrf_check(
    demo: Demo, new_page: PageFactory
) -> None:
    # The callback's pages keep the code in their URL, so they send Referers only to this
    # site; their forms (here the example's language switcher) must still carry an Origin.
    page = new_page()
    log_in_not_connected(page, demo)
    callback_url = demo.site_url + "coolsms/callback/?code=forged&state=forged"
    page.goto(callback_url)
    assert page.locator("[role=alert]").inner_text() == TEXTS["en-US"]["invalid"]
    with page.expect_response(re.compile(r"/i18n/setlang/")) as posted:
        page.select_option("#language-switcher select", "ko")
    assert posted.value.status == 302, posted.value.text()
    page.wait_for_selector("html[lang=ko]")
    assert page.url == callback_url
    assert page.locator("[role=alert]").inner_text() == TEXTS["ko-KR"]["invalid"]
