"""Fault injection: status, body, delay, drop and count, from Python."""

from __future__ import annotations

import time

import pytest
import requests

from ..helpers.sandbox import TOKEN_PATH, bearer, refresh, tokens

MEMBER = "/users/v1/member"


def test_an_injected_status_and_json_body_answer_the_next_request(auto_sandbox, http):
    auto_sandbox.inject_fault(TOKEN_PATH, status=500, body={"errorCode": "InternalError"})
    response = http.post(auto_sandbox.base_url + TOKEN_PATH, json={})
    assert response.status_code == 500
    assert response.json() == {"errorCode": "InternalError"}
    assert http.post(auto_sandbox.base_url + TOKEN_PATH, json={}).status_code == 400


def test_an_injected_text_body_keeps_its_content_type(auto_sandbox, http):
    auto_sandbox.inject_fault(
        MEMBER, status=502, body="<html>Bad gateway</html>", content_type="text/html"
    )
    response = http.get(auto_sandbox.base_url + MEMBER)
    assert response.status_code == 502
    assert response.headers["Content-Type"] == "text/html"
    assert response.text == "<html>Bad gateway</html>"


def test_an_injected_fault_without_a_body_answers_empty(auto_sandbox, http):
    auto_sandbox.inject_fault(MEMBER, status=503, body=b"")
    response = http.get(auto_sandbox.base_url + MEMBER)
    assert (response.status_code, response.content) == (503, b"")


def test_count_makes_several_requests_fail_then_normal_service_resumes(auto_sandbox, http):
    issued = tokens(auto_sandbox, http)
    auto_sandbox.inject_fault(TOKEN_PATH, status=503, count=2)
    statuses = [refresh(auto_sandbox, http, issued["refresh_token"]).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert auto_sandbox.token_calls()["refresh_token"] == 3


def test_faults_only_hit_their_path(auto_sandbox, http):
    auto_sandbox.inject_fault("/cash/v1/balance", status=500)
    assert http.get(auto_sandbox.base_url + MEMBER).status_code == 401


def test_faults_for_one_path_apply_in_the_order_they_were_injected(auto_sandbox, http):
    auto_sandbox.inject_fault(MEMBER, status=500)
    auto_sandbox.inject_fault(MEMBER, status=502)
    codes = [http.get(auto_sandbox.base_url + MEMBER).status_code for _ in range(3)]
    assert codes == [500, 502, 401]


def test_a_delay_without_a_status_hangs_then_answers_normally(auto_sandbox, http):
    access_token = tokens(auto_sandbox, http)["access_token"]
    auto_sandbox.inject_fault(MEMBER, delay=0.3)
    started = time.monotonic()
    response = http.get(auto_sandbox.base_url + MEMBER, headers=bearer(access_token))
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200


def test_a_delay_longer_than_the_client_timeout_times_out(auto_sandbox, http):
    auto_sandbox.inject_fault(MEMBER, delay=2.0)
    with pytest.raises(requests.Timeout):
        http.get(auto_sandbox.base_url + MEMBER, timeout=0.2)


def test_a_delay_then_status_answers_with_the_status(auto_sandbox, http):
    auto_sandbox.inject_fault(MEMBER, delay=0.1, status=504)
    assert http.get(auto_sandbox.base_url + MEMBER).status_code == 504


def test_drop_closes_the_connection_without_an_answer(auto_sandbox, http):
    auto_sandbox.inject_fault(TOKEN_PATH, drop=True)
    with pytest.raises(requests.ConnectionError):
        http.post(auto_sandbox.base_url + TOKEN_PATH, json={})
    assert http.post(auto_sandbox.base_url + TOKEN_PATH, json={}).status_code == 400


def test_clear_faults_forgets_every_fault(auto_sandbox, http):
    auto_sandbox.inject_fault(MEMBER, status=500, count=5)
    auto_sandbox.clear_faults()
    assert http.get(auto_sandbox.base_url + MEMBER).status_code == 401


@pytest.mark.parametrize(
    "options",
    [
        {"path": "users/v1/member"},
        {"path": MEMBER, "count": 0},
        {"path": MEMBER, "status": 99},
        {"path": MEMBER, "status": 600},
        {"path": MEMBER, "delay": -1},
    ],
)
def test_impossible_faults_are_refused(auto_sandbox, options):
    with pytest.raises(ValueError):
        auto_sandbox.inject_fault(**options)


def test_stopping_the_sandbox_cuts_a_pending_delay_short(clock):
    from coolsms_oauth_django.sandbox import Sandbox

    sandbox = Sandbox().start()
    sandbox.inject_fault(MEMBER, delay=30)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            with requests.Session() as session:
                session.get(sandbox.base_url + MEMBER, timeout=10)
        except requests.RequestException as err:  # pragma: no cover - either outcome is fine
            errors.append(err)

    import threading

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.1)
    started = time.monotonic()
    sandbox.stop()
    caller.join(5)
    assert time.monotonic() - started < 3
    assert not caller.is_alive()
