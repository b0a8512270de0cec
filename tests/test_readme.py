"""The README's examples run as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from coolsms_oauth_django.sandbox import Sandbox

README = Path(__file__).resolve().parent.parent / "README.md"


def code_block_after(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, f"no python block after {heading!r}"
    return match.group(1)


@pytest.mark.django_db
def test_the_site_test_example_passes(
    client: Client, django_user_model: Any, coolsms_sandbox_settings: Sandbox
) -> None:
    namespace: dict[str, Any] = {}
    exec(code_block_after("### In your site's tests"), namespace)
    namespace["test_user_connects_coolsms"](client, django_user_model, coolsms_sandbox_settings)


def test_every_setting_is_in_the_readme_table() -> None:
    from coolsms_oauth_django.conf import DEFAULTS

    text = README.read_text(encoding="utf-8")
    assert [name for name in DEFAULTS if f"| `{name}` |" not in text] == []
