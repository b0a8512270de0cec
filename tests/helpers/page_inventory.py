"""The forms and links the pages show, and what the browser tests say they press.

``tests/test_page_inventory.py`` says how a form, a link and an admin action are known.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import requests
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory

from coolsms_oauth_django.admin import CoolSMSAccountAdmin
from coolsms_oauth_django.endpoints import AUTHORIZE_PATH
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.sandbox import Sandbox, default_users

from .sandbox import authorize_params, read_form

ROOT = Path(__file__).resolve().parents[2]
BROWSER_TESTS = ROOT / "tests" / "browser"


def template_dirs() -> list[Path]:
    return [ROOT / "coolsms_oauth_django" / "templates", *ROOT.glob("example_project/**/templates")]


@dataclass(frozen=True)
class Pressable:
    """A form or a link of a template: what kind, its key (``None`` if it has no id), where."""

    kind: str
    key: str | None
    where: str


_COMMENT = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.S)
_TAG = re.compile(r"{%.*?%}", re.S)
_VARIABLE = re.compile(r"{{.*?}}", re.S)


def _blank(match: re.Match[str]) -> str:
    """Drop template syntax but keep its line breaks, so line numbers stay true."""
    return "\n" * match.group().count("\n")


def html_of(template: str) -> str:
    """Return a template's markup with comments and tags removed and variables as ``X``."""
    text = _TAG.sub(_blank, _COMMENT.sub(_blank, template))
    return _VARIABLE.sub(lambda match: "X" + _blank(match), text)


class _Finder(HTMLParser):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.found: list[Pressable] = []
        self.form: tuple[str | None, int, list[str | None]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        line = self.getpos()[0]
        if tag == "form":
            self.form = (values.get("id"), line, [])
        elif tag == "a" and "href" in values:
            # A link repeated in a list is named once, by its data-press.
            key = values.get("data-press") or values.get("id")
            self.found.append(Pressable("link", key, f"{self.name}:{line}"))
        elif self.form is not None and (
            (tag == "button" and values.get("type", "submit") == "submit")
            or (tag == "input" and values.get("type") == "submit")
        ):
            self.form[2].append(values.get("id"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.form is not None:
            form_id, line, buttons = self.form
            where = f"{self.name}:{line}"
            if len(buttons) > 1:  # each button its own step (Approve and Deny, say)
                self.found += [Pressable("button", button, where) for button in buttons]
            else:
                key = form_id or (buttons[0] if buttons else None)
                self.found.append(Pressable("form", key, where))
            self.form = None


def pressables_in(html: str, name: str) -> list[Pressable]:
    """Return the forms and links of the markup ``html``, placed as ``name``."""
    finder = _Finder(name)
    finder.feed(html)
    finder.close()
    return finder.found


def pressables_of(path: Path, base: Path) -> list[Pressable]:
    """Return the forms and links of the template at ``path``."""
    return pressables_in(html_of(path.read_text(encoding="utf-8")), str(path.relative_to(base)))


def template_inventory() -> list[Pressable]:
    return [
        pressable
        for directory in template_dirs()
        for path in sorted(directory.rglob("*.html"))
        for pressable in pressables_of(path, ROOT)
    ]


def admin_inventory() -> list[Pressable]:
    """Return the actions the app's admin offers a superuser on the change list."""
    request = RequestFactory().get("/admin/")
    request.user = User(is_active=True, is_staff=True, is_superuser=True)
    model_admin = CoolSMSAccountAdmin(CoolSMSAccount, admin.site)
    return [
        Pressable("admin action", f"admin-action:{name}", "coolsms_oauth_django/admin.py")
        for name in model_admin.get_actions(request)
    ]


def sandbox_inventory() -> list[Pressable]:
    """Return the forms and links of the sandbox's pages (index, login, consent) as served."""
    user = default_users()[0]
    with Sandbox() as sandbox, requests.Session() as http:
        index = http.get(sandbox.base_url + "/", timeout=10).text
        login = http.get(
            sandbox.base_url + AUTHORIZE_PATH, params=authorize_params(sandbox), timeout=10
        ).text
        action, fields = read_form(login, "login-form")
        consent = http.post(
            sandbox.base_url + action,
            data={**fields, "login": user.login, "password": user.password},
            timeout=10,
        ).text
    assert "consent-form" in consent
    pages = {"index": index, "login": login, "consent": consent}
    return [p for name, html in pages.items() for p in pressables_in(html, f"sandbox {name} page")]


def _is_presses_mark(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "presses"
        and ast.unparse(node.func.value) == "pytest.mark"
    )


def declared_presses() -> dict[str, list[str]]:
    """Map each key a browser test's ``presses`` mark names to the tests naming it."""
    declared: dict[str, list[str]] = defaultdict(list)
    for path in sorted(BROWSER_TESTS.glob("test_*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in filter(_is_presses_mark, node.decorator_list):
                assert isinstance(decorator, ast.Call)
                for arg in decorator.args:
                    assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), (
                        f"{path.name}::{node.name}: name what it presses with literal strings"
                    )
                    declared[arg.value].append(f"tests/browser/{path.name}::{node.name}")
    return dict(declared)
