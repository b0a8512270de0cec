"""System checks coolsms_oauth.E001… each with a hint."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import Error, Warning
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.http import HttpResponse
from django.urls import path

from coolsms_oauth_django.checks import check_middleware, check_settings, check_urls
from coolsms_oauth_django.conf import app_settings
from coolsms_oauth_django.exceptions import ConfigurationError

#: This module is also a site's URLconf that forgot the app's URLs.
urlpatterns = [path("", lambda request: HttpResponse("home"))]


def ids(settings: Any, **overrides: Any) -> list[str]:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, **overrides}
    messages = check_settings()
    assert all(message.hint for message in messages)
    return [message.id for message in messages]


def test_a_valid_configuration_passes(settings: Any) -> None:
    assert ids(settings) == []


@pytest.mark.parametrize(
    ("overrides", "check_id"),
    [
        ({"CLIENT_ID": ""}, "coolsms_oauth.E001"),
        ({"CLIENT_SECRET": None}, "coolsms_oauth.E002"),
        ({"ENCRYPTION_KEYS": ["not-a-key"]}, "coolsms_oauth.E003"),
        ({"ENCRYPTION_KEYS": "a-single-string"}, "coolsms_oauth.E003"),
        ({"ENCRYPTION_KEYS": []}, "coolsms_oauth.E003"),
        ({"BASE_URL": "http://api.coolsms.co.kr"}, "coolsms_oauth.E004"),
        ({"TOKEN_URL": "https://127.0.0.1@evil.example/token"}, "coolsms_oauth.E006"),
        ({"AUTHORIZE_URL": "/relative/path"}, "coolsms_oauth.E006"),
        ({"BASE_URL": ""}, "coolsms_oauth.E006"),
        ({"TOKEN_REQUEST_FORMAT": "xml"}, "coolsms_oauth.E007"),
        ({"TOKEN_AUTH_METHOD": "jwt"}, "coolsms_oauth.E007"),
        ({"SCOPES": "users:read"}, "coolsms_oauth.E008"),
        ({"SCOPES": None}, "coolsms_oauth.E008"),
        ({"SCOPES": 5}, "coolsms_oauth.E008"),
        ({"POOL_SIZE": 0}, "coolsms_oauth.E009"),
        ({"POOL_SIZE": "10"}, "coolsms_oauth.E009"),
        ({"POOL_SIZE": True}, "coolsms_oauth.E009"),
    ],
)
def test_each_configuration_error_has_its_own_check(
    settings: Any, overrides: dict[str, Any], check_id: str
) -> None:
    assert check_id in ids(settings, **overrides)


def test_missing_encryption_keys_is_a_warning(settings: Any) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "ENCRYPTION_KEYS": None}
    [message] = check_settings()
    assert isinstance(message, Warning)
    assert message.id == "coolsms_oauth.W001"
    assert "SECRET_KEY_FALLBACKS" in message.hint


def test_a_non_dict_setting_is_reported(settings: Any) -> None:
    settings.COOLSMS_OAUTH = "client-id"
    [message] = check_settings()
    assert isinstance(message, Error) and message.id == "coolsms_oauth.E000"
    with pytest.raises(ImproperlyConfigured):
        app_settings()


def test_session_middleware_is_required(settings: Any) -> None:
    assert check_middleware() == []
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "sessions" not in m]
    [message] = check_middleware()
    assert message.id == "coolsms_oauth.E005"
    assert "SessionMiddleware" in message.hint


def test_the_accessor_names_the_missing_setting(settings: Any) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "CLIENT_ID": ""}
    with pytest.raises(ConfigurationError, match=r"COOLSMS_OAUTH\['CLIENT_ID'\]"):
        app_settings()


def test_settings_are_reread_when_they_change(settings: Any) -> None:
    assert app_settings().client_id == "test-client-id"
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "CLIENT_ID": "other"}
    assert app_settings().client_id == "other"


def test_defaults(settings: Any) -> None:
    settings.COOLSMS_OAUTH = {"CLIENT_ID": "i", "CLIENT_SECRET": "s"}
    config = app_settings()
    assert config.scopes == ("users:read",)
    assert config.authorize_url == "https://api.coolsms.co.kr/oauth2/v1/authorize"
    assert config.token_url == "https://api.coolsms.co.kr/oauth2/v1/access_token"
    assert config.profile_path == "/users/v1/member"
    assert (config.token_request_format, config.token_auth_method) == ("json", "body")
    assert config.use_pkce is False
    assert (config.state_ttl, config.access_token_lifetime, config.timeout) == (600, 86400, 10)
    assert config.issuer is None  # derived from AUTHORIZE_URL


def test_a_urlconf_without_the_app_urls_fails_the_check_naming_the_line_to_add(
    settings: Any,
) -> None:
    settings.ROOT_URLCONF = __name__
    [message] = check_urls()
    assert isinstance(message, Error) and message.id == "coolsms_oauth.E010"
    assert 'path("coolsms/", include("coolsms_oauth_django.urls"))' in message.hint
    assert repr(__name__) in message.hint


def test_manage_py_check_stops_at_a_missing_url_include(settings: Any) -> None:
    settings.ROOT_URLCONF = __name__
    with pytest.raises(SystemCheckError, match=r"coolsms_oauth\.E010"):
        call_command("check")


def test_a_urlconf_that_includes_the_app_urls_passes(settings: Any) -> None:
    assert settings.ROOT_URLCONF == "tests.urls"
    assert check_urls() == []
    call_command("check")  # and the whole check passes with it
