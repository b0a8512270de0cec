"""POST /oauth2/v1/access_token with the authorization_code grant and client authentication."""

from __future__ import annotations

import base64
import time

import jwt
import pytest
import requests

from coolsms_oauth_django.oauth import code_challenge as s256
from coolsms_oauth_django.sandbox import Sandbox
from coolsms_oauth_django.sandbox.memory import CODE_TTL

from ..helpers.sandbox import (
    REDIRECT_URI,
    REGISTERED,
    TOKEN_PATH,
    bearer,
    client_body,
    exchange,
    get_code,
    tokens,
)

VERIFIER = "verifier-" + "x" * 40


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def code_fields(sandbox: Sandbox, code: str) -> dict[str, str]:
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}


def test_a_code_exchanges_for_the_documented_token_response(auto_sandbox, http):
    response = exchange(auto_sandbox, http, get_code(auto_sandbox, http))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type"}
    assert body["token_type"] == "Bearer"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_access_token_is_a_jwt_with_the_documented_claims(auto_sandbox, http, clock):
    access_token = tokens(auto_sandbox, http)["access_token"]
    claims = jwt.decode(access_token, options={"verify_signature": False})
    user = auto_sandbox.default_user
    assert claims["exp"] == int(clock.now) + 86400
    assert claims["iat"] == int(clock.now)
    assert claims["expireAt"].endswith("Z")
    assert claims["scope"] == "users:read cash:read message:write"
    assert claims["memberId"] == user.member_id
    assert claims["accountId"] == user.account_id
    assert claims["clientId"] == auto_sandbox.client_id
    assert jwt.get_unverified_header(access_token)["alg"] == "HS256"
    assert access_token.split(".")[1].startswith("eyJleHBpcmVBdCI6")  # {"expireAt":


def test_every_access_token_has_a_unique_jti(auto_sandbox, http):
    first = jwt.decode(
        tokens(auto_sandbox, http)["access_token"], options={"verify_signature": False}
    )
    second = jwt.decode(
        tokens(auto_sandbox, http)["access_token"], options={"verify_signature": False}
    )
    assert first["jti"] != second["jti"]


def test_access_token_ttl_sets_the_lifetime():
    with Sandbox(auto_approve=True, access_token_ttl=60) as sb, requests.Session() as http:
        claims = jwt.decode(tokens(sb, http)["access_token"], options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == 60


def test_include_expires_in_adds_expires_in():
    with (
        Sandbox(auto_approve=True, include_expires_in=True, access_token_ttl=120) as sb,
        requests.Session() as http,
    ):
        assert tokens(sb, http)["expires_in"] == 120


def test_a_form_encoded_body_is_accepted(auto_sandbox, http):
    code = get_code(auto_sandbox, http)
    data = client_body(auto_sandbox, **code_fields(auto_sandbox, code))
    response = http.post(auto_sandbox.base_url + TOKEN_PATH, data=data)
    assert response.status_code == 200


def test_http_basic_client_authentication_is_accepted(auto_sandbox, http):
    code = get_code(auto_sandbox, http)
    headers = basic(auto_sandbox.client_id, auto_sandbox.client_secret)
    response = http.post(
        auto_sandbox.base_url + TOKEN_PATH, json=code_fields(auto_sandbox, code), headers=headers
    )
    assert response.status_code == 200


def test_basic_credentials_are_form_decoded():
    with (
        Sandbox(auto_approve=True, client_id="id:with space", client_secret="s&cret=") as sb,
        requests.Session() as http,
    ):
        code = get_code(sb, http)
        headers = basic("id%3Awith+space", "s%26cret%3D")
        response = http.post(sb.base_url + TOKEN_PATH, json=code_fields(sb, code), headers=headers)
        assert response.status_code == 200


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, {"client_id": "sandbox-client-id"}),
        ({}, {"client_secret": "sandbox-client-secret"}),
        ({}, {"client_id": "sandbox-client-id", "client_secret": "wrong"}),
        ({}, {"client_id": "other", "client_secret": "sandbox-client-secret"}),
        (basic("sandbox-client-id", "wrong"), {}),
        (basic("sandbox-client-id", "sandbox-client-secret"), {"client_id": "other"}),
        (
            basic("sandbox-client-id", "sandbox-client-secret"),
            {"client_secret": "sandbox-client-secret"},
        ),
        ({"Authorization": "Basic not-base64!"}, {}),
        ({"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()}, {}),
        ({"Authorization": "Basic"}, {}),
    ],
)
def test_bad_or_missing_client_credentials_are_invalid_client(auto_sandbox, http, headers, body):
    code = get_code(auto_sandbox, http)
    response = http.post(
        auto_sandbox.base_url + TOKEN_PATH,
        json={**code_fields(auto_sandbox, code), **body},
        headers=headers,
    )
    assert response.status_code == 400
    assert response.json()["errorCode"] == "InvalidClient"


@pytest.mark.parametrize(
    "fields",
    [
        {"grant_type": None},
        {"grant_type": "password"},
        {"grant_type": "client_credentials"},
        {"code": None},
        {"code": 12345},
    ],
)
def test_missing_fields_or_unknown_grants_are_validation_errors(auto_sandbox, http, fields):
    body = {**client_body(auto_sandbox, **code_fields(auto_sandbox, "abc")), **fields}
    body = {key: value for key, value in body.items() if value is not None}
    response = http.post(auto_sandbox.base_url + TOKEN_PATH, json=body)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "ValidationError"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"grant_type=authorization_code", "text/plain"),
        (b"", ""),
        (b"grant_type=a&grant_type=b", "application/x-www-form-urlencoded"),
    ],
)
def test_unreadable_bodies_are_validation_errors(auto_sandbox, http, data, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = http.post(auto_sandbox.base_url + TOKEN_PATH, data=data, headers=headers)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "ValidationError"


def test_null_json_fields_count_as_absent(auto_sandbox, http):
    code = get_code(auto_sandbox, http)
    response = exchange(auto_sandbox, http, code, code_verifier=None)
    assert response.status_code == 200


def test_the_token_endpoint_only_accepts_post(auto_sandbox, http):
    assert http.get(auto_sandbox.base_url + TOKEN_PATH).status_code == 405


def test_an_unknown_code_is_invalid_grant(auto_sandbox, http):
    response = exchange(auto_sandbox, http, "never-issued")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "InvalidGrant"


def test_a_code_is_single_use(auto_sandbox, http):
    code = get_code(auto_sandbox, http)
    assert exchange(auto_sandbox, http, code).status_code == 200
    second = exchange(auto_sandbox, http, code)
    assert second.status_code == 403
    assert second.json()["errorCode"] == "InvalidGrant"


def test_reusing_a_code_revokes_the_grant_issued_from_it(auto_sandbox, http):
    code = get_code(auto_sandbox, http)
    issued = exchange(auto_sandbox, http, code).json()
    exchange(auto_sandbox, http, code)
    assert auto_sandbox.live_grants()[0]["revoked"] is True
    api = http.get(
        auto_sandbox.base_url + "/users/v1/member", headers=bearer(issued["access_token"])
    )
    assert api.status_code == 401
    refresh = http.post(
        auto_sandbox.base_url + TOKEN_PATH,
        json=client_body(
            auto_sandbox, grant_type="refresh_token", refresh_token=issued["refresh_token"]
        ),
    )
    assert refresh.json()["errorCode"] == "InvalidRefreshToken"


def test_a_failed_exchange_still_consumes_the_code(auto_sandbox, http):
    code = get_code(auto_sandbox, http)
    assert (
        exchange(auto_sandbox, http, code, redirect_uri="http://localhost/other").status_code == 403
    )
    assert exchange(auto_sandbox, http, code).status_code == 403
    assert auto_sandbox.live_grants() == []


def test_a_code_expires_after_300_seconds(auto_sandbox, http, clock):
    code = get_code(auto_sandbox, http)
    clock.advance(CODE_TTL + 1)
    response = exchange(auto_sandbox, http, code)
    assert response.status_code == 403
    assert "expired" in response.json()["errorMessage"]


def test_a_code_is_still_valid_just_before_300_seconds(auto_sandbox, http, clock):
    code = get_code(auto_sandbox, http)
    clock.advance(CODE_TTL - 1)
    assert exchange(auto_sandbox, http, code).status_code == 200


def test_a_code_is_bound_to_the_redirect_uri(auto_sandbox, http):
    code = get_code(auto_sandbox, http)
    response = exchange(auto_sandbox, http, code, redirect_uri="http://localhost:8000/elsewhere/")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "InvalidGrant"


def test_redirect_uri_may_be_left_out_when_the_authorize_request_had_none(registered_sandbox, http):
    code = get_code(registered_sandbox, http, redirect_uri=None)
    response = exchange(registered_sandbox, http, code, redirect_uri=None)
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"


def test_redirect_uri_sent_anyway_must_be_the_one_the_code_went_to(registered_sandbox, http):
    used = get_code(registered_sandbox, http, redirect_uri=None)
    assert exchange(registered_sandbox, http, used, redirect_uri=REGISTERED[0]).status_code == 200
    other = get_code(registered_sandbox, http, redirect_uri=None)
    response = exchange(registered_sandbox, http, other, redirect_uri=REGISTERED[1])
    assert response.status_code == 403
    assert response.json()["errorCode"] == "InvalidGrant"


@pytest.mark.parametrize("missing", [None, ""])
def test_redirect_uri_is_required_when_the_authorize_request_carried_one(
    registered_sandbox, http, missing
):
    code = get_code(registered_sandbox, http, redirect_uri=REGISTERED[0])
    response = exchange(registered_sandbox, http, code, redirect_uri=missing)
    assert response.status_code == 403
    assert response.json() == {
        "errorCode": "InvalidGrant",
        "errorMessage": "redirect_uri is required: the authorization request had one",
    }
    assert registered_sandbox.live_grants() == []


def test_a_code_presented_by_another_registered_client_is_refused(auto_sandbox, http):
    # Only one client is registered, so forge the record's owner to see the check.
    code = get_code(auto_sandbox, http)
    auto_sandbox._state._codes[code].client_id = "another-client"
    assert exchange(auto_sandbox, http, code).json()["errorCode"] == "InvalidGrant"


def test_pkce_with_the_matching_verifier_succeeds(auto_sandbox, http):
    code = get_code(auto_sandbox, http, code_challenge=s256(VERIFIER), code_challenge_method="S256")
    assert exchange(auto_sandbox, http, code, code_verifier=VERIFIER).status_code == 200


def test_pkce_without_the_verifier_is_invalid_grant(auto_sandbox, http):
    code = get_code(auto_sandbox, http, code_challenge=s256(VERIFIER), code_challenge_method="S256")
    response = exchange(auto_sandbox, http, code)
    assert response.status_code == 403
    assert response.json()["errorCode"] == "InvalidGrant"


@pytest.mark.parametrize("verifier", [VERIFIER + "x", "short", "é" * 43])
def test_pkce_with_a_wrong_verifier_is_invalid_grant(auto_sandbox, http, verifier):
    code = get_code(auto_sandbox, http, code_challenge=s256(VERIFIER), code_challenge_method="S256")
    response = exchange(auto_sandbox, http, code, code_verifier=verifier)
    assert response.json()["errorCode"] == "InvalidGrant"


def test_a_verifier_without_a_challenge_is_refused_as_a_downgrade(auto_sandbox, http):
    code = get_code(auto_sandbox, http)
    assert exchange(auto_sandbox, http, code, code_verifier=VERIFIER).status_code == 403


def test_stale_codes_are_forgotten_eventually(auto_sandbox, http, clock):
    old = get_code(auto_sandbox, http)
    clock.advance(CODE_TTL * 10 + 1)
    get_code(auto_sandbox, http)
    assert (
        exchange(auto_sandbox, http, old).json()["errorMessage"] == "authorization code is unknown"
    )


def test_the_sandbox_clock_defaults_to_real_time(http):
    with Sandbox(auto_approve=True) as sb:
        claims = jwt.decode(tokens(sb, http)["access_token"], options={"verify_signature": False})
        assert abs(claims["iat"] - time.time()) < 5
