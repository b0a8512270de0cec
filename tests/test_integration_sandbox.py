"""The whole connect flow against a running sandbox provider (no faked HTTP)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client

from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.sandbox import Sandbox

from .helpers.flows import csrf_token, start_flow
from .helpers.sandbox import read_form

pytestmark = pytest.mark.django_db


def follow_to_callback(location: str) -> str:
    """Return the site-relative callback URL from the provider's redirect."""
    parts = urlsplit(location)
    assert parts.path == "/coolsms/callback/"
    return f"{parts.path}?{parts.query}"


def consent(sandbox: Sandbox, authorize_url: str, decision: str) -> str:
    """Log in at the sandbox, answer its consent page, and return the redirect location."""
    user = sandbox.default_user
    with requests.Session() as browser:
        page = browser.get(authorize_url, timeout=10)
        assert page.status_code == 200
        action, fields = read_form(page.text, "login-form")
        fields.update(login=user.login, password=user.password)
        page = browser.post(urljoin(sandbox.base_url, action), data=fields, timeout=10)
        assert "users:read" in page.text and "승인" in page.text
        action, fields = read_form(page.text, "consent-form")
        fields["decision"] = decision
        answer = browser.post(
            urljoin(sandbox.base_url, action), data=fields, allow_redirects=False, timeout=10
        )
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def test_connect_flow_completes_against_the_sandbox(
    logged_in: Client, user: AbstractBaseUser, coolsms_sandbox_settings: Sandbox
) -> None:
    sandbox = coolsms_sandbox_settings
    params = start_flow(logged_in, next_url="/dashboard/")
    authorize = requests.get(
        sandbox.base_url + "/oauth2/v1/authorize",
        params=params,
        allow_redirects=False,
        timeout=10,
    )
    assert authorize.status_code == 302
    response = logged_in.get(follow_to_callback(authorize.headers["Location"]))
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    account = CoolSMSAccount.objects.get(user=user)
    assert account.member_id == sandbox.default_user.member_id
    assert account.name == sandbox.default_user.name
    assert account.phone_number == sandbox.default_user.phone_number
    assert account.scope_list == ["users:read", "cash:read", "message:write"]
    assert account.last_error == ""
    assert account.refresh_token
    # Expiry came from the JWT's claims, since CoolSMS sends no expires_in.
    assert abs((account.expires_at - account.connected_at).total_seconds() - 86400) < 5
    assert sandbox.token_calls()["authorization_code"] == 1


def test_login_and_consent_pages_then_approve(
    logged_in: Client, user: AbstractBaseUser, manual_sandbox: Sandbox
) -> None:
    token = csrf_token(logged_in)
    location = logged_in.post("/coolsms/connect/", {"csrfmiddlewaretoken": token})["Location"]
    redirect = consent(manual_sandbox, location, "approve")
    response = logged_in.get(follow_to_callback(redirect))
    assert response.status_code == 302
    assert CoolSMSAccount.objects.get(user=user).member_id == (
        manual_sandbox.default_user.member_id
    )


def test_deny_at_the_sandbox_stores_nothing(logged_in: Client, manual_sandbox: Sandbox) -> None:
    token = csrf_token(logged_in)
    location = logged_in.post("/coolsms/connect/", {"csrfmiddlewaretoken": token})["Location"]
    redirect = consent(manual_sandbox, location, "deny")
    assert parse_qs(urlsplit(redirect).query)["error"] == ["access_denied"]
    assert logged_in.get(follow_to_callback(redirect)).status_code == 302
    assert "declined" in logged_in.get("/coolsms/connect/").content.decode()
    assert not CoolSMSAccount.objects.exists()
    assert manual_sandbox.token_calls().get("authorization_code", 0) == 0


def test_pkce_flow_against_the_sandbox(
    logged_in: Client, coolsms_sandbox_settings: Sandbox, settings: Any
) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "USE_PKCE": True}
    sandbox = coolsms_sandbox_settings
    params = start_flow(logged_in)
    assert params["code_challenge_method"] == "S256"
    authorize = requests.get(
        sandbox.base_url + "/oauth2/v1/authorize", params=params, allow_redirects=False, timeout=10
    )
    assert logged_in.get(follow_to_callback(authorize.headers["Location"])).status_code == 302
    assert CoolSMSAccount.objects.count() == 1


@pytest.mark.parametrize(("request_format", "auth_method"), [("form", "basic"), ("json", "basic")])
def test_rfc6749_token_request_styles_work_against_the_sandbox(
    logged_in: Client,
    coolsms_sandbox_settings: Sandbox,
    settings: Any,
    request_format: str,
    auth_method: str,
) -> None:
    settings.COOLSMS_OAUTH = {
        **settings.COOLSMS_OAUTH,
        "TOKEN_REQUEST_FORMAT": request_format,
        "TOKEN_AUTH_METHOD": auth_method,
    }
    sandbox = coolsms_sandbox_settings
    params = start_flow(logged_in)
    authorize = requests.get(
        sandbox.base_url + "/oauth2/v1/authorize", params=params, allow_redirects=False, timeout=10
    )
    assert logged_in.get(follow_to_callback(authorize.headers["Location"])).status_code == 302
    assert CoolSMSAccount.objects.count() == 1
