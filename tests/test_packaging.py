"""The package as users install it: wheel contents, a working install, clean migrations."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("coolsms_oauth_django-*.whl")
    return built


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
        "ROOT_URLCONF = 'coolsms_oauth_django.urls'\n"
        "USE_TZ = True\n"
        "TEMPLATES = [{'BACKEND': 'django.template.backends.django.DjangoTemplates',"
        " 'APP_DIRS': True}]\n"
        "COOLSMS_OAUTH = {'CLIENT_ID': 'id', 'CLIENT_SECRET': 'secret',"
        " 'ENCRYPTION_KEYS': ['6dS6IdHVsELaB1OkiLC0jHC3jxfbYlyFsUHwJ1rfB5E=']}\n"
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
