"""HTTP as standard clients expect it: 405s say what is allowed, HEAD works like GET, and an
API refused for its token says so in ``WWW-Authenticate`` (RFC 6750 §3)."""

from __future__ import annotations

import pytest

from coolsms_oauth_django.endpoints import BALANCE_PATH, SEND_MESSAGE_PATH
from coolsms_oauth_django.sandbox.api import API_ROUTES

from ..helpers.sandbox import AUTHORIZE_PATH, TOKEN_PATH, authorize_params, bearer, tokens


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/", "GET, HEAD"),
        ("PUT", AUTHORIZE_PATH, "GET, POST, HEAD"),
        ("GET", TOKEN_PATH, "POST"),
        ("HEAD", TOKEN_PATH, "POST"),
        ("PATCH", TOKEN_PATH, "POST"),
        ("OPTIONS", TOKEN_PATH, "POST"),
        ("POST", BALANCE_PATH, "GET, HEAD"),
        ("GET", SEND_MESSAGE_PATH, "POST"),
        ("GET", "/_sandbox/faults", "POST, DELETE"),
        ("GET", "/_sandbox/reset", "POST"),
        ("POST", "/_sandbox/grants", "GET, HEAD"),
    ],
)
def test_a_405_lists_the_allowed_methods(auto_sandbox, http, method, path, allow):
    response = http.request(method, auto_sandbox.base_url + path, json={})
    assert response.status_code == 405
    assert response.headers["Allow"] == allow
    if method != "HEAD":
        assert response.json()["errorCode"] == "MethodNotAllowed"


@pytest.mark.parametrize("path", sorted(API_ROUTES))
def test_every_api_path_answers_a_wrong_method_with_allow(auto_sandbox, http, path):
    issued = tokens(auto_sandbox, http)
    response = http.patch(auto_sandbox.base_url + path, headers=bearer(issued["access_token"]))
    assert response.status_code == 405
    assert response.headers["Allow"]
    assert "PATCH" not in response.headers["Allow"]


def test_a_cors_preflight_is_not_approved(auto_sandbox, http):
    response = http.options(
        auto_sandbox.base_url + TOKEN_PATH,
        headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 405
    assert "Access-Control-Allow-Origin" not in response.headers


def head_and_get(http, url: str, **kwargs):
    head = http.head(url, allow_redirects=False, **kwargs)
    get = http.get(url, allow_redirects=False, **kwargs)
    return head, get


def assert_head_matches_get(head, get) -> None:
    assert head.status_code == get.status_code
    assert head.content == b""
    assert get.content
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.headers["Content-Length"] == str(len(get.content))


def test_head_of_the_home_page_is_its_get_without_a_body(auto_sandbox, http):
    assert_head_matches_get(*head_and_get(http, auto_sandbox.base_url + "/"))


def test_head_of_the_login_page_is_its_get_without_a_body(sandbox, http):
    url = sandbox.base_url + AUTHORIZE_PATH
    head, get = head_and_get(http, url, params=authorize_params(sandbox))
    assert head.status_code == 200
    assert_head_matches_get(head, get)


@pytest.mark.parametrize(
    "path", sorted(path for path, route in API_ROUTES.items() if route.method == "GET")
)
def test_head_of_an_api_is_its_get_without_a_body(auto_sandbox, http, path):
    issued = tokens(auto_sandbox, http, scope=API_ROUTES[path].scope)
    head, get = head_and_get(
        http, auto_sandbox.base_url + path, headers=bearer(issued["access_token"])
    )
    assert head.status_code == 200
    assert_head_matches_get(head, get)


def test_head_of_an_inspection_call_is_its_get_without_a_body(auto_sandbox, http):
    tokens(auto_sandbox, http)
    head, get = head_and_get(http, auto_sandbox.base_url + "/_sandbox/grants")
    assert head.status_code == 200
    assert_head_matches_get(head, get)


def test_head_keeps_the_connection_usable(auto_sandbox, http):
    for _ in range(3):
        assert http.head(auto_sandbox.base_url + "/").status_code == 200
    assert http.get(auto_sandbox.base_url + "/").text.startswith("<!DOCTYPE html>")


def test_a_head_request_meets_the_faults_of_its_path(auto_sandbox, http):
    auto_sandbox.inject_fault(BALANCE_PATH, status=503, body="down", content_type="text/plain")
    response = http.head(auto_sandbox.base_url + BALANCE_PATH)
    assert (response.status_code, response.content) == (503, b"")
    assert response.headers["Content-Length"] == "4"


@pytest.mark.parametrize("path", sorted(API_ROUTES))
def test_an_api_call_without_a_token_gets_a_bare_bearer_challenge(auto_sandbox, http, path):
    route = API_ROUTES[path]
    response = http.request(route.method, auto_sandbox.base_url + path, json={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_another_authentication_scheme_gets_a_bare_bearer_challenge(auto_sandbox, http):
    response = http.get(auto_sandbox.base_url + BALANCE_PATH, auth=("user", "password"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer", "Bearer  ", "Bearer two words"])
def test_a_malformed_bearer_header_is_an_invalid_request(auto_sandbox, http, header):
    response = http.get(auto_sandbox.base_url + BALANCE_PATH, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_request"'


def test_a_token_the_sandbox_did_not_sign_is_an_invalid_token(auto_sandbox, http):
    response = http.get(auto_sandbox.base_url + BALANCE_PATH, headers=bearer("not.a.token"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("how", ["expired", "revoked", "lifetime over"])
def test_an_expired_or_revoked_token_is_an_invalid_token(auto_sandbox, http, clock, how):
    issued = tokens(auto_sandbox, http)
    if how == "expired":
        auto_sandbox.expire_access_tokens()
    elif how == "revoked":
        auto_sandbox.revoke()
    else:
        clock.advance(auto_sandbox.config.access_token_ttl + 1)
    response = http.get(
        auto_sandbox.base_url + BALANCE_PATH, headers=bearer(issued["access_token"])
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_a_token_without_the_scope_is_an_insufficient_scope(auto_sandbox, http):
    issued = tokens(auto_sandbox, http, scope="users:read")
    response = http.get(
        auto_sandbox.base_url + BALANCE_PATH, headers=bearer(issued["access_token"])
    )
    assert response.status_code == 403
    assert response.headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'


def test_only_refusals_for_the_token_carry_a_challenge(auto_sandbox, http):
    issued = tokens(auto_sandbox, http)
    answered = http.get(
        auto_sandbox.base_url + BALANCE_PATH, headers=bearer(issued["access_token"])
    )
    invalid_body = http.post(
        auto_sandbox.base_url + SEND_MESSAGE_PATH,
        data=b"not json",
        headers=bearer(issued["access_token"]),
    )
    token_endpoint = http.post(auto_sandbox.base_url + TOKEN_PATH, json={})
    assert (answered.status_code, invalid_body.status_code) == (200, 400)
    for response in (answered, invalid_body, token_endpoint):
        assert "WWW-Authenticate" not in response.headers
