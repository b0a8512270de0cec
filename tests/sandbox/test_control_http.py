"""The /_sandbox/ control and inspection endpoints, for other processes."""

from __future__ import annotations

import pytest
import requests

from ..helpers.sandbox import TOKEN_PATH, bearer, refresh, send_message, tokens

MEMBER = "/users/v1/member"


def control(sandbox, http: requests.Session, method: str, name: str, **json) -> requests.Response:
    """Make a control call as a script does: a POST sends a JSON object, even an empty one."""
    body = json if method == "POST" else None
    return http.request(method, f"{sandbox.base_url}/_sandbox/{name}", json=body)


def test_revoke_over_http_destroys_every_grant(auto_sandbox, http):
    issued = tokens(auto_sandbox, http)
    assert control(auto_sandbox, http, "POST", "revoke").json() == {"revoked": 1}
    assert refresh(auto_sandbox, http, issued["refresh_token"]).json()["errorCode"] == (
        "InvalidRefreshToken"
    )


def test_revoke_over_http_can_target_one_member(auto_sandbox, http):
    tokens(auto_sandbox, http)
    answer = control(auto_sandbox, http, "POST", "revoke", memberId="MEM0SANDBOX0002")
    assert answer.json() == {"revoked": 0}
    answer = control(auto_sandbox, http, "POST", "revoke", memberId="MEM0SANDBOX0001")
    assert answer.json() == {"revoked": 1}


def test_faults_over_http_are_injected_and_cleared(auto_sandbox, http):
    answer = control(
        auto_sandbox,
        http,
        "POST",
        "faults",
        path=MEMBER,
        status=502,
        body="down",
        count=2,
        contentType="text/plain",
        delay=0,
        drop=False,
    )
    assert answer.json() == {"ok": True}
    response = http.get(auto_sandbox.base_url + MEMBER)
    assert (response.status_code, response.text) == (502, "down")
    assert control(auto_sandbox, http, "DELETE", "faults").json() == {"ok": True}
    assert http.get(auto_sandbox.base_url + MEMBER).status_code == 401


def test_a_dropping_fault_can_be_injected_over_http(auto_sandbox, http):
    control(auto_sandbox, http, "POST", "faults", path=MEMBER, drop=True)
    with pytest.raises(requests.ConnectionError):
        http.get(auto_sandbox.base_url + MEMBER)


def test_a_json_body_fault_over_http(auto_sandbox, http):
    control(
        auto_sandbox,
        http,
        "POST",
        "faults",
        path=TOKEN_PATH,
        status=403,
        body={"error": "invalid_grant"},
    )
    assert http.post(auto_sandbox.base_url + TOKEN_PATH).json() == {"error": "invalid_grant"}


@pytest.mark.parametrize(
    "fault",
    [
        {},
        {"path": 3},
        {"path": MEMBER, "status": "500"},
        {"path": MEMBER, "status": True},
        {"path": MEMBER, "drop": "yes"},
        {"path": MEMBER, "count": 0},
        {"path": "nope"},
    ],
)
def test_bad_faults_over_http_are_validation_errors(auto_sandbox, http, fault):
    answer = http.post(f"{auto_sandbox.base_url}/_sandbox/faults", json=fault)
    assert answer.status_code == 400
    assert answer.json()["errorCode"] == "ValidationError"


def test_expire_over_http_expires_access_tokens(auto_sandbox, http):
    issued = tokens(auto_sandbox, http)
    assert control(auto_sandbox, http, "POST", "expire").json() == {"expired": 1}
    response = http.get(auto_sandbox.base_url + MEMBER, headers=bearer(issued["access_token"]))
    assert "expired" in response.json()["errorMessage"]


def test_reset_over_http_forgets_everything(auto_sandbox, http):
    tokens(auto_sandbox, http)
    assert control(auto_sandbox, http, "POST", "reset").json() == {"ok": True}
    assert auto_sandbox.live_grants() == []


def test_inspection_over_http_matches_the_python_api(auto_sandbox, http):
    issued = tokens(auto_sandbox, http)
    send_message(auto_sandbox, http, issued["access_token"])
    assert control(auto_sandbox, http, "GET", "token-calls").json() == auto_sandbox.token_calls()
    assert control(auto_sandbox, http, "GET", "requests").json() == auto_sandbox.requests_seen()
    assert control(auto_sandbox, http, "GET", "messages").json() == auto_sandbox.messages()
    assert control(auto_sandbox, http, "GET", "grants").json() == auto_sandbox.live_grants()


def test_control_calls_check_their_method_and_input(auto_sandbox, http):
    assert control(auto_sandbox, http, "GET", "revoke").status_code == 405
    assert control(auto_sandbox, http, "POST", "grants").status_code == 405
    assert control(auto_sandbox, http, "GET", "nothing").json()["errorCode"] == "NotFound"
    bad = http.post(f"{auto_sandbox.base_url}/_sandbox/revoke", json={"memberId": 5})
    assert bad.status_code == 400
    not_object = http.post(f"{auto_sandbox.base_url}/_sandbox/revoke", json=[1])
    assert not_object.status_code == 400


def test_faults_never_apply_to_control_calls(auto_sandbox, http):
    auto_sandbox.inject_fault("/_sandbox/grants", status=500)
    assert control(auto_sandbox, http, "GET", "grants").status_code == 200
