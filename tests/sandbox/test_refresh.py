"""The refresh_token grant: with and without rotation, reuse detection and revocation."""

from __future__ import annotations

import jwt

from ..helpers.sandbox import TOKEN_PATH, bearer, client_body, refresh, tokens


def test_refresh_returns_a_new_access_token_and_no_refresh_token(auto_sandbox, http):
    issued = tokens(auto_sandbox, http)
    response = refresh(auto_sandbox, http, issued["refresh_token"])
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type"}
    assert body["access_token"] != issued["access_token"]


def test_without_rotation_the_refresh_token_works_again_and_again(auto_sandbox, http):
    refresh_token = tokens(auto_sandbox, http)["refresh_token"]
    for _ in range(3):
        assert refresh(auto_sandbox, http, refresh_token).status_code == 200
    assert auto_sandbox.token_calls() == {"authorization_code": 1, "refresh_token": 3}


def test_a_refreshed_access_token_calls_apis(auto_sandbox, http):
    new = refresh(auto_sandbox, http, tokens(auto_sandbox, http)["refresh_token"]).json()
    response = http.get(
        auto_sandbox.base_url + "/users/v1/member", headers=bearer(new["access_token"])
    )
    assert response.status_code == 200


def test_a_form_encoded_refresh_is_accepted(auto_sandbox, http):
    refresh_token = tokens(auto_sandbox, http)["refresh_token"]
    data = client_body(auto_sandbox, grant_type="refresh_token", refresh_token=refresh_token)
    assert http.post(auto_sandbox.base_url + TOKEN_PATH, data=data).status_code == 200


def test_an_unknown_refresh_token_is_invalid_refresh_token(auto_sandbox, http):
    response = refresh(auto_sandbox, http, "never-issued")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "InvalidRefreshToken"


def test_a_missing_refresh_token_is_a_validation_error(auto_sandbox, http):
    body = client_body(auto_sandbox, grant_type="refresh_token")
    response = http.post(auto_sandbox.base_url + TOKEN_PATH, json=body)
    assert response.json()["errorCode"] == "ValidationError"


def test_a_revoked_grant_refuses_refresh_with_invalid_refresh_token(auto_sandbox, http):
    refresh_token = tokens(auto_sandbox, http)["refresh_token"]
    assert auto_sandbox.revoke() == 1
    response = refresh(auto_sandbox, http, refresh_token)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "InvalidRefreshToken"


def test_refresh_can_narrow_the_scope(auto_sandbox, http):
    refresh_token = tokens(auto_sandbox, http)["refresh_token"]
    body = refresh(auto_sandbox, http, refresh_token, scope="users:read").json()
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["scope"] == "users:read"


def test_refresh_cannot_widen_the_scope(auto_sandbox, http):
    refresh_token = tokens(auto_sandbox, http)["refresh_token"]
    response = refresh(auto_sandbox, http, refresh_token, scope="users:read cash:write")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "InvalidScope"


def test_a_refresh_token_is_bound_to_its_client(auto_sandbox, http):
    refresh_token = tokens(auto_sandbox, http)["refresh_token"]
    auto_sandbox._state._grants[auto_sandbox.live_grants()[0]["grant_id"]].client_id = "other"
    assert refresh(auto_sandbox, http, refresh_token).json()["errorCode"] == "InvalidGrant"


def test_with_rotation_refresh_returns_a_new_refresh_token(rotating_sandbox, http):
    old = tokens(rotating_sandbox, http)["refresh_token"]
    body = refresh(rotating_sandbox, http, old).json()
    assert set(body) == {"access_token", "refresh_token", "token_type"}
    assert body["refresh_token"] != old
    assert refresh(rotating_sandbox, http, body["refresh_token"]).status_code == 200


def test_with_rotation_reusing_an_old_refresh_token_revokes_the_whole_grant(rotating_sandbox, http):
    old = tokens(rotating_sandbox, http)["refresh_token"]
    new = refresh(rotating_sandbox, http, old).json()
    reuse = refresh(rotating_sandbox, http, old)
    assert reuse.status_code == 403
    assert reuse.json()["errorCode"] == "InvalidGrant"
    assert rotating_sandbox.live_grants()[0]["revoked"] is True
    assert refresh(rotating_sandbox, http, new["refresh_token"]).json()["errorCode"] == (
        "InvalidRefreshToken"
    )
    api = http.get(
        rotating_sandbox.base_url + "/users/v1/member", headers=bearer(new["access_token"])
    )
    assert api.status_code == 401
