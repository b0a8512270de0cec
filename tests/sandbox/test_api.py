"""The bearer APIs: profile, member, balance, send, with token and scope errors."""

from __future__ import annotations

import pytest

from coolsms_oauth_django.sandbox.messages import PRICES

from ..helpers.sandbox import bearer, tokens

SEND = "/messages/v4/send"
MESSAGE = {"to": "01012345678", "from": "029302266", "text": "안녕하세요, 샌드박스입니다."}


def test_userprofile_returns_the_member_profile(auto_sandbox, http, access_token):
    response = http.get(
        auto_sandbox.base_url + "/oauth2/v1/userprofile", headers=bearer(access_token)
    )
    assert response.status_code == 200
    user = auto_sandbox.default_user
    assert response.json() == {
        "memberId": user.member_id,
        "accountId": user.account_id,
        "name": user.name,
        "email": user.email,
        "phoneNumber": user.phone_number,
    }


def test_member_returns_the_documented_fields(auto_sandbox, http, access_token):
    body = http.get(auto_sandbox.base_url + "/users/v1/member", headers=bearer(access_token)).json()
    assert set(body) == {
        "memberId",
        "name",
        "email",
        "phoneNumber",
        "status",
        "selectedAccountId",
        "dateCreated",
        "dateUpdated",
    }
    assert body["status"] == "ACTIVE"
    assert body["phoneNumber"] == "01000000001"
    assert body["selectedAccountId"] == auto_sandbox.default_user.account_id


def test_balance_returns_balance_point_and_account(auto_sandbox, http, access_token):
    body = http.get(auto_sandbox.base_url + "/cash/v1/balance", headers=bearer(access_token)).json()
    user = auto_sandbox.default_user
    assert body["balance"] == user.balance
    assert body["point"] == user.point
    assert body["accountId"] == user.account_id


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_the_bearer_scheme_is_case_insensitive(auto_sandbox, http, access_token, scheme):
    headers = {"Authorization": f"{scheme} {access_token}"}
    assert http.get(auto_sandbox.base_url + "/users/v1/member", headers=headers).status_code == 200


def test_send_records_the_message_charges_and_answers_documented_fields(
    auto_sandbox, http, access_token
):
    user = auto_sandbox.default_user
    before = auto_sandbox.balance(user.member_id)
    response = http.post(
        auto_sandbox.base_url + SEND,
        json={"message": MESSAGE, "agent": {"appId": "APP123"}},
        headers=bearer(access_token),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["statusCode"] == "2000"
    assert body["groupId"].startswith("G4V")
    assert body["messageId"].startswith("M4V")
    assert body["accountId"] == user.account_id
    assert (body["to"], body["from"], body["type"], body["country"]) == (
        "01012345678",
        "029302266",
        "SMS",
        "82",
    )
    assert body["statusMessage"]
    assert auto_sandbox.balance(user.member_id) == before - PRICES["SMS"]
    [message] = auto_sandbox.messages()
    assert message["text"] == MESSAGE["text"]
    assert message["app_id"] == "APP123"
    assert message["message_id"] == body["messageId"]


def test_a_long_text_without_a_type_is_sent_as_lms(auto_sandbox, http, access_token):
    message = {**MESSAGE, "text": "가" * 46, "subject": "제목"}
    body = http.post(
        auto_sandbox.base_url + SEND, json={"message": message}, headers=bearer(access_token)
    ).json()
    assert body["type"] == "LMS"


def test_an_explicit_type_and_country_are_kept(auto_sandbox, http, access_token):
    message = {**MESSAGE, "type": "MMS", "country": "1"}
    body = http.post(
        auto_sandbox.base_url + SEND, json={"message": message}, headers=bearer(access_token)
    ).json()
    assert (body["type"], body["country"]) == ("MMS", "1")


@pytest.mark.parametrize(
    ("payload", "error_code"),
    [
        ({"message": {**MESSAGE, "to": "010-1234-5678"}}, "1011"),
        ({"message": {**MESSAGE, "to": ""}}, "1010"),
        ({"message": {**MESSAGE, "from": None}}, "1010"),
        ({"message": {**MESSAGE, "from": 29302266}}, "1011"),
        ({"message": {**MESSAGE, "to": "\uff10\uff11\uff10"}}, "1011"),
        ({"message": {**MESSAGE, "text": ""}}, "1010"),
        ({"message": {**MESSAGE, "text": "   "}}, "1010"),
        ({"message": {**MESSAGE, "type": "FAX"}}, "1025"),
        ({"message": {**MESSAGE, "type": 3}}, "1025"),
        ({"message": {**MESSAGE, "country": "KR"}}, "1011"),
        ({"message": MESSAGE, "agent": "APP123"}, "ValidationError"),
        ({"message": MESSAGE, "agent": {"appId": 7}}, "ValidationError"),
        ({"message": "hello"}, "ValidationError"),
        ({"to": "01012345678"}, "ValidationError"),
        (["not", "an", "object"], "ValidationError"),
    ],
)
def test_invalid_messages_are_refused_with_coolsms_status_codes(
    auto_sandbox, http, access_token, payload, error_code
):
    response = http.post(auto_sandbox.base_url + SEND, json=payload, headers=bearer(access_token))
    assert response.status_code == 400
    assert response.json()["errorCode"] == error_code
    assert auto_sandbox.messages() == []


def test_a_body_that_is_not_json_is_a_validation_error(auto_sandbox, http, access_token):
    response = http.post(auto_sandbox.base_url + SEND, data=b"{", headers=bearer(access_token))
    assert response.json()["errorCode"] == "ValidationError"


def test_sending_without_enough_balance_is_refused_and_charges_nothing(auto_sandbox, http):
    second = auto_sandbox.users[1]
    auto_sandbox._state.users[second.member_id].balance = 10.0
    access_token = tokens(auto_sandbox, http)["access_token"]
    auto_sandbox._state.users[auto_sandbox.default_user.member_id].balance = 10.0
    response = http.post(
        auto_sandbox.base_url + SEND, json={"message": MESSAGE}, headers=bearer(access_token)
    )
    assert response.status_code == 402
    assert response.json()["errorCode"] == "NotEnoughBalance"
    assert auto_sandbox.balance(auto_sandbox.default_user.member_id) == 10.0
    assert auto_sandbox.messages() == []


@pytest.mark.parametrize(
    ("path", "method", "scope"),
    [
        ("/oauth2/v1/userprofile", "GET", "cash:read"),
        ("/users/v1/member", "GET", "cash:read"),
        ("/cash/v1/balance", "GET", "users:read"),
        (SEND, "POST", "users:read"),
    ],
)
def test_a_token_without_the_scope_gets_403_unauthorized(auto_sandbox, http, path, method, scope):
    access_token = tokens(auto_sandbox, http, scope=scope)["access_token"]
    response = http.request(
        method,
        auto_sandbox.base_url + path,
        json={"message": MESSAGE},
        headers=bearer(access_token),
    )
    assert response.status_code == 403
    assert response.json()["errorCode"] == "Unauthorized"
    assert "scope" in response.json()["errorMessage"]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "required"),
        ({"Authorization": "Basic abc"}, "Bearer <access token>"),
        ({"Authorization": "Bearer"}, "Bearer <access token>"),
        ({"Authorization": "Bearer a b"}, "Bearer <access token>"),
        ({"Authorization": "Bearer not.a.jwt"}, "malformed"),
    ],
)
def test_missing_or_malformed_tokens_get_401_unauthorized(auto_sandbox, http, headers, message):
    response = http.get(auto_sandbox.base_url + "/users/v1/member", headers=headers)
    assert response.status_code == 401
    assert response.json()["errorCode"] == "Unauthorized"
    assert message in response.json()["errorMessage"]


def test_a_token_signed_by_another_sandbox_is_rejected(auto_sandbox, http):
    from coolsms_oauth_django.sandbox import Sandbox

    with Sandbox(auto_approve=True) as other:
        foreign = tokens(other, http)["access_token"]
    response = http.get(auto_sandbox.base_url + "/users/v1/member", headers=bearer(foreign))
    assert response.status_code == 401
    assert "signature" in response.json()["errorMessage"]


def test_an_unsigned_alg_none_token_is_rejected(auto_sandbox, http, access_token):
    import jwt

    claims = jwt.decode(access_token, options={"verify_signature": False})
    forged = jwt.encode(claims, key=None, algorithm="none")
    response = http.get(auto_sandbox.base_url + "/users/v1/member", headers=bearer(forged))
    assert response.status_code == 401


def test_a_token_without_a_jti_is_rejected(auto_sandbox, http):
    import jwt

    forged = jwt.encode({"exp": 2**40}, auto_sandbox._state.signer._key, algorithm="HS256")
    response = http.get(auto_sandbox.base_url + "/users/v1/member", headers=bearer(forged))
    assert response.status_code == 401


def test_an_expired_token_gets_401_saying_it_expired(auto_sandbox, http, access_token, clock):
    clock.advance(86400)
    response = http.get(auto_sandbox.base_url + "/users/v1/member", headers=bearer(access_token))
    assert response.status_code == 401
    assert "expired" in response.json()["errorMessage"]


def test_expire_access_tokens_expires_the_tokens_issued_so_far(auto_sandbox, http, access_token):
    assert auto_sandbox.expire_access_tokens() == 1
    response = http.get(auto_sandbox.base_url + "/users/v1/member", headers=bearer(access_token))
    assert response.status_code == 401
    assert "expired" in response.json()["errorMessage"]
    fresh = tokens(auto_sandbox, http)["access_token"]
    assert (
        http.get(auto_sandbox.base_url + "/users/v1/member", headers=bearer(fresh)).status_code
        == 200
    )


def test_expire_access_tokens_can_target_one_member(auto_sandbox, http, access_token):
    assert auto_sandbox.expire_access_tokens("MEM-NOBODY") == 0
    assert http.get(auto_sandbox.base_url + "/users/v1/member", headers=bearer(access_token)).ok


def test_revocation_makes_access_tokens_fail_with_401(auto_sandbox, http, access_token):
    assert auto_sandbox.revoke(auto_sandbox.default_user.member_id) == 1
    response = http.get(auto_sandbox.base_url + "/users/v1/member", headers=bearer(access_token))
    assert response.status_code == 401
    assert "revoked" in response.json()["errorMessage"]


def test_revoking_another_member_leaves_the_grant_alone(auto_sandbox, http, access_token):
    assert auto_sandbox.revoke("MEM0SANDBOX0002") == 0
    assert http.get(auto_sandbox.base_url + "/users/v1/member", headers=bearer(access_token)).ok


def test_tokens_from_before_a_reset_are_revoked(auto_sandbox, http, access_token):
    auto_sandbox.reset()
    response = http.get(auto_sandbox.base_url + "/users/v1/member", headers=bearer(access_token))
    assert response.status_code == 401


def test_apis_answer_405_to_the_wrong_method(auto_sandbox, http, access_token):
    response = http.post(auto_sandbox.base_url + "/users/v1/member", headers=bearer(access_token))
    assert response.status_code == 405
    assert http.get(auto_sandbox.base_url + SEND, headers=bearer(access_token)).status_code == 405


def test_an_unknown_path_is_404_not_found(auto_sandbox, http):
    response = http.get(auto_sandbox.base_url + "/nothing/here")
    assert response.status_code == 404
    assert response.json()["errorCode"] == "NotFound"
