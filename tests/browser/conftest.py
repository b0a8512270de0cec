"""Fixtures of the browser tests: one Chromium for the run, one demo per test module."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from ..helpers.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PRESS_RECORDER,
    TIMEOUT_MS,
    VIEWPORT,
    Demo,
    ensure_chromium,
    running_demo,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from ..helpers.browser import PageFactory


CALL_PASSED = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "presses(*ids): the forms and links (by id) a browser test presses; "
        "tests/test_page_inventory.py lists them",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report: pytest.TestReport = yield
    if report.when == "call":
        item.stash[CALL_PASSED] = report.passed
    return report


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One Chromium for every browser test of the run."""
    ensure_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def demo(chromium: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The example site and the sandbox, as ``make demo`` runs them, shared by a module."""
    with running_demo(tmp_path_factory.mktemp("demo")) as running:
        yield running


@pytest.fixture(scope="module")
def strict_demo(chromium: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo with ``SESSION_COOKIE_SAMESITE = "Strict"``, its site at ``localhost``."""
    workdir = tmp_path_factory.mktemp("strict")
    with running_demo(workdir, DJANGO_SESSION_COOKIE_SAMESITE="Strict") as running:
        yield dataclasses.replace(
            running, site_url=running.site_url.replace("127.0.0.1", "localhost")
        )


@pytest.fixture
def new_page(chromium: Browser, request: pytest.FixtureRequest) -> Iterator[PageFactory]:
    """Return a factory of pages, each in a fresh browser profile with the given language.

    Every page records the forms and links pressed in it; at the end of the test, each id
    the test's ``presses`` mark names must have been pressed.
    """
    contexts = []
    pressed: set[str] = set()

    def make(locale: str = "en-US") -> Page:
        context = chromium.new_context(viewport=VIEWPORT, locale=locale)
        context.set_default_timeout(TIMEOUT_MS)
        context.expose_binding("__pressed", lambda _source, key: pressed.add(str(key)))
        context.add_init_script(PRESS_RECORDER)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    if not request.node.stash.get(CALL_PASSED, False):
        return  # the failure already says what went wrong
    declared = {key for mark in request.node.iter_markers("presses") for key in mark.args}
    missing = sorted(declared - pressed)
    assert not missing, f"declared with @pytest.mark.presses but never pressed: {missing}"
