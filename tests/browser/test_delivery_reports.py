"""Delivery reports in the example: a notice's group page says which messages arrived.

Connecting registers the site's report URL with the sandbox, which POSTs a report as each
message reaches the carrier and gets its final status; the group page shows each recipient's
last reported status. Chromium drives the demo as ``make demo`` runs it (``conftest.py``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from ..helpers.browser import Demo, connect, disconnect_if_connected, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from ..helpers.browser import PageFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RECIPIENT = "01022223333"
#: The sandbox's carrier reports a switched-off handset for this number.
SWITCHED_OFF = "01099990001"
#: Seconds to wait for the final reports: the sandbox's delivery after three seconds, its
#: look for due reports five times a second, and a slow machine.
REPORT_WAIT = 20.0


def delivery_of(page: Page, number: str) -> str:
    row = page.locator(f'#group-messages tr[data-to="{number}"]')
    return row.locator('[data-field="delivery"]').inner_text()


@pytest.mark.presses("nav-notice-new", "notice-form")
def test_the_group_page_shows_delivered_and_failed_from_the_reports(
    demo: Demo, new_page: PageFactory
) -> None:
    page = new_page()
    log_in(page, demo)
    disconnect_if_connected(page, demo)
    connect(page, demo)  # registers the site's report URL for this member
    page.click("#nav-notice-new")
    page.wait_for_url(demo.site_url + "notices/new/")
    page.select_option("#id_sender", "029302266")
    page.fill("#id_recipients", f"{RECIPIENT}\n{SWITCHED_OFF}")
    page.fill("#id_text", "[안내] 내일 오전 10시부터 정기 점검이 있습니다.")
    page.click("#notice-submit")
    page.wait_for_url(demo.site_url + "notices/groups/G4V*/")
    assert delivery_of(page, RECIPIENT) in ("no report yet", "at the carrier")

    deadline = time.monotonic() + REPORT_WAIT
    while delivery_of(page, SWITCHED_OFF).startswith(("no report", "at the")) or (
        delivery_of(page, RECIPIENT) != "delivered"
    ):
        assert time.monotonic() < deadline, "no final delivery report reached the page"
        time.sleep(0.5)
        page.reload()

    assert delivery_of(page, RECIPIENT) == "delivered"
    assert delivery_of(page, SWITCHED_OFF) == "failed: 단말기 Power off"
    deliveries = demo.sandbox("deliveries")
    assert deliveries and all(delivery["state"] == "delivered" for delivery in deliveries)
    reported = {code for delivery in deliveries for code in delivery["statusCodes"]}
    assert reported == {"3000", "4000", "3043"}
