"""The admin as a staff member uses it: Chromium on the demo's admin, every control pressed.

The demo and the browser come from ``conftest.py``, the steps from ``helpers.py``. The demo
user connects through the sandbox, then the demo's superuser logs in:
the list, its search and filters, a connection's page, "Refresh now", and "Disconnect"
through its confirmation page.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from ..helpers.browser import (
    SANDBOX_MEMBER_ID,
    SITE_ADMIN,
    Demo,
    connect,
    disconnect_if_connected,
    log_in,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from ..helpers.browser import PageFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHANGELIST = "admin/coolsms_oauth/coolsmsaccount/"
TITLE = f"CoolSMS {SANDBOX_MEMBER_ID} of demo"


def connect_demo_user(page: Page, demo: Demo) -> None:
    log_in(page, demo)
    disconnect_if_connected(page, demo)
    connect(page, demo)
    assert demo.stored_connections() == [("demo", SANDBOX_MEMBER_ID, "active")]


def rows(admin: Page) -> list[str]:
    """Return the text of each row of the list (none when it shows no result table)."""
    return admin.locator("#result_list tbody tr").all_inner_texts()


def search(admin: Page, term: str) -> list[str]:
    admin.fill("#searchbar", term)
    admin.click("#changelist-search input[type=submit]")
    admin.wait_for_url(re.compile(r"\?q="))
    return rows(admin)


def run_action(admin: Page, label: str) -> None:
    """Tick the only row, choose the action ``label`` and press "Go"."""
    admin.check("#result_list tbody input.action-select")
    admin.select_option("select[name=action]", label=label)
    admin.click("button[name=index]")
    admin.wait_for_load_state()


@pytest.mark.presses("admin-action:refresh_selected", "admin-action:delete_selected")
def test_staff_search_filter_open_refresh_and_disconnect(demo: Demo, new_page: PageFactory) -> None:
    connect_demo_user(new_page(), demo)
    admin = new_page()
    log_in(admin, demo, SITE_ADMIN)

    # From the admin's index to the list.
    admin.goto(demo.site_url + "admin/")
    admin.click(f'#content-main a[href="/{CHANGELIST}"]')
    admin.wait_for_url(demo.site_url + CHANGELIST)
    assert admin.locator("#content h1").inner_text() == "Select CoolSMS account to view"
    assert [text.split("\t")[:3] for text in rows(admin)] == [["", "demo", SANDBOX_MEMBER_ID]]

    # The search: an exact member ID, the start of a username; nothing else.
    assert "the beginning of a username" in admin.locator("#searchbar_helptext").inner_text()
    assert len(search(admin, SANDBOX_MEMBER_ID)) == 1
    assert len(search(admin, "de")) == 1
    assert search(admin, "emo") == []
    assert "0 results" in admin.locator("#changelist-search").inner_text()
    admin.click('#changelist-search a:text-is("Show all")')
    admin.wait_for_url(re.compile(CHANGELIST + r"\??$"))
    assert len(rows(admin)) == 1

    # The status filter.
    admin.click('#changelist-filter a:text-is("Needs reconnecting")')
    admin.wait_for_url(re.compile(r"status__exact=needs_reconnect"))
    assert rows(admin) == []
    admin.click('#changelist-filter a:text-is("Active")')
    admin.wait_for_url(re.compile(r"status__exact=active"))
    assert len(rows(admin)) == 1

    # A connection's page: named by username, read-only, no Save button, tokens masked.
    admin.click("#result_list tbody th a")
    admin.wait_for_url(re.compile(r"/coolsmsaccount/\d+/change/"))
    assert TITLE in admin.title()
    assert admin.locator("#content > h2").inner_text() == TITLE
    assert admin.locator("input[name=_save], input[name=_continue]").count() == 0
    assert admin.locator(".field-token_fingerprints").inner_text().count("sha256:") == 2
    admin.click("a.closelink")
    admin.wait_for_url(re.compile(CHANGELIST + r"\?status__exact=active"))

    # "Refresh now" refreshes at the sandbox and says so.
    before = demo.sandbox("token-calls").get("refresh_token", 0)
    run_action(admin, "Refresh tokens of selected CoolSMS accounts now")
    assert "1 CoolSMS account refreshed." in admin.locator(".messagelist").inner_text()
    assert demo.sandbox("token-calls").get("refresh_token", 0) == before + 1

    # "Disconnect" asks first; "No, take me back" keeps the connection.
    run_action(admin, "Disconnect selected CoolSMS accounts")
    confirmation = admin.locator("#content").inner_text()
    assert "Are you sure you want to delete the selected CoolSMS account?" in confirmation
    assert f"CoolSMS account: {TITLE}" in confirmation
    assert demo.stored_connections() == [("demo", SANDBOX_MEMBER_ID, "active")]
    admin.click("a.cancel-link")
    admin.wait_for_url(re.compile(CHANGELIST))
    assert len(rows(admin)) == 1

    # "Yes, I'm sure" disconnects, and the user's dashboard offers to connect again.
    run_action(admin, "Disconnect selected CoolSMS accounts")
    admin.click('#content input[type=submit][value="Yes, I’m sure"]')
    admin.wait_for_url(re.compile(CHANGELIST))
    assert "Successfully deleted 1 CoolSMS account." in admin.locator(".messagelist").inner_text()
    assert rows(admin) == []
    assert demo.stored_connections() == []
    user = new_page()
    log_in(user, demo)
    assert user.locator("#coolsms-connect").is_visible()
