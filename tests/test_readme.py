"""The README and the docs pages it links: their examples run as written, their links hold."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from coolsms_oauth_django.sandbox import Sandbox

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


def test_every_setting_is_in_the_readme_table() -> None:
    from coolsms_oauth_django.conf import DEFAULTS

    text = README.read_text(encoding="utf-8")
    assert [name for name in DEFAULTS if f"| `{name}` |" not in text] == []


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
