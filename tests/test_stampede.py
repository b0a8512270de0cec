"""Checklist item 27: one refresh per token across threads and processes.

Against a sandbox that rotates refresh tokens (so a second refresh with the old token would
revoke the whole grant), every round expires the stored token and lets many callers ask for a
usable one at the same moment: exactly one token-endpoint call, everybody gets the new token.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from typing import Any

import pytest
from django.db import connection

from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.sandbox import Sandbox

from . import stampede_worker
from .helpers.accounts import connect, expire, make_user, sandbox_settings, stored_tokens

PROCESSES = 4
THREADS = 8
ROUNDS = 20


def check_round(sandbox: Sandbox, account: CoolSMSAccount, tokens: list[str], calls: int) -> None:
    assert sandbox.token_calls()["refresh_token"] == calls, "exactly one refresh per round"
    assert len(set(tokens)) == 1, "every caller got the same token"
    assert tokens[0] == stored_tokens(account)[0], "...the one that was saved"
    assert not any(grant["revoked"] for grant in sandbox.live_grants()), "no grant revoked"


class Workers:
    """``PROCESSES`` Django processes on the test database, each running ``THREADS`` callers."""

    def __init__(self, sandbox: Sandbox, database: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.barrier = context.Barrier(PROCESSES * THREADS)
        self.pipes: list[Any] = []
        self.processes: list[Any] = []
        db_name = connection.settings_dict["NAME"]
        coolsms = sandbox_settings(sandbox)
        for _ in range(PROCESSES):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=stampede_worker.serve,
                args=(theirs, database, db_name, coolsms, self.barrier),
                daemon=True,
            )
            process.start()
            theirs.close()
            self.pipes.append(ours)
            self.processes.append(process)
        for pipe in self.pipes:
            assert pipe.poll(60), "a worker process did not start"
            assert pipe.recv() == "ready"

    def round(self, account_pk: int) -> list[str]:
        for pipe in self.pipes:
            pipe.send((account_pk, THREADS))
        tokens: list[str] = []
        for pipe in self.pipes:
            assert pipe.poll(60), "a worker process did not answer"
            status, result = pipe.recv()
            assert status == "ok", result
            tokens += result
        return tokens

    def close(self) -> None:
        for pipe in self.pipes:
            pipe.send(None)
            pipe.close()
        for process in self.processes:
            process.join(10)
            if process.is_alive():  # pragma: no cover - only when a worker hangs
                process.terminate()
                process.join()


def run_stampede_across_processes(sandbox: Sandbox, database: str) -> None:
    account = connect(make_user(), sandbox)
    workers = Workers(sandbox, database)
    started = time.monotonic()
    try:
        for number in range(1, ROUNDS + 1):
            expire(account)
            tokens = workers.round(account.pk)
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
    sandbox_configured: Sandbox,
) -> None:
    run_stampede_across_processes(sandbox_configured, "postgres")


@pytest.mark.django_db(transaction=True)
def test_sc27_one_refresh_across_threads_in_one_process(sandbox_configured: Sandbox) -> None:
    account = connect(make_user(), sandbox_configured)
    for number in range(1, ROUNDS + 1):
        expire(account)
        barrier = threading.Barrier(THREADS)
        tokens = stampede_worker.call_from_threads(account.pk, THREADS, barrier)
        assert len(tokens) == THREADS
        check_round(sandbox_configured, account, tokens, calls=number)


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_sc27_one_refresh_across_processes_and_threads_on_mariadb(
    sandbox_configured: Sandbox,
) -> None:
    run_stampede_across_processes(sandbox_configured, "mysql")
