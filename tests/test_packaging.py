"""The package as users install it: wheel contents, a working install, clean migrations."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest
from django.core.management import call_command
from trove_classifiers import classifiers as known_classifiers

import coolsms_oauth_django

ROOT = Path(__file__).resolve().parent.parent


def wheel_metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(archive.read(name).decode("utf-8"))


def matrix_versions() -> tuple[list[str], list[str]]:
    """Return the Python and Django versions ``noxfile.py`` runs the suite under."""
    # The matrix's own sessions install no nox; make test, which has it, checks this.
    pytest.importorskip("nox", reason="noxfile.py needs nox, which the matrix sessions lack")
    spec = importlib.util.spec_from_file_location("noxfile", ROOT / "noxfile.py")
    assert spec is not None and spec.loader is not None
    noxfile = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(noxfile)
    pythons = sorted({python for python, _ in noxfile.COMBINATIONS})
    djangos = sorted({django for _, django in noxfile.COMBINATIONS})
    return pythons, djangos


def test_the_classifiers_name_every_python_and_django_version_the_matrix_tests(
    wheel: Path,
) -> None:
    declared = set(wheel_metadata(wheel).get_all("Classifier") or [])
    pythons, djangos = matrix_versions()
    expected = {f"Programming Language :: Python :: {v}" for v in pythons} | {
        f"Framework :: Django :: {v}" for v in djangos
    }
    assert sorted(expected - declared) == []
    # And no version the matrix does not test.
    versioned = re.compile(r"^(Programming Language :: Python|Framework :: Django) :: \d+\.\d+$")
    assert sorted(c for c in declared if versioned.match(c) and c not in expected) == []


def test_every_classifier_is_a_known_trove_classifier(wheel: Path) -> None:
    declared = wheel_metadata(wheel).get_all("Classifier") or []
    assert declared
    assert [c for c in declared if c not in known_classifiers] == []


def test_the_license_file_is_the_mit_license_the_metadata_declares(wheel: Path) -> None:
    metadata = wheel_metadata(wheel)
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text
    with zipfile.ZipFile(wheel) as archive:
        shipped = [n for n in archive.namelist() if n.endswith(".dist-info/licenses/LICENSE")]
        assert shipped and archive.read(shipped[0]).decode("utf-8") == text


def test_the_author_is_the_project_with_a_contact_address_and_holds_the_copyright(
    wheel: Path,
) -> None:
    metadata = wheel_metadata(wheel)
    author = metadata["Author-email"]
    match = re.fullmatch(r"(?P<name>[^<]+) <(?P<address>[^@\s]+@[^@\s]+\.[a-z]+)>", author)
    assert match, author
    name = match["name"].strip()
    assert "contributors" not in name.lower()
    assert "example" not in match["address"]
    assert f"Copyright (c) 2026 {name}\n" in (ROOT / "LICENSE").read_text(encoding="utf-8")


def test_the_metadata_links_the_source_the_issues_and_the_changelog(wheel: Path) -> None:
    urls = dict(
        entry.split(", ", 1) for entry in wheel_metadata(wheel).get_all("Project-URL") or []
    )
    assert {"Homepage", "Source", "Issues", "Changelog", "Documentation"} <= set(urls)
    assert all(url.startswith("https://") for url in urls.values())
    assert urls["Changelog"].endswith("/CHANGELOG.md")


def test_the_changelog_has_an_entry_for_the_current_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(
        rf"^## \[{re.escape(coolsms_oauth_django.__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$",
        text,
        re.MULTILINE,
    )


def test_the_wheel_ships_migrations_templates_locale_and_types(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "coolsms_oauth_django/py.typed",
        "coolsms_oauth_django/migrations/0001_initial.py",
        "coolsms_oauth_django/templates/coolsms_oauth/connect_button.html",
        "coolsms_oauth_django/locale/ko/LC_MESSAGES/django.mo",
        "coolsms_oauth_django/sandbox/__main__.py",
    ):
        assert required in names
    assert not any(name.startswith(("tests/", "example_project/")) for name in names)


def test_an_installed_wheel_is_a_working_app(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    (tmp_path / "site_settings.py").write_text(
        "SECRET_KEY = 'x' * 50\n"
        "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes',"
        " 'django.contrib.sessions', 'coolsms_oauth_django']\n"
        "MIDDLEWARE = ['django.contrib.sessions.middleware.SessionMiddleware']\n"
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ':memory:'}}\n"
        "ROOT_URLCONF = 'site_urls'\n"
        "USE_TZ = True\n"
        "TEMPLATES = [{'BACKEND': 'django.template.backends.django.DjangoTemplates',"
        " 'APP_DIRS': True}]\n"
        "COOLSMS_OAUTH = {'CLIENT_ID': 'id', 'CLIENT_SECRET': 'secret',"
        " 'ENCRYPTION_KEYS': ['6dS6IdHVsELaB1OkiLC0jHC3jxfbYlyFsUHwJ1rfB5E=']}\n"
    )
    (tmp_path / "site_urls.py").write_text(
        "from django.urls import include, path\n"
        "urlpatterns = [path('coolsms/', include('coolsms_oauth_django.urls'))]\n"
    )
    script = (
        "import django, coolsms_oauth_django as p; django.setup();"
        "from django.core.management import call_command;"
        "call_command('check', fail_level='WARNING');"
        "call_command('migrate', verbosity=0);"
        "from django.template.loader import get_template;"
        "get_template('coolsms_oauth/connect_button.html');"
        "print(p.__file__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": f"{tmp_path}{os.pathsep}{target}",
            "DJANGO_SETTINGS_MODULE": "site_settings",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith(str(target))


@pytest.mark.django_db
def test_models_and_migrations_agree() -> None:
    call_command("makemigrations", "coolsms_oauth", "--check", "--dry-run", verbosity=0)
