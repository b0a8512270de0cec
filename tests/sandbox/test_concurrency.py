"""Many simultaneous clients: the threaded server and its lock keep the state consistent."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from ..helpers.sandbox import refresh, send_message, tokens

THREADS = 16
REFRESHES = 20


def test_16_threads_refreshing_20_times_each_all_succeed_without_rotation(auto_sandbox, http):
    refresh_token = tokens(auto_sandbox, http)["refresh_token"]

    def worker() -> list[int]:
        with requests.Session() as session:
            return [
                refresh(auto_sandbox, session, refresh_token).status_code for _ in range(REFRESHES)
            ]

    with ThreadPoolExecutor(THREADS) as pool:
        results = [
            status for batch in pool.map(lambda _: worker(), range(THREADS)) for status in batch
        ]
    assert results == [200] * THREADS * REFRESHES
    assert auto_sandbox.token_calls()["refresh_token"] == THREADS * REFRESHES


def test_with_rotation_exactly_one_of_many_simultaneous_refreshes_succeeds(rotating_sandbox, http):
    refresh_token = tokens(rotating_sandbox, http)["refresh_token"]
    barrier = threading.Barrier(THREADS)

    def worker(_: int) -> requests.Response:
        with requests.Session() as session:
            barrier.wait()
            return refresh(rotating_sandbox, session, refresh_token)

    with ThreadPoolExecutor(THREADS) as pool:
        responses = list(pool.map(worker, range(THREADS)))
    successes = [r for r in responses if r.status_code == 200]
    assert len(successes) == 1
    # The first reuse revokes the grant (InvalidGrant); later ones find it revoked.
    errors = [r.json()["errorCode"] for r in responses if r.status_code != 200]
    assert "InvalidGrant" in errors
    assert set(errors) <= {"InvalidGrant", "InvalidRefreshToken"}
    assert rotating_sandbox.live_grants()[0]["revoked"] is True


def test_concurrent_sends_charge_exactly_once_each(auto_sandbox, http):
    access_token = tokens(auto_sandbox, http)["access_token"]

    def send(_: int) -> int:
        with requests.Session() as session:
            return send_message(auto_sandbox, session, access_token).status_code

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = list(pool.map(send, range(THREADS * 4)))
    assert statuses == [200] * THREADS * 4
    assert auto_sandbox.balance(auto_sandbox.default_user.member_id) == 10000 - 20 * THREADS * 4
    assert len({m["message_id"] for m in auto_sandbox.messages()}) == THREADS * 4
