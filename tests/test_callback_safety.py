"""What the callback trusts: the values it logs and the issuer it names."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import responses
from django.test import Client

from coolsms_oauth_django import oauth
from coolsms_oauth_django.conf import app_settings
from coolsms_oauth_django.models import CoolSMSAccount

from .conftest import TOKEN_URL, callback, calls_to, start_flow, token_body

pytestmark = pytest.mark.django_db

#: A standard OAuth server on another origin than the API, as Keycloak serves one realm.
REALM = "https://id.example.com/realms/sms"


@pytest.fixture
def standard_server(settings: Any, coolsms: responses.RequestsMock) -> responses.RequestsMock:
    """Send users to an authorization server on another origin than ``BASE_URL``."""
    settings.COOLSMS_OAUTH = {
        **settings.COOLSMS_OAUTH,
        "AUTHORIZE_URL": REALM + "/protocol/openid-connect/auth",
        "TOKEN_URL": REALM + "/protocol/openid-connect/token",
    }
    coolsms.post(REALM + "/protocol/openid-connect/token", json=token_body())
    return coolsms


# --- H7: values from the query are logged safely -----------------------------------------


@pytest.mark.parametrize("parameter", ["error", "errorCode"])
def test_h07_a_callback_error_cannot_forge_a_log_line(
    logged_in: Client, coolsms: responses.RequestsMock, caplog: Any, parameter: str
) -> None:
    forged = "x\n2026-12-01 05:00:00 CRITICAL django.security: forged\r\u2028entry"
    params = start_flow(logged_in)
    with caplog.at_level(logging.DEBUG):
        response = callback(logged_in, state=params["state"], **{parameter: forged})
    assert response.status_code == 302
    lines = [record.getMessage() for record in caplog.records]
    assert any("forged" in line for line in lines), lines  # logged, escaped
    for line in lines:
        assert line.splitlines() == [line], f"a record spans several lines: {line!r}"
    assert not any(record.levelno >= logging.CRITICAL for record in caplog.records)


def test_h07_a_token_endpoint_error_cannot_forge_a_log_line(
    logged_in: Client, coolsms: responses.RequestsMock, caplog: Any
) -> None:
    coolsms.replace(
        responses.POST, TOKEN_URL, status=400, json={"errorCode": "Bad\nCRITICAL forged"}
    )
    params = start_flow(logged_in)
    with caplog.at_level(logging.DEBUG, logger="coolsms_oauth_django"):
        callback(logged_in, code="code-1", state=params["state"])
    lines = [record.getMessage() for record in caplog.records]
    assert any("forged" in line for line in lines), lines
    assert all(line.splitlines() == [line] for line in lines), lines


# --- H8: RFC 9207 ------------------------------------------------------------------------


def test_h08_a_denial_naming_another_issuer_is_refused(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    params = start_flow(logged_in, next_url="/back/")
    response = callback(
        logged_in, error="access_denied", state=params["state"], iss="https://evil.example"
    )
    assert response.status_code == 400
    assert b"not valid" in response.content
    # The right issuer's denial is the usual friendly redirect.
    params = start_flow(logged_in, next_url="/back/")
    response = callback(
        logged_in, error="access_denied", state=params["state"], iss="https://api.coolsms.co.kr"
    )
    assert response.status_code == 302
    assert response["Location"] == "/back/"


def test_h08_a_standard_server_on_another_origin_is_accepted_without_setting_issuer(
    logged_in: Client, standard_server: responses.RequestsMock
) -> None:
    for issuer in (REALM, REALM + "/", "https://id.example.com"):
        params = start_flow(logged_in)
        response = callback(logged_in, code="code-1", state=params["state"], iss=issuer)
        assert response.status_code == 302, issuer
    assert CoolSMSAccount.objects.count() == 1
    assert len(calls_to(standard_server, REALM + "/protocol/openid-connect/token")) == 3


@pytest.mark.parametrize(
    "issuer",
    [
        "https://api.coolsms.co.kr",  # BASE_URL is not the authorization server here
        "https://id.example.com/realms/other",
        "https://id.example.com/realms/s",
        "http://id.example.com/realms/sms",
        "https://id.example.com:8443/realms/sms",
        "https://evil@id.example.com/realms/sms",
        "https://id.example.com.evil.example/realms/sms",
        "https://id.example.com/realms/sms?x=1",
        "",
    ],
)
def test_h08_without_issuer_only_the_authorize_urls_server_is_accepted(
    logged_in: Client, standard_server: responses.RequestsMock, issuer: str
) -> None:
    params = start_flow(logged_in)
    response = callback(logged_in, code="code-1", state=params["state"], iss=issuer)
    assert response.status_code == 400
    assert calls_to(standard_server, REALM + "/protocol/openid-connect/token") == []
    assert not CoolSMSAccount.objects.exists()


def test_h08_a_set_issuer_is_the_only_one_accepted(settings: Any) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "ISSUER": "https://issuer.example/"}
    config = app_settings()
    assert oauth.issuer_matches(config, "https://issuer.example")
    assert oauth.issuer_matches(config, "https://issuer.example/")
    assert not oauth.issuer_matches(config, "https://api.coolsms.co.kr")
