"""GET/POST /oauth2/v1/authorize: validation, login, consent, approval and denial."""

from __future__ import annotations

import pytest
import requests

from coolsms_oauth_django.sandbox import APP_SCOPES, Sandbox

from ..helpers.sandbox import (
    AUTHORIZE_PATH,
    DEMO_LOGIN,
    DEMO_PASSWORD,
    REDIRECT_URI,
    SESSION_COOKIE,
    authorize_params,
    callback_params,
    exchange,
    parse_page,
)

VERIFIER = "v" * 43
CHALLENGE = "A" * 43


def authorize(sandbox: Sandbox, http: requests.Session, **overrides: str | None):
    return http.get(
        sandbox.base_url + AUTHORIZE_PATH,
        params=authorize_params(sandbox, **overrides),
        allow_redirects=False,
    )


def log_in(sandbox: Sandbox, http: requests.Session, password: str = DEMO_PASSWORD, **overrides):
    login_page = parse_page(authorize(sandbox, http, **overrides).text)
    form = login_page.forms["login-form"]
    fields = {**form["fields"], "login": DEMO_LOGIN, "password": password}
    return http.post(sandbox.base_url + form["action"], data=fields)


def consent_form(sandbox: Sandbox, http: requests.Session, **overrides) -> dict:
    response = log_in(sandbox, http, **overrides)
    assert response.status_code == 200
    return parse_page(response.text).forms["consent-form"]


def decide(sandbox, http, form: dict, button: str) -> requests.Response:
    name, value = form["buttons"][button]
    return http.post(
        sandbox.base_url + form["action"],
        data={**form["fields"], name: value},
        allow_redirects=False,
    )


@pytest.mark.parametrize(
    ("overrides", "error_code"),
    [
        ({"client_id": None}, "ValidationError"),
        ({"client_id": "someone-else"}, "InvalidClientId"),
        ({"response_type": None}, "ValidationError"),
        ({"response_type": "token"}, "ValidationError"),
        ({"scope": None}, "ValidationError"),
        ({"scope": "  "}, "ValidationError"),
        ({"scope": "users:read users.profile:read"}, "InvalidScope"),
        ({"scope": "role-owner"}, "InvalidScope"),
        ({"state": None}, "ValidationError"),
        ({"redirect_uri": None}, "ValidationError"),
        ({"redirect_uri": "ftp://localhost/cb"}, "ValidationError"),
        ({"redirect_uri": "/relative/callback"}, "ValidationError"),
        ({"redirect_uri": "http://localhost/cb#fragment"}, "ValidationError"),
        ({"redirect_uri": "http://localhost:99999/cb"}, "ValidationError"),
        ({"redirect_uri": "https://evil.example/cb"}, "InvalidHostName"),
        ({"redirect_uri": "http://127.0.0.1@evil.example/cb"}, "InvalidHostName"),
        ({"code_challenge": CHALLENGE}, "ValidationError"),
        ({"code_challenge": CHALLENGE, "code_challenge_method": "plain"}, "ValidationError"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "ValidationError"),
        ({"code_challenge_method": "S256"}, "ValidationError"),
    ],
)
def test_invalid_authorize_requests_get_documented_json_errors(
    sandbox, http, overrides, error_code
):
    response = authorize(sandbox, http, **overrides)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["errorCode"] == error_code
    assert response.json()["errorMessage"]


def test_a_repeated_parameter_is_a_validation_error(sandbox, http):
    url = sandbox.base_url + AUTHORIZE_PATH + "?state=a&state=b"
    response = http.get(url, allow_redirects=False)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "ValidationError"


def test_unknown_client_is_reported_before_other_problems(sandbox, http):
    response = authorize(sandbox, http, client_id="nope", scope="bogus", state=None)
    assert response.json()["errorCode"] == "InvalidClientId"


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.0.0.2", "[::1]", "testserver"])
def test_any_local_redirect_host_is_allowed_when_none_are_registered(sandbox, http, host):
    response = authorize(sandbox, http, redirect_uri=f"https://{host}:9000/cb")
    assert response.status_code == 200


def test_login_page_is_utf8_html_with_stable_ids_and_the_original_parameters(sandbox, http):
    response = authorize(sandbox, http)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<meta charset="utf-8">' in response.text
    page = parse_page(response.text)
    assert {"login", "password", "login-submit"} <= page.ids
    fields = page.forms["login-form"]["fields"]
    assert fields["state"] == "state-value-123"
    assert fields["redirect_uri"] == REDIRECT_URI
    assert page.forms["login-form"]["action"] == AUTHORIZE_PATH


def test_echoed_values_are_html_escaped(sandbox, http):
    response = authorize(sandbox, http, state='"><script>alert(1)</script>')
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;" in response.text


def test_a_wrong_password_shows_the_form_again_with_an_error(sandbox, http):
    response = log_in(sandbox, http, password="wrong")
    assert response.status_code == 200
    page = parse_page(response.text)
    assert "login-error" in page.ids
    assert page.forms["login-form"]["fields"]["login"] == DEMO_LOGIN
    assert SESSION_COOKIE not in http.cookies


def test_logging_in_sets_a_session_cookie_and_shows_the_consent_page(sandbox, http):
    response = log_in(sandbox, http)
    assert SESSION_COOKIE in http.cookies
    page = parse_page(response.text)
    assert {"approve", "deny", "scopes"} <= page.ids
    assert page.forms["consent-form"]["fields"]["nonce"]


def test_consent_page_lists_each_requested_scope_in_korean_and_english(sandbox, http):
    response = log_in(sandbox, http)
    for scope in ("users:read", "cash:read", "message:write"):
        assert scope in response.text
        assert APP_SCOPES[scope].korean in response.text
        assert APP_SCOPES[scope].english in response.text
    assert "kakao:write" not in response.text


def test_a_signed_in_user_goes_straight_to_consent(sandbox, http):
    log_in(sandbox, http)
    page = parse_page(authorize(sandbox, http).text)
    assert "consent-form" in page.forms


def test_approve_redirects_with_a_code_and_the_state(sandbox, http):
    response = decide(sandbox, http, consent_form(sandbox, http), "approve")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(REDIRECT_URI + "?")
    params = callback_params(response)
    assert params["state"] == "state-value-123"
    assert exchange(sandbox, http, params["code"]).status_code == 200


def test_deny_redirects_with_access_denied_and_the_state(sandbox, http):
    response = decide(sandbox, http, consent_form(sandbox, http), "deny")
    assert callback_params(response) == {"error": "access_denied", "state": "state-value-123"}


def test_redirect_keeps_the_query_the_redirect_uri_already_had(sandbox, http):
    form = consent_form(sandbox, http, redirect_uri=REDIRECT_URI + "?next=%2Fhome")
    location = decide(sandbox, http, form, "approve").headers["Location"]
    assert location.startswith(REDIRECT_URI + "?next=%2Fhome&code=")


def test_the_code_belongs_to_the_user_who_logged_in(sandbox, http):
    response = log_in(sandbox, http)
    assert sandbox.users[0].name in response.text


def test_consent_needs_the_nonce_issued_with_the_page(sandbox, http):
    form = consent_form(sandbox, http)
    form["fields"]["nonce"] = "forged"
    response = decide(sandbox, http, form, "approve")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "ValidationError"


def test_a_consent_nonce_is_single_use(sandbox, http):
    form = consent_form(sandbox, http)
    assert decide(sandbox, http, form, "approve").status_code == 302
    assert decide(sandbox, http, form, "approve").status_code == 400


def test_a_consent_nonce_is_bound_to_the_request_it_was_shown_for(sandbox, http):
    form = consent_form(sandbox, http)
    form["fields"]["scope"] = "users:read cash:write"
    assert decide(sandbox, http, form, "approve").status_code == 400


def test_a_consent_nonce_expires(sandbox, http, clock):
    form = consent_form(sandbox, http)
    clock.advance(601)
    assert decide(sandbox, http, form, "approve").status_code == 400


def test_consent_without_a_login_session_shows_the_login_page(sandbox, http):
    form = consent_form(sandbox, http)
    http.cookies.clear()
    response = decide(sandbox, http, form, "approve")
    assert response.status_code == 200
    assert "login-form" in parse_page(response.text).forms


def test_an_unknown_decision_is_a_validation_error(sandbox, http):
    form = consent_form(sandbox, http)
    response = http.post(
        sandbox.base_url + AUTHORIZE_PATH, data={**form["fields"], "decision": "x"}
    )
    assert response.json()["errorCode"] == "ValidationError"


def test_an_unknown_form_action_is_a_validation_error(sandbox, http):
    data = {**authorize_params(sandbox), "action": "launch"}
    response = http.post(sandbox.base_url + AUTHORIZE_PATH, data=data)
    assert response.status_code == 400


def test_a_post_must_be_a_form(sandbox, http):
    response = http.post(sandbox.base_url + AUTHORIZE_PATH, json=authorize_params(sandbox))
    assert response.json()["errorCode"] == "ValidationError"


def test_other_methods_are_not_allowed(sandbox, http):
    response = http.delete(sandbox.base_url + AUTHORIZE_PATH)
    assert response.status_code == 405


def test_use_another_account_logs_out_and_shows_the_login_page(sandbox, http):
    response = log_in(sandbox, http)
    switch = parse_page(response.text).forms["switch-form"]
    response = http.post(sandbox.base_url + switch["action"], data=switch["fields"])
    assert "login-form" in parse_page(response.text).forms
    assert SESSION_COOKIE not in http.cookies
    assert "login-form" in parse_page(authorize(sandbox, http).text).forms


def test_the_second_user_can_log_in_and_approve(sandbox, http):
    second = sandbox.users[1]
    page = parse_page(authorize(sandbox, http).text).forms["login-form"]
    fields = {**page["fields"], "login": second.login, "password": second.password}
    response = http.post(sandbox.base_url + AUTHORIZE_PATH, data=fields)
    assert second.name in response.text


def test_auto_approve_redirects_at_once_as_the_default_user(auto_sandbox, http):
    response = authorize(auto_sandbox, http)
    params = callback_params(response)
    assert params["state"] == "state-value-123"
    exchange(auto_sandbox, http, params["code"]).raise_for_status()
    assert auto_sandbox.live_grants()[0]["member_id"] == auto_sandbox.default_user.member_id


def test_auto_approve_still_validates_the_request(auto_sandbox, http):
    assert authorize(auto_sandbox, http, scope="nope").json()["errorCode"] == "InvalidScope"


def test_a_pkce_challenge_is_accepted(auto_sandbox, http):
    response = authorize(auto_sandbox, http, code_challenge=CHALLENGE, code_challenge_method="S256")
    assert "code" in callback_params(response)


def test_registered_redirect_uris_restrict_the_host():
    with (
        Sandbox(auto_approve=True, redirect_uris=["https://shop.example/cb"]) as sb,
        requests.Session() as http,
    ):
        ok = authorize(sb, http, redirect_uri="https://shop.example/other")
        assert ok.status_code == 302
        bad = authorize(sb, http, redirect_uri="https://shop.example:8443/cb")
        assert bad.json()["errorCode"] == "InvalidHostName"
        local = authorize(sb, http, redirect_uri="http://localhost/cb")
        assert local.json()["errorCode"] == "InvalidHostName"


def test_a_missing_redirect_uri_falls_back_to_the_first_registered_one():
    with (
        Sandbox(auto_approve=True, redirect_uris=["https://shop.example/cb"]) as sb,
        requests.Session() as http,
    ):
        response = authorize(sb, http, redirect_uri=None)
        assert response.headers["Location"].startswith("https://shop.example/cb?code=")
        code = callback_params(response)["code"]
        token = exchange(sb, http, code, redirect_uri="https://shop.example/cb")
        assert token.status_code == 200


def test_expired_consent_nonces_are_forgotten_when_new_ones_are_issued(sandbox, http, clock):
    old_form = consent_form(sandbox, http)
    clock.advance(601)
    assert "consent-form" in parse_page(authorize(sandbox, http).text).forms
    assert len(sandbox._state._nonces) == 1
    assert decide(sandbox, http, old_form, "approve").status_code == 400


def test_a_non_ascii_session_cookie_is_simply_not_signed_in(sandbox, http):
    response = http.get(
        sandbox.base_url + AUTHORIZE_PATH,
        params=authorize_params(sandbox),
        headers={"Cookie": f"{SESSION_COOKIE}=caf\u00e9"},
    )
    assert "login-form" in parse_page(response.text).forms
