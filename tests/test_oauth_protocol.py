"""The protocol module: token requests, response validation, expiry and scopes (items 18–20)."""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
import pytest
import requests
import responses
from django.core.exceptions import ImproperlyConfigured

from coolsms_oauth_django import http, oauth
from coolsms_oauth_django.conf import app_settings, oauth_config
from coolsms_oauth_django.exceptions import (
    ConfigurationError,
    CoolSMSAPIError,
    InvalidGrant,
    TokenError,
    TokenRefreshError,
)
from coolsms_oauth_django.session import fetch_profile

from .helpers.coolsms import (
    ACCESS_TOKEN,
    PROFILE_URL,
    REFRESH_TOKEN,
    TOKEN_URL,
    make_jwt,
    token_body,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
SECRET = "test-client-secret-value"
KEY = "signing-key-of-32-bytes-or-more-here"


def exchange(**kwargs: Any) -> oauth.TokenSet:
    with http.create_session() as session:
        return oauth.exchange_code(
            oauth_config(),
            session,
            code=kwargs.pop("code", "code-1"),
            redirect_uri="https://testserver/coolsms/callback/",
            now=NOW,
            **kwargs,
        )


def parse(body: Any, requested: tuple[str, ...] = ("users:read",)) -> oauth.TokenSet:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return oauth.parse_token_response(
        content, requested_scopes=requested, now=NOW, fallback_lifetime=86400
    )


# --- Request formats ---------------------------------------------------------------------


@responses.activate
def test_token_request_is_json_with_credentials_in_the_body_by_default() -> None:
    responses.post(TOKEN_URL, json=token_body())
    exchange()
    request = responses.calls[0].request
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body)["client_secret"] == SECRET
    assert "Authorization" not in request.headers


@responses.activate
def test_token_request_may_be_form_encoded_with_http_basic(settings: Any) -> None:
    settings.COOLSMS_OAUTH = {
        **settings.COOLSMS_OAUTH,
        "TOKEN_REQUEST_FORMAT": "form",
        "TOKEN_AUTH_METHOD": "basic",
        "CLIENT_ID": "id with space",
    }
    responses.post(TOKEN_URL, json=token_body())
    exchange()
    request = responses.calls[0].request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "client_secret" not in request.body
    assert "grant_type=authorization_code" in request.body
    scheme, encoded = request.headers["Authorization"].split()
    assert scheme == "Basic"
    assert base64.b64decode(encoded).decode() == f"id+with+space:{SECRET}"


@responses.activate
def test_token_url_may_be_any_absolute_url(settings: Any) -> None:
    settings.COOLSMS_OAUTH = {
        **settings.COOLSMS_OAUTH,
        "TOKEN_URL": "https://idp.example.com/oauth/token",
    }
    responses.post("https://idp.example.com/oauth/token", json=token_body())
    assert exchange().access_token == ACCESS_TOKEN


@responses.activate
def test_refresh_sends_the_refresh_token_grant() -> None:
    responses.post(TOKEN_URL, json={"access_token": ACCESS_TOKEN, "token_type": "bearer"})
    with http.create_session() as session:
        tokens = oauth.refresh_tokens(
            oauth_config(), session, refresh_token=REFRESH_TOKEN, scopes=("a:b",), now=NOW
        )
    body = json.loads(responses.calls[0].request.body)
    assert body["grant_type"] == "refresh_token"
    assert body["refresh_token"] == REFRESH_TOKEN
    assert tokens.refresh_token is None


# --- Item 18: transport ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["BASE_URL", "AUTHORIZE_URL", "TOKEN_URL"])
def test_sc18_plain_http_endpoints_are_refused_outside_debug(settings: Any, name: str) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, name: "http://api.coolsms.co.kr/x"}
    with pytest.raises(ImproperlyConfigured, match=name):
        app_settings()


def test_sc18_plain_http_is_allowed_with_debug_or_on_loopback(settings: Any) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "BASE_URL": "http://127.0.0.1:8765"}
    assert app_settings().token_url == "http://127.0.0.1:8765/oauth2/v1/access_token"
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "BASE_URL": "http://sandbox.internal"}
    settings.DEBUG = True
    assert app_settings().base_url == "http://sandbox.internal"


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1@evil.example", "https://user:pw@api.coolsms.co.kr"]
)
def test_sc18_urls_with_userinfo_are_refused_at_configuration_time(settings: Any, url: str) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "TOKEN_URL": url}
    with pytest.raises(ConfigurationError, match="user information"):
        app_settings()


def test_sc18_tls_verification_stays_on() -> None:
    with http.create_session() as session:
        assert session.verify is True
    assert "verify" not in oauth._token_request.__code__.co_names


@responses.activate
def test_sc29_every_token_request_has_a_timeout(settings: Any) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "TIMEOUT": 3}
    responses.post(TOKEN_URL, json=token_body())
    exchange()
    assert responses.calls[0].request.req_kwargs["timeout"] == 3


# --- Item 19: validating token responses -------------------------------------------------


@pytest.mark.parametrize("token_type", ["Bearer", "bearer", "BEARER"])
def test_sc19_token_type_bearer_in_any_case(token_type: str) -> None:
    assert parse(token_body(token_type=token_type)).token_type == "Bearer"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (token_body(access_token=None), "no access_token"),
        (token_body(access_token=""), "no access_token"),
        (token_body(access_token=42), "no access_token"),
        (token_body(token_type="mac"), "token_type"),
        (token_body(expires_in="soon"), "expires_in"),
        (token_body(expires_in=-5), "expires_in"),
        (token_body(expires_in=True), "expires_in"),
        (token_body(refresh_token=123), "refresh_token"),
        (["access_token"], "JSON"),
        (b"<html>OK</html>", "JSON"),
        (b"", "JSON"),
    ],
)
def test_sc19_invalid_token_responses_give_a_clean_error(body: Any, message: str) -> None:
    with pytest.raises(TokenError, match=message):
        parse(body)


@pytest.mark.parametrize("value", [3600, "3600", " 3600 "])
def test_sc19_expires_in_may_be_an_int_or_a_numeric_string(value: Any) -> None:
    assert parse(token_body(expires_in=value)).expires_at == NOW + timedelta(seconds=3600)


def test_sc19_unknown_fields_are_ignored() -> None:
    assert parse(token_body(id_token="x", extra={"a": 1})).access_token == ACCESS_TOKEN


@responses.activate
@pytest.mark.parametrize(
    ("status", "body", "content_type", "error"),
    [
        (502, "<html><body>Bad gateway</body></html>", "text/html", TokenRefreshError),
        (503, "", "text/plain", TokenRefreshError),
        (
            500,
            '{"errorCode":"InternalError","errorMessage":"x"}',
            "application/json",
            TokenRefreshError,
        ),
        (403, '{"errorCode":"InvalidGrant","errorMessage":"x"}', "application/json", InvalidGrant),
        (400, '{"errorCode":"InvalidRefreshToken"}', "application/json", InvalidGrant),
        (
            400,
            '{"error":"invalid_grant","error_description":"gone"}',
            "application/json",
            InvalidGrant,
        ),
        (400, '{"errorCode":"InvalidClient","errorMessage":"x"}', "application/json", TokenError),
        (200, "<html>not json</html>", "text/html", TokenError),
        (200, "", "application/json", TokenError),
    ],
)
def test_sc19_error_answers_map_to_clear_exceptions(
    status: int, body: str, content_type: str, error: type[Exception]
) -> None:
    responses.post(TOKEN_URL, status=status, body=body, content_type=content_type)
    with pytest.raises(error) as info:
        exchange()
    assert type(info.value) is error


@responses.activate
def test_sc19_a_huge_body_is_refused_unread() -> None:
    responses.post(TOKEN_URL, body=b"x" * (oauth.MAX_RESPONSE_BYTES + 10))
    with pytest.raises(TokenError, match="JSON"):
        exchange()


@responses.activate
def test_network_errors_become_retryable_errors() -> None:
    responses.post(TOKEN_URL, body=requests.ConnectionError("refused"))
    with pytest.raises(TokenRefreshError) as info:
        exchange()
    assert info.value.retryable


@responses.activate
def test_error_details_are_kept_on_the_exception() -> None:
    responses.post(
        TOKEN_URL, status=403, json={"errorCode": "InvalidGrant", "errorMessage": "expired"}
    )
    with pytest.raises(InvalidGrant) as info:
        exchange()
    assert (info.value.status, info.value.error_code) == (403, "InvalidGrant")
    assert info.value.description == "expired"


# --- Item 20: the client secret stays secret ---------------------------------------------


@responses.activate
def test_sc20_client_secret_never_appears_in_urls_logs_or_errors(
    caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    responses.post(TOKEN_URL, status=400, json={"errorCode": "InvalidClient"})
    with pytest.raises(TokenError) as info:
        exchange()
    url = oauth.authorize_url(oauth_config(), redirect_uri="https://x/cb", state="s")
    assert SECRET not in url
    assert SECRET not in responses.calls[0].request.url
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    assert SECRET not in caplog.text
    assert SECRET not in repr(app_settings())
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "TOKEN_AUTH_METHOD": "basic"}
    with pytest.raises(TokenError):
        exchange()
    assert SECRET not in caplog.text


# --- Item 26 (parsing side): expiry and scopes -------------------------------------------


def test_expiry_comes_from_expires_in_first() -> None:
    tokens = parse(token_body(access_token=make_jwt(exp=0), expires_in=600))
    assert tokens.expires_at == NOW + timedelta(seconds=600)


def test_sc26_expiry_comes_from_the_jwt_exp_claim() -> None:
    exp = int((NOW + timedelta(hours=3)).timestamp())
    assert parse(token_body(access_token=make_jwt(exp=exp))).expires_at == NOW + timedelta(hours=3)


def test_sc26_expiry_comes_from_the_jwt_expire_at_claim() -> None:
    token = jwt.encode(
        {"expireAt": "2026-01-01T18:00:00.000Z", "scope": "users:read"}, KEY, algorithm="HS256"
    )
    assert parse(token_body(access_token=token)).expires_at == NOW + timedelta(hours=6)


def test_sc26_naive_expire_at_is_read_as_utc() -> None:
    token = jwt.encode({"expireAt": "2026-01-01T13:00:00"}, KEY, algorithm="HS256")
    assert parse(token_body(access_token=token)).expires_at == NOW + timedelta(hours=1)


def test_sc26_opaque_tokens_fall_back_to_the_configured_lifetime() -> None:
    tokens = parse(token_body(access_token="opaque-token-value"))
    assert tokens.expires_at == NOW + timedelta(seconds=86400)
    assert tokens.claims == {}
    assert tokens.member_id is None


@pytest.mark.parametrize(
    "token",
    [
        "not.a.jwt",
        "a.b",
        "eyJhbGciOiJub25lIn0.eyJleHAiOiJzb29uIn0.",  # alg=none, exp a string
        jwt.encode({"exp": 10**20}, KEY, algorithm="HS256"),
        jwt.encode({"expireAt": "yesterday-ish"}, KEY, algorithm="HS256"),
        make_jwt()[:-4] + "AAAA",  # tampered signature
    ],
)
def test_sc26_garbage_none_or_tampered_jwts_never_crash(token: str) -> None:
    tokens = parse(token_body(access_token=token))
    assert NOW < tokens.expires_at <= NOW + oauth.MAX_LIFETIME


def test_sc26_claims_are_never_trusted_for_authorization() -> None:
    # A tampered token still schedules a refresh, but carries no verified identity.
    tampered = make_jwt(memberId="MEM-ATTACKER")[:-4] + "AAAA"
    tokens = parse(token_body(access_token=tampered))
    assert tokens.member_id == "MEM-ATTACKER"  # only a hint; the profile call decides


def test_scopes_come_from_the_response_then_the_jwt_then_the_request() -> None:
    assert parse(token_body(scope="cash:read")).scopes == ("cash:read",)
    assert parse(token_body(access_token=make_jwt(scope="users:read kakao:read"))).scopes == (
        "users:read",
        "kakao:read",
    )
    token = jwt.encode({"scopes": ["a:read", "b:read"]}, KEY, algorithm="HS256")
    assert parse(token_body(access_token=token)).scopes == ("a:read", "b:read")
    assert parse(token_body(access_token="opaque"), requested=("x:y",)).scopes == ("x:y",)


def test_token_set_repr_shows_no_token() -> None:
    tokens = parse(token_body())
    assert ACCESS_TOKEN not in repr(tokens)
    assert REFRESH_TOKEN not in repr(tokens)


# --- Profile -----------------------------------------------------------------------------


@responses.activate
def test_sc23_profile_is_fetched_with_the_token_only_in_the_authorization_header() -> None:
    responses.get(PROFILE_URL, json={"memberId": "M1"})
    with http.create_session() as session:
        assert fetch_profile(app_settings(), session, ACCESS_TOKEN) == {"memberId": "M1"}
    request = responses.calls[0].request
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert ACCESS_TOKEN not in request.url
    assert request.body is None
    assert request.headers["User-Agent"] == http.USER_AGENT


@responses.activate
@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (401, '{"errorCode":"Unauthorized","errorMessage":"expired"}', "Unauthorized"),
        (403, '{"error":"insufficient_scope"}', "insufficient_scope"),
        (502, "<html>bad gateway</html>", "HTTP502"),
        (200, "[1, 2]", "InvalidResponse"),
    ],
)
def test_profile_errors_become_api_errors(status: int, body: str, code: str) -> None:
    responses.get(PROFILE_URL, status=status, body=body)
    with http.create_session() as session, pytest.raises(CoolSMSAPIError) as info:
        fetch_profile(app_settings(), session, ACCESS_TOKEN)
    assert info.value.error_code == code


@responses.activate
def test_profile_network_error_becomes_an_api_error() -> None:
    responses.get(PROFILE_URL, body=requests.Timeout("slow"))
    with http.create_session() as session, pytest.raises(CoolSMSAPIError) as info:
        fetch_profile(app_settings(), session, ACCESS_TOKEN)
    assert info.value.error_code == "Timeout"


def test_importing_the_protocol_module_loads_no_django() -> None:
    # A fresh interpreter: this one has Django loaded already.
    script = (
        "import sys, coolsms_oauth_django.oauth\n"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_protocol_works_from_a_plain_config_without_settings() -> None:
    config = oauth.ClientConfig(
        client_id="plain-client",
        client_secret=SECRET,
        authorize_url="https://id.example/authorize?tenant=a",
        token_url="https://id.example/token",
        scopes=("users:read",),
    )
    url = oauth.authorize_url(config, redirect_uri="https://x/cb", state="s")
    assert url.startswith("https://id.example/authorize?tenant=a&client_id=plain-client&")
    assert SECRET not in repr(config)
    assert oauth.issuer_matches(config, "https://id.example")


def test_the_sandbox_checks_a_verifier_with_the_clients_own_s256() -> None:
    verifier = oauth.new_code_verifier()
    challenge = oauth.code_challenge(verifier)
    assert oauth.S256_CHALLENGE.fullmatch(challenge)
    assert oauth.verifier_matches(verifier, challenge)
    assert not oauth.verifier_matches(oauth.new_code_verifier(), challenge)
    assert not oauth.verifier_matches("short", oauth.code_challenge("short"))
    # RFC 7636 appendix B.
    example = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert oauth.code_challenge(example) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
