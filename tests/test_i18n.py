"""Translations: every user-facing string is translatable and the Korean catalog is complete."""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

import coolsms_oauth_django

PACKAGE = Path(coolsms_oauth_django.__file__).parent
LOCALE = PACKAGE / "locale"


def po_entries(path: Path) -> dict[str, str]:
    """Return msgid → msgstr (first plural form) from a .po file."""
    entries: dict[str, str] = {}
    current: dict[str, str] = {}
    key = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith(("msgid ", "msgid_plural ", "msgstr ", "msgstr[0] ")):
            key, _, rest = line.partition(" ")
            current[key] = eval(rest)
        elif line.startswith('"') and key:
            current[key] += eval(line)
        elif not line.strip():
            if current.get("msgid"):
                entries[current["msgid"]] = current.get("msgstr", current.get("msgstr[0]", ""))
            current, key = {}, ""
    return entries


def test_every_korean_message_is_translated() -> None:
    entries = po_entries(LOCALE / "ko/LC_MESSAGES/django.po")
    assert entries
    assert [msgid for msgid, msgstr in entries.items() if not msgstr] == []


def test_the_compiled_korean_catalog_matches_the_source() -> None:
    with (LOCALE / "ko/LC_MESSAGES/django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog = compiled._catalog  # type: ignore[attr-defined]
    for msgid, msgstr in po_entries(LOCALE / "ko/LC_MESSAGES/django.po").items():
        # Plural entries are stored under (msgid, form).
        assert catalog.get(msgid, catalog.get((msgid, 0))) == msgstr, msgid


def test_the_catalog_covers_every_translatable_string_in_the_code(tmp_path: Path) -> None:
    if shutil.which("xgettext") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("GNU gettext (xgettext) is required under CI")
        pytest.skip("GNU gettext (xgettext) is not installed; apt-get install gettext")
    copy = tmp_path / "coolsms_oauth_django"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "sandbox"))
    subprocess.run(
        [str(Path(sys.executable).parent / "django-admin"), "makemessages", "-l", "ko"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PYTHONPATH": str(PACKAGE.parent),
        },
    )
    fresh = po_entries(copy / "locale/ko/LC_MESSAGES/django.po")
    shipped = po_entries(LOCALE / "ko/LC_MESSAGES/django.po")
    assert sorted(set(fresh) - set(shipped)) == []


@pytest.mark.django_db
def test_pages_follow_the_browser_language(admin_client: Client) -> None:
    page = admin_client.get("/coolsms/connect/", HTTP_ACCEPT_LANGUAGE="ko")
    assert "쿨에스엠에스 계정 연결하기" in page.content.decode()
    page = admin_client.get("/coolsms/connect/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Connect your CoolSMS account" in page.content.decode()


def test_model_labels_are_translated() -> None:
    from coolsms_oauth_django.models import CoolSMSAccount

    with translation.override("ko"):
        assert str(CoolSMSAccount._meta.verbose_name) == "쿨에스엠에스 계정"
