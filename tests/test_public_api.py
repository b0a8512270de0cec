"""The public names other code builds on: the model relation, the exception family, and
settings read only when used."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
import responses
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.test import Client

from coolsms_oauth_django import exceptions
from coolsms_oauth_django.models import CoolSMSAccount

from .helpers.flows import callback, start_flow

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_the_connection_is_user_coolsms_account(
    logged_in: Client, user: AbstractBaseUser, coolsms: responses.RequestsMock
) -> None:
    params = start_flow(logged_in)
    callback(logged_in, code="code-1", state=params["state"])
    user.refresh_from_db()
    assert isinstance(user.coolsms_account, CoolSMSAccount)  # type: ignore[attr-defined]
    assert user.coolsms_account.user_id == user.pk  # type: ignore[attr-defined]


def test_every_exception_shares_one_base_class() -> None:
    errors = [
        value
        for value in vars(exceptions).values()
        if inspect.isclass(value)
        and issubclass(value, Exception)
        and value.__module__ == exceptions.__name__
    ]
    assert len(errors) > 5
    assert all(issubclass(error, exceptions.CoolSMSOAuthError) for error in errors)


def test_errors_are_also_the_types_django_callers_catch() -> None:
    assert issubclass(exceptions.ConfigurationError, ImproperlyConfigured)
    assert issubclass(exceptions.CallbackError, SuspiciousOperation)
    assert issubclass(exceptions.StateMismatch, SuspiciousOperation)


def test_no_module_reads_the_setting_at_import_time(tmp_path: Path) -> None:
    # A site without COOLSMS_OAUTH imports every module; only using the app asks for it.
    (tmp_path / "bare_settings.py").write_text(
        "SECRET_KEY = 'x' * 50\n"
        "INSTALLED_APPS = ['django.contrib.admin', 'django.contrib.auth',"
        " 'django.contrib.contenttypes', 'django.contrib.sessions',"
        " 'django.contrib.messages', 'coolsms_oauth_django']\n"
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ':memory:'}}\n"
        "USE_TZ = True\n"
    )
    script = (
        "import django, importlib, pkgutil; django.setup()\n"
        "import coolsms_oauth_django as package\n"
        "for module in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "    if '.migrations.' not in module.name and not module.name.endswith('__main__'):\n"
        "        importlib.import_module(module.name)\n"
        "from coolsms_oauth_django.conf import app_settings\n"
        "from coolsms_oauth_django.exceptions import ConfigurationError\n"
        "try:\n"
        "    app_settings()\n"
        "except ConfigurationError as err:\n"
        "    print('asked when used:', err)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bare_settings",
            "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "asked when used: COOLSMS_OAUTH['CLIENT_ID'] is not set." in result.stdout
