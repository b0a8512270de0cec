"""What the browser tests share: the demo as ``make demo`` runs it, and the steps a person takes.

The fixtures built on these (``chromium``, ``demo``, ``new_page``) live in
``tests/browser/conftest.py``. A browser test declares the forms and links it presses with
``@pytest.mark.presses("id", ...)`` (the ids ``tests/test_page_inventory.py`` lists);
``new_page`` records what the browser really pressed and fails the test if a declared one was
never pressed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .demo import ROOT, demo_env, start_demo, wait_for_banner
from .servers import free_port, port_answers

if TYPE_CHECKING:
    from playwright.sync_api import Page

    #: What the ``new_page`` fixture returns: call it (with a locale) for a fresh page.
    PageFactory = Callable[..., Page]

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
SECOND_SANDBOX_USER = ("second@sandbox.coolsms.test", "sandbox5678")
#: The sandbox member's phone number, the From number the example pre-fills.
SANDBOX_PHONE = "01000000001"

#: Recorded in every page: the ids of each form submitted and of the button that submitted
#: it, each link followed (its ``data-press`` when a list repeats it, else its id), and
#: ``admin-action:NAME`` for an admin action sent. A form sent
#: with ``form.submit()`` (the language switcher's onchange) fires no submit event, so that
#: method is wrapped as well.
PRESS_RECORDER = """
(() => {
  const pressed = (key) => { if (key) window.__pressed(key); };
  const sent = (form, submitter) => {
    pressed(form.id);
    pressed(submitter && submitter.id);
    const action = form.querySelector("select[name=action]");
    if (action && action.value) pressed("admin-action:" + action.value);
  };
  document.addEventListener("submit", (event) => sent(event.target, event.submitter), true);
  const submit = HTMLFormElement.prototype.submit;
  HTMLFormElement.prototype.submit = function () { sent(this, null); return submit.call(this); };
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element && event.target.closest("a[href]");
    if (link) pressed(link.dataset.press || link.id);
  }, true);
})();
"""


def fail_or_skip(reason: str) -> None:
    """Skip with ``reason``, except under ``CI=true``, where the browser test must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser test may not be skipped)")
    print(f"Skipping the browser test: {reason}")
    pytest.skip(reason)


def ensure_chromium() -> None:
    """Install Debian's chromium with apt-get when it is missing and we may; else skip."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        fail_or_skip("playwright is not installed (pip install -e '.[test]')")
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


@contextmanager
def running_demo(workdir: Path, **environ: str) -> Iterator[Demo]:
    """Run ``example_project/demo.py`` as ``make demo`` does; stop it with one SIGINT.

    ``environ`` adds variables to the demo's environment (the example site's settings read a
    few, such as ``DJANGO_SESSION_COOKIE_SAMESITE``).
    """
    # Free ports unless given (DEMO_PORT=8000 SANDBOX_PORT=8765 for the README's screenshots).
    site_port = int(os.environ.get("DEMO_PORT") or free_port())
    sandbox_port = int(os.environ.get("SANDBOX_PORT") or free_port())
    log_path = workdir / "demo.log"
    process = start_demo(demo_env(workdir, site_port, sandbox_port, **environ), log_path)
    try:
        banner = wait_for_banner(process, log_path, timeout=60)
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
    assert not port_answers(site_port) and not port_answers(sandbox_port)
    assert "Traceback" not in output, output


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def log_in(page: Page, demo: Demo, user: tuple[str, str] = SITE_USER) -> None:
    page.goto(demo.site_url)
    page.fill("#id_username", user[0])
    page.fill("#id_password", user[1])
    page.click("#login-submit")
    page.wait_for_url(demo.site_url)


def sandbox_log_in(page: Page, user: tuple[str, str] = SANDBOX_USER) -> None:
    """Log in on the sandbox's login page (shown when the sandbox has no session yet)."""
    page.wait_for_selector("#login-form")
    page.fill("#login", user[0])
    page.fill("#password", user[1])
    page.click("#login-submit")
    page.wait_for_selector("#consent-form")


def approve(page: Page, demo: Demo) -> None:
    page.click("#approve")
    page.wait_for_url(demo.site_url + "**")


def disconnect_if_connected(page: Page, demo: Demo) -> None:
    page.goto(demo.site_url)
    if page.locator("#coolsms-disconnect").count():
        page.click("#coolsms-disconnect")
        page.wait_for_selector("#coolsms-connect")


def log_in_not_connected(page: Page, demo: Demo) -> None:
    """Log the demo user in and remove any CoolSMS connection an earlier test left."""
    log_in(page, demo)
    disconnect_if_connected(page, demo)


def consent(page: Page, demo: Demo) -> None:
    """At the sandbox: log in if it asks (its first visit in this profile), then approve."""
    page.wait_for_selector("#login-form, #consent-form")
    if page.locator("#login-form").count():
        sandbox_log_in(page)
    assert page.url.startswith(demo.sandbox_url + "/oauth2/v1/authorize?")
    approve(page, demo)


def connect(page: Page, demo: Demo) -> None:
    """From the dashboard of a user not connected: connect through the sandbox's pages."""
    page.click("#coolsms-connect")
    consent(page, demo)
