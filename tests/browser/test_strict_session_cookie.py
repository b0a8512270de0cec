"""A site whose session cookie is ``SameSite=Strict``: the callback's one-hop resume page.

The site is browsed at ``localhost`` and the sandbox at ``127.0.0.1``, two sites, so coming back
from CoolSMS is a cross-site navigation that leaves the Strict cookie behind. The callback then
answers a page that reloads it from this site, and the cookie comes along.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from ..helpers.browser import SANDBOX_MEMBER_ID, Demo, consent, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page, Response, Route

    from ..helpers.browser import PageFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RESUMED = re.compile(r"/coolsms/callback/\?.*coolsms_resumed=1")


def start_connecting(page: Page, demo: Demo) -> list[Response]:
    """Log in, press Connect; return the list the callback's answers will be added to."""
    log_in(page, demo)
    cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    assert cookie["sameSite"] == "Strict"
    answers: list[Response] = []
    page.on("response", lambda r: answers.append(r) if "/coolsms/callback/" in r.url else None)
    page.click("#coolsms-connect")
    return answers


def assert_connected(
    page: Page,
    demo: Demo,
    answers: list[Response],
    message: str = "Your CoolSMS account is connected.",
) -> None:
    """Check the flow ended on the dashboard, connected, after one hop through the resume page."""
    page.wait_for_url(demo.site_url)
    assert message in page.locator(".messages").inner_text()
    assert demo.stored_connections() == [("demo", SANDBOX_MEMBER_ID, "active")]
    # The first answer was the resume page, the last (with the cookie) the redirect.
    assert answers[0].status == 200 and not RESUMED.search(answers[0].url)
    assert answers[-1].status == 302 and RESUMED.search(answers[-1].url)


def test_the_resume_page_completes_the_connection_by_itself(
    strict_demo: Demo, new_page: PageFactory
) -> None:
    page = new_page()
    answers = start_connecting(page, strict_demo)
    consent(page, strict_demo)
    assert_connected(page, strict_demo, answers)
    page.click("#coolsms-disconnect")
    page.wait_for_selector("#not-connected")


@pytest.mark.presses("coolsms-resume-link")
def test_the_resume_pages_link_completes_the_connection(
    strict_demo: Demo, new_page: PageFactory
) -> None:
    page = new_page("ko-KR")
    held: list[str] = []

    def hold(route: Route) -> None:
        # A 204 leaves the browser on the resume page, as one that ignores the refresh does.
        held.append(route.request.url)
        route.fulfill(status=204)

    page.route(RESUMED, hold, times=1)
    answers = start_connecting(page, strict_demo)
    consent(page, strict_demo)
    page.wait_for_selector("#coolsms-resume-link")
    assert page.locator("main p").inner_text() == "쿨에스엠에스 연결을 마무리하는 중… 계속"
    for _ in range(100):  # wait for the page's own refresh, held above
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the resume page did not refresh itself"
    page.click("#coolsms-resume-link")
    assert_connected(page, strict_demo, answers, "쿨에스엠에스 계정이 연결되었습니다.")
