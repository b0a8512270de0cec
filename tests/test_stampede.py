"""Checklist item 27: one refresh per token across threads and processes.

Against a sandbox that rotates refresh tokens (so a second refresh with the old token would
revoke the whole grant), every round expires the stored token and lets many callers ask for a
usable one at the same moment: exactly one token-endpoint call, everybody gets the new token.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from bench import stampede_worker
from bench.stampede_worker import SINGLE_FLIGHT
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.sandbox import Sandbox

from .helpers.accounts import connect, expire, make_user, sandbox_settings, stored_tokens

PROCESSES = 4
THREADS = 8
ROUNDS = 20


def check_round(sandbox: Sandbox, account: CoolSMSAccount, tokens: list[str], calls: int) -> None:
    assert sandbox.token_calls()["refresh_token"] == calls, "exactly one refresh per round"
    assert len(set(tokens)) == 1, "every caller got the same token"
    assert tokens[0] == stored_tokens(account)[0], "...the one that was saved"
    assert not any(grant["revoked"] for grant in sandbox.live_grants()), "no grant revoked"


def tokens_of(results: list[Any]) -> list[str]:
    """Return the token every caller got, failing on the first caller that got an error."""
    for ok, _, token_or_error in results:
        assert ok, token_or_error
    return [token for _, _, token in results]


def run_stampede_across_processes(sandbox: Sandbox, database: str) -> None:
    account = connect(make_user(), sandbox)
    workers = stampede_worker.Workers(sandbox_settings(sandbox), PROCESSES)
    started = time.monotonic()
    try:
        for number in range(1, ROUNDS + 1):
            expire(account)
            results = workers.round(SINGLE_FLIGHT, account.pk, PROCESSES, THREADS)
            tokens = tokens_of(results)
            assert len(tokens) == PROCESSES * THREADS
            check_round(sandbox, account, tokens, calls=number)
    finally:
        workers.close()
    assert CoolSMSAccount.objects.get(pk=account.pk).is_active
    print(
        f"\n{database}: {ROUNDS} rounds x {PROCESSES} processes x {THREADS} threads, "
        f"{sandbox.token_calls()['refresh_token']} refresh calls, "
        f"{time.monotonic() - started:.2f}s"
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sc27_one_refresh_across_processes_and_threads_on_postgres(
    rotating_sandbox_settings: Sandbox,
) -> None:
    run_stampede_across_processes(rotating_sandbox_settings, "postgres")


@pytest.mark.django_db(transaction=True)
def test_sc27_one_refresh_across_threads_in_one_process(rotating_sandbox_settings: Sandbox) -> None:
    account = connect(make_user(), rotating_sandbox_settings)
    for number in range(1, ROUNDS + 1):
        expire(account)
        start_at = time.time() + 0.2
        results = stampede_worker.call_from_threads(SINGLE_FLIGHT, account.pk, THREADS, start_at)
        tokens = tokens_of(results)
        assert len(tokens) == THREADS
        check_round(rotating_sandbox_settings, account, tokens, calls=number)


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_sc27_one_refresh_across_processes_and_threads_on_mariadb(
    rotating_sandbox_settings: Sandbox,
) -> None:
    run_stampede_across_processes(rotating_sandbox_settings, "mysql")
