"""The README and the docs pages it links: their examples run as written, their links hold."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import textwrap
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.test import Client

from coolsms_oauth_django.sandbox import Sandbox

from .helpers.sandbox import parse_page
from .helpers.servers import free_port, wait_for_http

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
#: Markdown links and images whose target is a file of this repository (not a web address).
LOCAL_LINK = re.compile(r"\]\((?!https?://|#|mailto:)([^)\s#]+)\)")


def code_block_after(heading: str, page: Path = README) -> str:
    text = page.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, f"no python block after {heading!r}"
    return match.group(1)


@pytest.mark.django_db
def test_the_site_test_example_passes(
    client: Client, django_user_model: Any, coolsms_sandbox_settings: Sandbox
) -> None:
    namespace: dict[str, Any] = {}
    exec(code_block_after("## In your site's tests", DOCS / "sandbox.md"), namespace)
    namespace["test_user_connects_coolsms"](client, django_user_model, coolsms_sandbox_settings)


def test_the_readme_settings_table_is_the_declared_settings() -> None:
    from coolsms_oauth_django.conf import SETTINGS

    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## Settings\n") :]
    section = section[: section.index("\n## ", 1)]
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        for line in section.splitlines()
        if line.startswith("| `")
    ]
    declared = [[f"`{s.name}`", s.shown_default, s.doc] for s in SETTINGS]
    assert rows == declared


def local_links(page: Path) -> list[Path]:
    """Return the files a Markdown page links or shows, resolved from the page's folder."""
    return [
        (page.parent / target).resolve()
        for target in LOCAL_LINK.findall(page.read_text(encoding="utf-8"))
    ]


def test_the_readme_opens_with_the_two_commands_then_the_quickstart() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", text, re.DOTALL)
    assert first_block is not None
    assert text.index(first_block.group(0)) < text.index("\n## ")
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert [c for c in commands if c] == ["make demo", "make test"]
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert headings[:2] == ["Quickstart", "Screenshots"]


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = set(local_links(README))
    assert [page.name for page in sorted(DOCS.glob("*.md")) if page.resolve() not in linked] == []


def test_every_local_link_of_the_readme_and_the_docs_pages_exists() -> None:
    pages = [README, *sorted(DOCS.glob("*.md"))]
    broken = [
        (page.name, str(target))
        for page in pages
        for target in local_links(page)
        if not target.exists()
    ]
    assert broken == []


def test_every_screenshot_is_shown_on_a_page() -> None:
    shown = {target for page in [README, *DOCS.glob("*.md")] for target in local_links(page)}
    screenshots = sorted((DOCS / "screenshots").glob("*.png"))
    assert screenshots, "no screenshots in docs/screenshots"
    assert [shot.name for shot in screenshots if shot.resolve() not in shown] == []


# The Quickstart, followed in a brand-new ``django-admin startproject`` site.

#: A code block of the Quickstart with its indentation, language and text.
CODE_BLOCK = re.compile(r"^( *)```(\w+)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
#: How the Quickstart says what to do with a block: the last such phrase before it.
FILE_STEP = re.compile(r"(Add to the end of|Create) `([^`]+)`")
#: The sandbox login the Quickstart tells the reader to use.
SANDBOX_LOGIN = re.compile(r"log in at the sandbox as `([^`]+)` / `([^`]+)`")
README_SITE_PORT = "8000"
CONNECT_PATH = "/coolsms/connect/"
README_SANDBOX_PORT = "8765"


def quickstart() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Quickstart\n")
    return text[start : text.index("\n## ", start + 1)]


def quickstart_steps() -> tuple[list[tuple[str, str, str]], str]:
    """Return the Quickstart's file steps (action, path, code) and its shell block."""
    section = quickstart()
    files: list[tuple[str, str, str]] = []
    shell: list[str] = []
    previous_end = 0
    for block in CODE_BLOCK.finditer(section):
        code = textwrap.dedent(block.group(3)) if block.group(1) else block.group(3)
        steps = FILE_STEP.findall(section[previous_end : block.start()])
        previous_end = block.end()
        if block.group(2) == "sh":
            shell.append(code)
        else:
            assert steps, f"the Quickstart does not say where this goes:\n{code}"
            action, path = steps[-1]
            files.append((action, path, code))
    assert len(shell) == 1, "the Quickstart has one block of commands"
    return files, shell[0]


def command(line: str) -> list[str]:
    """Split a README command line; ``python`` is this interpreter, ``&`` is dropped."""
    words = [word for word in shlex.split(line, comments=True) if word != "&"]
    return [sys.executable if words[0] == "python" else words[0], *words[1:]]


class Site:
    """The new project, its environment and the processes the Quickstart starts."""

    def __init__(self, root: Path, stack: ExitStack) -> None:
        self.root = root
        self.stack = stack
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("COOLSMS_", "DJANGO_")) and key != "PYTHONPATH"
        }
        # ``python`` in the README's commands is this interpreter.
        self.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{self.env['PATH']}"

    def export(self, lines: list[str]) -> None:
        """Run the README's ``export`` lines in bash and keep the environment they make."""
        script = "\n".join([*lines, "env -0"])
        done = subprocess.run(
            ["bash", "-ec", script], env=self.env, capture_output=True, check=True, timeout=60
        )
        self.env = dict(
            entry.split("=", 1) for entry in done.stdout.decode().split("\0") if "=" in entry
        )

    def run(self, args: list[str], **env: str) -> str:
        done = subprocess.run(
            args,
            cwd=self.root,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{shlex.join(args[1:])} failed:\n{done.stdout}{done.stderr}"
        return done.stdout + done.stderr

    def start(self, args: list[str], name: str) -> Path:
        log_path = self.root / f"{name}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                args, cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self.stack.callback(stop, process)
        return log_path


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def post_form(
    browser: requests.Session, page: requests.Response, button: str, **fields: str
) -> requests.Response:
    """Submit the form of ``page`` that holds the button with id ``button``."""
    [form] = [f for f in parse_page(page.text).all_forms if button in f["buttons"]]
    data = {**form["fields"], **fields}
    name, value = form["buttons"][button]
    if name:
        data[name] = value
    action = urljoin(page.url, form["action"] or page.url)
    return browser.post(action, data=data, allow_redirects=False, timeout=30)


def press_connect(browser: requests.Session, page: requests.Response) -> requests.Response:
    """Press the one button of ``page`` that posts to the app's connect view."""
    [form] = [f for f in parse_page(page.text).all_forms if f["action"] == CONNECT_PATH]
    [button] = form["buttons"]
    return post_form(browser, page, button)


@pytest.mark.slow
def test_the_quickstart_connects_a_user_in_a_new_startproject_site(
    tmp_path: Path, exit_stack: ExitStack
) -> None:
    files, shell = quickstart_steps()
    sandbox_port, site_port = free_port(), free_port()
    shell = shell.replace(README_SANDBOX_PORT, str(sandbox_port))
    site = Site(tmp_path / "mysite", exit_stack)
    # django-admin startproject mysite && cd mysite
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "mysite"],
        cwd=tmp_path,
        env=site.env,
        check=True,
        timeout=60,
    )
    for action, path, code in files:
        target = site.root / path
        if action == "Create":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(code, encoding="utf-8")
        else:
            with open(target, "a", encoding="utf-8") as file:
                file.write("\n" + code)

    lines = [line for line in shell.splitlines() if line.strip()]
    site.export([line for line in lines if line.startswith("export ")])
    assert site.env["COOLSMS_BASE_URL"] == f"http://127.0.0.1:{sandbox_port}"
    commands = [command(line) for line in lines if not line.startswith("export ")]
    manage = [args[2] for args in commands if args[1:2] == ["manage.py"]]
    assert manage == ["migrate", "check", "createsuperuser", "runserver"]
    for args in commands:
        if args[1:3] == ["-m", "coolsms_oauth_django.sandbox"]:
            log = site.start(args, "sandbox")
            wait_for_http(site.env["COOLSMS_BASE_URL"] + "/", log)
        elif args[2:3] == ["createsuperuser"]:
            site.run(
                [*args, "--noinput", "--username", "owner", "--email", "owner@example.com"],
                DJANGO_SUPERUSER_PASSWORD="quickstart-password-1234",
            )
        elif args[2:3] == ["runserver"]:
            log = site.start([*args, f"127.0.0.1:{site_port}", "--noreload"], "site")
            wait_for_http(f"http://127.0.0.1:{site_port}/", log)
        else:
            output = site.run(args)
            if args[2:3] == ["check"]:
                assert "System check identified no issues" in output, output

    [(login, password)] = SANDBOX_LOGIN.findall(" ".join(quickstart().split()))
    # The page the Quickstart says to open.
    assert f"<http://127.0.0.1:{README_SITE_PORT}/>" in quickstart()
    with requests.Session() as browser:
        # Press Connect CoolSMS on the home page: the site asks to log in first.
        page = browser.get(f"http://127.0.0.1:{site_port}/", timeout=30)
        answer = press_connect(browser, page)
        assert answer.status_code == 302
        page = browser.get(urljoin(page.url, answer.headers["Location"]), timeout=30)
        assert page.status_code == 200, "the login page the Quickstart names is missing"
        [form] = [f for f in parse_page(page.text).all_forms if "username" in f["fields"]]
        fields = {**form["fields"], "username": "owner", "password": "quickstart-password-1234"}
        answer = browser.post(page.url, data=fields, allow_redirects=False, timeout=30)
        assert answer.status_code == 302, "the site login failed"
        # Logged in, the confirmation page; its button goes to the sandbox, not CoolSMS.
        page = browser.get(urljoin(page.url, answer.headers["Location"]), timeout=30)
        answer = press_connect(browser, page)
        authorize = answer.headers["Location"]
        assert authorize.startswith(site.env["COOLSMS_BASE_URL"] + "/"), authorize
        # The sandbox's login and consent pages, as the Quickstart's reader sees them.
        page = browser.get(authorize, timeout=30)
        answer = post_form(browser, page, "login-submit", login=login, password=password)
        assert answer.status_code == 303, answer.text
        page = browser.get(urljoin(page.url, answer.headers["Location"]), timeout=30)
        answer = post_form(browser, page, "approve")
        callback = answer.headers["Location"]
        assert urlsplit(callback).netloc == f"127.0.0.1:{site_port}", callback
        home_page = browser.get(callback, timeout=30)
        assert home_page.url == f"http://127.0.0.1:{site_port}/"
        assert "Connected" in home_page.text, home_page.text
        calls = browser.get(site.env["COOLSMS_BASE_URL"] + "/_sandbox/token-calls", timeout=30)
        assert calls.json()["authorization_code"] == 1
