"""What the callback trusts: the values it logs, the issuer and the member it names."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import responses
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from coolsms_oauth_django import oauth
from coolsms_oauth_django.conf import oauth_config
from coolsms_oauth_django.models import CoolSMSAccount

from .helpers.accounts import stored_tokens
from .helpers.coolsms import (
    PROFILE,
    PROFILE_URL,
    REALM,
    REFRESH_TOKEN,
    TOKEN_URL,
    calls_to,
    make_jwt,
    token_body,
)
from .helpers.flows import callback, start_flow

pytestmark = pytest.mark.django_db

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
    config = oauth_config()
    assert oauth.issuer_matches(config, "https://issuer.example")
    assert oauth.issuer_matches(config, "https://issuer.example/")
    assert not oauth.issuer_matches(config, "https://api.coolsms.co.kr")


# --- H4: a connection always knows its member --------------------------------------------


def connect_as(client: Client, mock: responses.RequestsMock, profile: dict[str, Any]) -> Any:
    """Run a connect flow whose profile read answers ``profile``; return the callback."""
    mock.replace(responses.GET, PROFILE_URL, json=profile)
    params = start_flow(client, next_url="/back/")
    return callback(client, code="code-1", state=params["state"])


def test_h04_a_failed_profile_read_stores_nothing_and_asks_to_try_again(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    coolsms.replace(responses.GET, PROFILE_URL, status=500, json={"errorCode": "InternalError"})
    params = start_flow(logged_in, next_url="/back/")
    response = callback(logged_in, code="code-1", state=params["state"])
    assert response["Location"] == "/back/"
    assert len(calls_to(coolsms, TOKEN_URL)) == 1  # the code was spent...
    assert not CoolSMSAccount.objects.exists()  # ...and nothing kept
    page = logged_in.get("/coolsms/connect/").content.decode()
    assert "did not say which account you connected" in page


@pytest.mark.parametrize(
    "profile",
    [
        {"name": "no id"},
        {"memberId": ""},
        {"memberId": "   "},
        {"memberId": 12345},
        {"memberId": "M" * 65},
        {"memberId": "MEM\n1"},
        {"memberId": "M" * 65, "sub": "fallback-is-not-taken"},
    ],
)
def test_h04_a_profile_naming_no_member_stores_nothing(
    logged_in: Client, coolsms: responses.RequestsMock, profile: dict[str, Any]
) -> None:
    response = connect_as(logged_in, coolsms, profile)
    assert response["Location"] == "/back/"
    assert not CoolSMSAccount.objects.exists()


def test_h04_two_users_cannot_both_connect_one_member_when_the_profile_fails(
    logged_in: Client, other_user: AbstractBaseUser, coolsms: responses.RequestsMock
) -> None:
    other = Client()
    other.force_login(other_user)
    connect_as(other, coolsms, PROFILE)
    # An opaque access token: nothing but the profile can tell whose it is.
    coolsms.replace(responses.POST, TOKEN_URL, json=token_body(access_token="opaque-access-2"))
    coolsms.replace(responses.GET, PROFILE_URL, status=503)
    params = start_flow(logged_in)
    callback(logged_in, code="code-2", state=params["state"])
    assert list(CoolSMSAccount.objects.values_list("user_id", "member_id")) == [
        (other_user.pk, PROFILE["memberId"])
    ]


def test_h04_a_reconnect_with_a_failing_profile_keeps_the_old_connection_whole(
    logged_in: Client, user: AbstractBaseUser, coolsms: responses.RequestsMock
) -> None:
    connect_as(logged_in, coolsms, PROFILE)
    before = stored_tokens(CoolSMSAccount.objects.get(user=user))
    coolsms.replace(
        responses.POST, TOKEN_URL, json=token_body(access_token=make_jwt(memberId="M2"))
    )
    coolsms.replace(responses.GET, PROFILE_URL, status=500)
    params = start_flow(logged_in)
    callback(logged_in, code="code-2", state=params["state"])
    account = CoolSMSAccount.objects.get(user=user)
    assert account.member_id == PROFILE["memberId"]
    assert stored_tokens(account) == before  # not the other member's tokens


def test_h04_a_reconnect_as_another_member_replaces_member_profile_and_tokens(
    logged_in: Client, user: AbstractBaseUser, coolsms: responses.RequestsMock
) -> None:
    connect_as(logged_in, coolsms, PROFILE)
    second_access = make_jwt(memberId="MEM0000000000002")
    coolsms.replace(
        responses.POST, TOKEN_URL, json=token_body(access_token=second_access, refresh_token=None)
    )
    connect_as(logged_in, coolsms, {"memberId": "MEM0000000000002", "name": "Second"})
    account = CoolSMSAccount.objects.get(user=user)
    assert account.member_id == "MEM0000000000002"
    assert (account.name, account.email, account.phone_number) == ("Second", "", "")
    # The first member's refresh token does not stay with the second member's tokens.
    assert stored_tokens(account) == (second_access, None)


def test_h04_a_reconnect_as_the_same_member_keeps_a_refresh_token_not_renewed(
    logged_in: Client, user: AbstractBaseUser, coolsms: responses.RequestsMock
) -> None:
    connect_as(logged_in, coolsms, PROFILE)
    coolsms.replace(responses.POST, TOKEN_URL, json=token_body(refresh_token=None))
    connect_as(logged_in, coolsms, PROFILE)
    assert stored_tokens(CoolSMSAccount.objects.get(user=user))[1] == REFRESH_TOKEN


def test_h04_a_standard_server_is_identified_by_sub(
    logged_in: Client, standard_server: responses.RequestsMock
) -> None:
    standard_server.replace(
        responses.GET, PROFILE_URL, json={"sub": "248289761001", "email": "j@example.com"}
    )
    params = start_flow(logged_in)
    assert callback(logged_in, code="code-1", state=params["state"]).status_code == 302
    account = CoolSMSAccount.objects.get()
    assert (account.member_id, account.email) == ("248289761001", "j@example.com")
