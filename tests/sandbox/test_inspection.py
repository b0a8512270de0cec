"""Inspection: token-call counts, redacted requests, messages, grants, balances, reset."""

from __future__ import annotations

import base64
import json

from ..helpers.sandbox import (
    AUTHORIZE_PATH,
    TOKEN_PATH,
    bearer,
    get_code,
    refresh,
    send_message,
    tokens,
)


def everything_seen(sandbox) -> str:
    return json.dumps(sandbox.requests_seen(), ensure_ascii=False)


def test_token_calls_count_by_grant_type_including_failures(auto_sandbox, http):
    issued = tokens(auto_sandbox, http)
    refresh(auto_sandbox, http, issued["refresh_token"])
    refresh(auto_sandbox, http, "unknown")
    http.post(auto_sandbox.base_url + TOKEN_PATH, json={"grant_type": "password"})
    http.post(
        auto_sandbox.base_url + TOKEN_PATH, data=b"{", headers={"Content-Type": "application/json"}
    )
    assert auto_sandbox.token_calls() == {"authorization_code": 1, "refresh_token": 2}


def test_requests_seen_lists_method_path_query_headers_and_body(auto_sandbox, http):
    http.get(auto_sandbox.base_url + "/users/v1/member?x=1", headers={"X-Test": "yes"})
    [seen] = auto_sandbox.requests_seen()
    assert seen["method"] == "GET"
    assert seen["path"] == "/users/v1/member"
    assert seen["query"] == {"x": "1"}
    assert seen["headers"]["X-Test"] == "yes"
    assert seen["body"] is None


def test_requests_seen_never_shows_secrets(auto_sandbox, http):
    code = get_code(auto_sandbox, http)
    issued = tokens(auto_sandbox, http)
    refresh(auto_sandbox, http, issued["refresh_token"])
    credentials = base64.b64encode(b"sandbox-client-id:sandbox-client-secret").decode()
    http.post(
        auto_sandbox.base_url + TOKEN_PATH,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": "x"},
        headers={"Authorization": f"Basic {credentials}"},
    )
    http.get(auto_sandbox.base_url + "/users/v1/member", headers=bearer(issued["access_token"]))
    http.get(auto_sandbox.base_url + "/", cookies={"coolsms_sandbox_session": "session-secret"})
    seen = everything_seen(auto_sandbox)
    for secret in (
        auto_sandbox.client_secret,
        code,
        issued["access_token"],
        issued["refresh_token"],
        credentials,
        "session-secret",
    ):
        assert secret not in seen
    assert "***" in seen


def test_codes_in_authorize_queries_and_passwords_in_forms_are_redacted(sandbox, http):
    http.get(sandbox.base_url + AUTHORIZE_PATH, params={"code": "leaky-code"})
    http.post(sandbox.base_url + AUTHORIZE_PATH, data={"login": "a@b.c", "password": "hunter2"})
    seen = everything_seen(sandbox)
    assert "leaky-code" not in seen
    assert "hunter2" not in seen
    assert "a@b.c" in seen


def test_a_body_that_cannot_be_parsed_is_not_shown(auto_sandbox, http):
    http.post(
        auto_sandbox.base_url + TOKEN_PATH,
        data=b"client_secret: raw",
        headers={"Content-Type": "application/json"},
    )
    assert auto_sandbox.requests_seen()[0]["body"] == "<18 bytes not shown>"


def test_nested_secrets_in_json_bodies_are_redacted(auto_sandbox, http):
    http.post(
        auto_sandbox.base_url + "/messages/v4/send", json={"list": [{"refresh_token": "rt-1"}]}
    )
    assert auto_sandbox.requests_seen()[0]["body"] == {"list": [{"refresh_token": "***"}]}


def test_control_calls_are_not_recorded(auto_sandbox, http):
    http.get(auto_sandbox.base_url + "/_sandbox/grants")
    assert auto_sandbox.requests_seen() == []


def test_live_grants_show_member_client_scopes_creation_and_revocation(auto_sandbox, http, clock):
    tokens(auto_sandbox, http, scope="users:read")
    [grant] = auto_sandbox.live_grants()
    assert grant["member_id"] == "MEM0SANDBOX0001"
    assert grant["client_id"] == auto_sandbox.client_id
    assert grant["scopes"] == ["users:read"]
    assert grant["created"] == clock.now
    assert grant["revoked"] is False
    auto_sandbox.revoke()
    assert auto_sandbox.live_grants()[0]["revoked"] is True


def test_reset_forgets_grants_messages_counters_requests_faults_and_restores_balances(
    auto_sandbox, http
):
    issued = tokens(auto_sandbox, http)
    send_message(auto_sandbox, http, issued["access_token"])
    auto_sandbox.inject_fault("/users/v1/member", status=500)
    member = auto_sandbox.default_user.member_id
    assert auto_sandbox.balance(member) == 9980.0
    auto_sandbox.reset()
    assert auto_sandbox.live_grants() == []
    assert auto_sandbox.messages() == []
    assert auto_sandbox.requests_seen() == []
    assert auto_sandbox.token_calls() == {"authorization_code": 0, "refresh_token": 0}
    assert auto_sandbox.balance(member) == 10000.0
    assert http.get(auto_sandbox.base_url + "/users/v1/member").status_code == 401


def test_the_index_page_lists_users_and_messages(auto_sandbox, http):
    issued = tokens(auto_sandbox, http)
    send_message(auto_sandbox, http, issued["access_token"], text="<b>첫 메시지</b>")
    page = http.get(auto_sandbox.base_url + "/")
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "demo@sandbox.coolsms.test" in page.text
    assert "sandbox1234" in page.text
    assert "&lt;b&gt;첫 메시지&lt;/b&gt;" in page.text
    assert "kakao:write" in page.text


def test_the_index_page_says_when_no_message_was_sent(auto_sandbox, http):
    assert "None yet" in http.get(auto_sandbox.base_url + "/").text
    assert http.post(auto_sandbox.base_url + "/").status_code == 405


def test_only_the_newest_requests_are_kept(auto_sandbox, http, monkeypatch):
    from coolsms_oauth_django.sandbox import memory

    monkeypatch.setattr(memory, "MAX_REQUESTS_KEPT", 2)
    auto_sandbox.reset()
    for path in ("/a", "/b", "/c"):
        http.get(auto_sandbox.base_url + path)
    assert [seen["path"] for seen in auto_sandbox.requests_seen()] == ["/b", "/c"]
