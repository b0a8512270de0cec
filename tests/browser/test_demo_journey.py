"""The demo as a person uses it: Chromium driving ``example_project/demo.py`` and the sandbox.

The demo runs exactly as ``make demo`` runs it (a subprocess of ``example_project/demo.py``),
on free ports and with a database of its own. Screenshots of the main steps go to
``build/screenshots/`` (``SCREENSHOT_DIR`` overrides); ``make screenshots`` writes them to
``docs/screenshots/``, where the README shows three of them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.sync_api import Browser, Page

    PageFactory = Callable[..., Page]

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "example_project" / "demo.py"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "build" / "screenshots"))
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1200, "height": 800}
TIMEOUT_MS = 15_000

SITE_USER = ("demo", "demo-password-1234")
SITE_ADMIN = ("admin", "admin-password-1234")
SANDBOX_USER = ("demo@sandbox.coolsms.test", "sandbox1234")
SANDBOX_MEMBER_ID = "MEM0SANDBOX0001"
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


def fail_or_skip(reason: str) -> None:
    """Skip with ``reason``, except under ``CI=true``, where the browser test must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser test may not be skipped)")
    print(f"Skipping the browser test: {reason}")
    pytest.skip(reason)


def ensure_chromium() -> None:
    """Install Debian's chromium with apt-get when it is missing and we may; else skip."""
    if CHROMIUM.exists():
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing chromium with apt-get ...")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "chromium"]
        quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "env": env, "timeout": 900}
        if subprocess.run(install, check=False, **quiet).returncode != 0:
            # A machine whose package lists are stale or missing: refresh them once.
            subprocess.run(["apt-get", "update"], check=False, **quiet)
            subprocess.run(install, check=False, **quiet)
    if not CHROMIUM.exists():
        fail_or_skip(f"{CHROMIUM} is missing (install it with: apt-get install -y chromium)")


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(port: int) -> bool:
    with closing(socket.socket()) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Demo:
    site_url: str
    sandbox_url: str
    db_path: Path

    def sandbox(self, name: str, payload: dict[str, Any] | None = None) -> Any:
        """Call one of the sandbox's ``/_sandbox/`` control or inspection endpoints."""
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.sandbox_url}/_sandbox/{name}",
            data=data,
            headers={"Content-Type": "application/json"},
            method="GET" if payload is None else "POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def stored_connections(self) -> list[tuple[Any, ...]]:
        """Return (username, member id, status) of each stored connection, from the database."""
        with closing(sqlite3.connect(self.db_path)) as db:
            return db.execute(
                "SELECT u.username, a.member_id, a.status FROM coolsms_oauth_coolsmsaccount a "
                "JOIN auth_user u ON u.id = a.user_id"
            ).fetchall()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """Run ``example_project/demo.py`` as ``make demo`` does; stop it with one SIGINT."""
    ensure_chromium()
    workdir = tmp_path_factory.mktemp("demo")
    # Free ports unless given (DEMO_PORT=8000 SANDBOX_PORT=8765 for the README's screenshots).
    site_port = int(os.environ.get("DEMO_PORT") or free_port())
    sandbox_port = int(os.environ.get("SANDBOX_PORT") or free_port())
    env = {key: value for key, value in os.environ.items() if not key.startswith("COOLSMS_")}
    env.update(
        DEMO_PORT=str(site_port),
        SANDBOX_PORT=str(sandbox_port),
        DEMO_DB_PATH=str(workdir / "db.sqlite3"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log_path = workdir / "demo.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(DEMO)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while "Press Ctrl-C to stop.\n=" not in log_path.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the demo did not start:\n" + log_path.read_text(errors="replace"))
            time.sleep(0.2)
        banner = log_path.read_text()
        site_url = f"http://127.0.0.1:{site_port}/"
        assert site_url in banner and "demo / demo-password-1234" in banner
        assert f"http://127.0.0.1:{sandbox_port}/" in banner and SANDBOX_USER[0] in banner
        yield Demo(site_url, f"http://127.0.0.1:{sandbox_port}", workdir / "db.sqlite3")
    finally:
        # One Ctrl-C stops the site and the sandbox, and the launcher exits 0.
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
    output = log_path.read_text(errors="replace")
    assert code == 0, output
    assert "Demo stopped." in output
    assert not answers(site_port) and not answers(sandbox_port)
    assert "Traceback" not in output, output


@pytest.fixture(scope="module")
def chromium(demo: Demo) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(chromium: Browser) -> Iterator[PageFactory]:
    """Return a factory of pages, each in a fresh browser profile with the given language."""
    contexts = []

    def make(locale: str = "en-US") -> Page:
        context = chromium.new_context(viewport=VIEWPORT, locale=locale)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def log_in(page: Page, demo: Demo, user: tuple[str, str] = SITE_USER) -> None:
    page.goto(demo.site_url)
    page.fill("#id_username", user[0])
    page.fill("#id_password", user[1])
    page.click("#login-submit")
    page.wait_for_url(demo.site_url)


def sandbox_log_in(page: Page) -> None:
    """Log in on the sandbox's login page (shown when the sandbox has no session yet)."""
    page.wait_for_selector("#login-form")
    page.fill("#login", SANDBOX_USER[0])
    page.fill("#password", SANDBOX_USER[1])
    page.click("#login-submit")
    page.wait_for_selector("#consent-form")


def approve(page: Page, demo: Demo) -> None:
    page.click("#approve")
    page.wait_for_url(demo.site_url)


def disconnect_if_connected(page: Page, demo: Demo) -> None:
    page.goto(demo.site_url)
    if page.locator("#coolsms-disconnect").count():
        page.click("#coolsms-disconnect")
        page.wait_for_selector("#coolsms-connect")


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
    assert answer["to"] == "01012345678" and answer["from"] == "01000000001"
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
    assert page.locator("#coolsms-connect").is_visible()
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
