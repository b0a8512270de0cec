"""The pytest plugin's fixtures, used the way a site's own test suite uses them."""

from __future__ import annotations

import pytest
import requests
from django.conf import settings as django_settings

from coolsms_oauth_django.sandbox import Sandbox

from ..helpers.sandbox import tokens


def test_coolsms_sandbox_is_running_and_auto_approves(coolsms_sandbox):
    assert isinstance(coolsms_sandbox, Sandbox)
    assert coolsms_sandbox.running
    assert coolsms_sandbox.config.auto_approve
    with requests.Session() as http:
        assert tokens(coolsms_sandbox, http)["token_type"] == "Bearer"


def test_coolsms_sandbox_settings_points_coolsms_oauth_at_the_sandbox(coolsms_sandbox_settings):
    conf = django_settings.COOLSMS_OAUTH
    assert conf["BASE_URL"] == coolsms_sandbox_settings.base_url
    assert conf["CLIENT_ID"] == coolsms_sandbox_settings.client_id
    assert conf["CLIENT_SECRET"] == coolsms_sandbox_settings.client_secret


def test_coolsms_sandbox_settings_keeps_the_other_keys(coolsms_sandbox_settings):
    assert django_settings.COOLSMS_OAUTH["SCOPES"] == ["users:read", "cash:read", "message:write"]


def test_coolsms_sandbox_settings_is_undone_after_the_test():
    assert "BASE_URL" not in django_settings.COOLSMS_OAUTH


def test_coolsms_sandbox_settings_works_without_an_existing_setting(settings, request):
    del settings.COOLSMS_OAUTH
    sandbox = request.getfixturevalue("coolsms_sandbox_settings")
    assert {
        "CLIENT_ID": sandbox.client_id,
        "CLIENT_SECRET": sandbox.client_secret,
        "BASE_URL": sandbox.base_url,
    } == django_settings.COOLSMS_OAUTH


def test_coolsms_sandbox_settings_explains_a_missing_pytest_django(monkeypatch, request):
    def missing(name):
        raise pytest.FixtureLookupError(name, request)

    from coolsms_oauth_django import testing

    fixture = testing.coolsms_sandbox_settings.__wrapped__  # type: ignore[attr-defined]
    monkeypatch.setattr(request, "getfixturevalue", missing)
    with pytest.raises(pytest.UsageError, match="pytest-django"):
        fixture(Sandbox(), request)
