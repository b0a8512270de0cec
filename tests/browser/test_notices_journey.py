"""A notice to many, as a person sends it: Chromium driving the example site and the sandbox.

The user picks one of their registered sender numbers, pastes recipients, writes a text whose
byte count and type follow the typing, and sees the group's counts and each refusal; an
unregistered sender and an over-long text are refused before anything is sent; a scheduled
notice is cancelled. The demo and Chromium are set up by ``conftest.py``, as for the other
browser tests.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from ..helpers.browser import Demo, connect, disconnect_if_connected, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from ..helpers.browser import PageFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SENDERS = ["029302266", "01000000001"]
#: The sandbox's carrier reports a switched-off handset for this number.
CARRIER_FAILURE = "01099990001"


def sent_count(demo: Demo) -> int:
    return len(demo.sandbox("messages"))


def counter(page: Page) -> str:
    return " ".join(page.locator("#id_text_counter").inner_text().split())


def open_notice_page(page: Page, demo: Demo) -> None:
    log_in(page, demo)
    disconnect_if_connected(page, demo)
    # Connecting again asks for the scopes the notice pages need.
    connect(page, demo)
    page.click("#nav-notice-new")
    page.wait_for_url(demo.site_url + "notices/new/")


#: The words the pages show, in English, for CoolSMS's group statuses.
STATUS_WORDS = {"SCHEDULED": "Scheduled", "COMPLETE": "Complete", "FAILED": "Failed"}


def status(element: Locator) -> str:
    """Return the group status ``element`` names, checking it is shown in words."""
    code = element.get_attribute("data-status") or ""
    assert element.inner_text() == STATUS_WORDS[code]
    return code


def count(page: Page, name: str) -> str:
    return page.locator(f'[data-count="{name}"]').inner_text()


@pytest.mark.presses("nav-notice-new", "notice-form", "nav-notice-groups", "notice-group-link")
def test_send_a_notice_to_many_and_follow_its_group(demo: Demo, new_page: PageFactory) -> None:
    page = new_page()
    open_notice_page(page, demo)
    options = page.locator("#id_sender option").evaluate_all("os => os.map(o => o.value)")
    assert options == SENDERS

    # The counter follows the typing: bytes as CoolSMS counts them, and the type.
    page.fill("#id_text", "안녕하세요 hello")
    assert counter(page) == "16 / 90 bytes · SMS"
    page.fill("#id_text", "가" * 46)
    assert counter(page) == "92 / 2,000 bytes · LMS"
    page.fill("#id_text", "점검 안내 🔧")
    assert counter(page).endswith("· LMS")  # an emoji is outside EUC-KR: no SMS

    page.select_option("#id_sender", SENDERS[0])
    page.fill(
        "#id_recipients",
        f"010-1111-2222\n010 3333 4444, {CARRIER_FAILURE}\n01011112222",
    )
    page.fill("#id_text", "[안내] 내일 오전 10시부터 정기 점검이 있습니다.")
    page.click("#notice-submit")
    page.wait_for_url(demo.site_url + "notices/groups/G4V*/")

    assert "registered 3 of 4 messages" in page.locator(".messages").inner_text()
    assert (count(page, "total"), count(page, "registeredSuccess")) == ("4", "3")
    assert count(page, "registeredFailed") == "1"
    refused = page.locator("#notice-refused").inner_text()
    assert "01011112222" in refused and "1026" in refused
    group_id = page.locator("#group-id").inner_text()

    # The sandbox delivers after a few seconds, except to the number its carrier fails.
    time.sleep(3.5)
    page.reload()
    assert status(page.locator("#group-status")) == "COMPLETE"
    assert (count(page, "sentSuccess"), count(page, "sentFailed")) == ("2", "1")
    failed_row = page.locator(f'#group-messages tr[data-to="{CARRIER_FAILURE}"]')
    assert failed_row.locator('[data-field="statusCode"]').inner_text() == "3043"
    # The repeated number was refused on registration: it is not waiting for any report.
    refused_code = page.locator('[data-field="statusCode"]', has_text="1026")
    refused_row = page.locator("#group-messages tr", has=refused_code)
    assert refused_row.locator('[data-field="delivery"]').inner_text() == "not sent"

    page.click("#nav-notice-groups")
    page.wait_for_url(demo.site_url + "notices/groups/")
    row = page.locator(f'#notice-groups tr[data-group="{group_id}"]')
    assert status(row.locator('[data-field="status"]')) == "COMPLETE"
    row.locator("a").click()
    page.wait_for_url(f"{demo.site_url}notices/groups/{group_id}/")


@pytest.mark.presses("nav-notice-new", "notice-form")
def test_an_unregistered_sender_and_an_over_long_text_are_refused_before_sending(
    demo: Demo, new_page: PageFactory
) -> None:
    page = new_page()
    open_notice_page(page, demo)
    before = sent_count(demo)

    # A number that is not one of the member's (a page changed in the browser, say).
    page.locator("#id_sender").evaluate(
        "s => { s.add(new Option('0299998888', '0299998888')); s.value = '0299998888'; }"
    )
    page.fill("#id_recipients", "01012345678")
    page.fill("#id_text", "안녕하세요")
    page.click("#notice-submit")
    page.wait_for_load_state()
    assert "0299998888 is not one of your registered sender numbers" in page.content()

    # 1,001 Hangul characters: 2,002 bytes, over what even an LMS takes.
    page.select_option("#id_sender", SENDERS[0])
    page.fill("#id_text", "가" * 1001)
    assert counter(page) == "2,002 / 2,000 bytes · LMS"
    assert "coolsms-too-long" in (page.locator("#id_text_counter").get_attribute("class") or "")
    page.click("#notice-submit")
    page.wait_for_load_state()
    assert "This text has 2,002 bytes" in page.locator("#notice-form").inner_text()
    assert page.locator("#id_recipients").input_value() == "01012345678"
    assert sent_count(demo) == before


@pytest.mark.presses("nav-notice-new", "notice-form", "cancel-notice-form", "nav-notice-groups")
def test_a_scheduled_notice_waits_and_can_be_cancelled(demo: Demo, new_page: PageFactory) -> None:
    page = new_page()
    open_notice_page(page, demo)
    tomorrow = datetime.now(ZoneInfo("Asia/Seoul")) + timedelta(days=1)
    page.select_option("#id_sender", SENDERS[1])
    page.fill("#id_recipients", "01055556666")
    page.fill("#id_text", "내일 만나요")
    page.fill("#id_scheduled_at", tomorrow.strftime("%Y-%m-%dT%H:%M"))
    # The time field is as wide as the others, and the button sits below it, not beside it.
    when = page.locator("#id_scheduled_at").bounding_box()
    text = page.locator("#id_text").bounding_box()
    button = page.locator("#notice-submit").bounding_box()
    assert when and text and button
    assert when["width"] == text["width"] and button["y"] >= when["y"] + when["height"]
    page.click("#notice-submit")
    page.wait_for_url(demo.site_url + "notices/groups/G4V*/")
    assert status(page.locator("#group-status")) == "SCHEDULED"
    group_id = page.locator("#group-id").inner_text()
    # The times read as dates in the site's zone ("Dec. 2, 2026, 3:04 p.m."), not as ISO 8601.
    day = f"{tomorrow.day}, {tomorrow.year}, {tomorrow.hour % 12 or 12}"
    assert day in page.locator("#group-scheduled").inner_text()

    page.click("#cancel-notice")
    page.wait_for_url(f"{demo.site_url}notices/groups/{group_id}/")
    assert "cancelled" in page.locator(".messages").inner_text()
    assert status(page.locator("#group-status")) == "FAILED"
    assert page.locator("#cancel-notice").count() == 0

    page.click("#nav-notice-groups")
    page.wait_for_url(demo.site_url + "notices/groups/")
    row = page.locator(f'#notice-groups tr[data-group="{group_id}"]')
    assert status(row.locator('[data-field="status"]')) == "FAILED"
    # Each heading starts where its column's text starts, as the other tables of the site.
    text_x = "e => { const r = document.createRange(); r.selectNodeContents(e);"
    text_x += " return r.getBoundingClientRect().x; }"
    heading = page.locator("#notice-groups th").nth(1).evaluate(text_x)
    assert heading == row.locator('[data-field="created"]').evaluate(text_x)
    today = datetime.now(ZoneInfo("Asia/Seoul"))
    assert f"{today.day}, {today.year}, " in row.locator('[data-field="created"]').inner_text()
