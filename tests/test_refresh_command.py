"""``coolsms_refresh_tokens`` at scale: worker threads, batches, limits, progress, races."""

from __future__ import annotations

import base64
import threading
from collections import Counter
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coolsms_oauth_django import accounts, bulk_refresh, clock, refresh
from coolsms_oauth_django.models import CoolSMSAccount

from .helpers.accounts import (
    due_accounts,
    make_account,
    make_user,
    point_at,
    raw_columns,
    refreshed,
    stored_tokens,
)
from .helpers.token_server import TokenServer


class Terminal(StringIO):
    """Standard output that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def run(*args: str, stdout: StringIO | None = None) -> tuple[str, str]:
    out, err = stdout or StringIO(), StringIO()
    call_command("coolsms_refresh_tokens", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- on SQLite: one worker ------------------------------------------------------------------


@pytest.mark.django_db
def test_limit_takes_the_soonest_to_expire_and_the_next_run_the_rest(settings: Any) -> None:
    made = due_accounts(5)
    with TokenServer() as server:
        point_at(settings, server)
        out, _ = run("--limit", "2", "--batch-size", "1")
        assert out.strip() == "Refreshed 2, needs reconnect 0, failed 0."
        assert refreshed(made) == [True, True, False, False, False]
        out, _ = run("--limit", "2")
        assert refreshed(made) == [True, True, True, True, False]
        out, _ = run()
        assert out.strip() == "Refreshed 1, needs reconnect 0, failed 0."
    assert all(refreshed(made)) and server.calls == 5


@pytest.mark.django_db
def test_due_connections_are_read_batch_by_batch() -> None:
    due_accounts(5)
    make_account(make_user("later"), expires_in=7200)
    with CaptureQueriesContext(connection) as queries:
        batches = list(accounts.due_batches(3600, batch_size=2))
    assert [len(batch) for batch in batches] == [2, 2, 1]
    assert len(queries) == 3
    assert all(query["sql"].count("LIMIT 2") == 1 for query in queries)


@pytest.mark.django_db
def test_a_batch_refreshed_meanwhile_does_not_hide_the_next_one(settings: Any) -> None:
    made = due_accounts(4)
    with TokenServer() as server:
        point_at(settings, server)
        out, _ = run("--batch-size", "2")
    assert out.strip() == "Refreshed 4, needs reconnect 0, failed 0."
    assert all(refreshed(made)) and server.calls == 4


@pytest.mark.django_db
def test_progress_line_only_on_a_terminal(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("coolsms_oauth_django.bulk_refresh.PROGRESS_INTERVAL", 0)
    due_accounts(3)
    with TokenServer() as server:
        point_at(settings, server)
        terminal, _ = run(stdout=Terminal())
        CoolSMSAccount.objects.update(expires_at=clock.now())
        piped, _ = run()
    assert "\r\x1b[K1 done: Refreshed 1, needs reconnect 0, failed 0." in terminal
    assert terminal.endswith("\r\x1b[KRefreshed 3, needs reconnect 0, failed 0.\n")
    assert piped == "Refreshed 3, needs reconnect 0, failed 0.\n"


@pytest.mark.django_db
def test_more_than_one_worker_on_sqlite_is_refused_with_a_reason() -> None:
    due_accounts(1)
    with pytest.raises(CommandError, match="SQLite takes one writer at a time"):
        run("--concurrency", "4")


@pytest.mark.django_db
@pytest.mark.parametrize("option", ["--concurrency", "--batch-size", "--limit"])
def test_a_count_below_one_is_refused(option: str) -> None:
    with pytest.raises(CommandError, match=option.lstrip("-").replace("-", "_") + "|" + option):
        run(option, "0")


# --- on PostgreSQL: worker threads ------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_refresh_in_parallel_on_kept_alive_connections(settings: Any) -> None:
    made = due_accounts(24)
    with TokenServer(delay=0.05) as server:
        point_at(settings, server)
        out, err = run("--concurrency", "4", "--batch-size", "5")
    assert out.strip() == "Refreshed 24, needs reconnect 0, failed 0."
    assert err == ""
    assert all(refreshed(made))
    assert server.calls == 24
    assert server.max_in_flight == 4, "four refreshes ran at once"
    assert len(server.connections) == 4, "one kept-alive connection per worker"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_user_racing_the_command_makes_one_token_call(settings: Any) -> None:
    account = make_account(make_user("racer"), expires_in=-5)
    gate = threading.Event()
    with TokenServer(gate=gate) as server:
        point_at(settings, server)

        def run_command() -> None:
            try:
                run("--concurrency", "2")
            finally:
                connection.close()

        command = threading.Thread(target=run_command)
        command.start()
        assert server.arrived.wait(10), "the command called the token endpoint"
        got: list[str] = []

        def user_request() -> None:
            try:
                got.append(refresh.current_token(account.pk))
            finally:
                connection.close()

        user = threading.Thread(target=user_request)
        user.start()
        user.join(0.5)
        assert user.is_alive(), "the user's request waits for the row lock"
        gate.set()
        user.join(10)
        command.join(10)
    assert server.calls == 1
    assert got == ["served-1"] == [stored_tokens(account)[0]]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_count_failures_by_reason(settings: Any) -> None:
    made = due_accounts(3)
    # No server answers here: every refresh fails the same way, none stops the others.
    settings.COOLSMS_OAUTH = {
        **settings.COOLSMS_OAUTH,
        "TOKEN_URL": "http://127.0.0.1:9/token",
        "REFRESH_BACKOFF": 0,
        "REFRESH_RETRIES": 0,
    }
    out, err = run("--concurrency", "2")
    assert out.splitlines() == [
        "Refreshed 0, needs reconnect 0, failed 3.",
        "Failed by reason: TokenRefreshError: 3.",
    ]
    assert sorted(line.split(":")[0] for line in err.splitlines()) == sorted(
        f"Account {account.pk}" for account in made
    )
    assert all(CoolSMSAccount.objects.get(pk=account.pk).last_error for account in made)
    assert not any(refreshed(made))


# --- what each refresh costs --------------------------------------------------------------------


def test_a_worker_session_keeps_the_environment_it_read_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    with bulk_refresh.worker_session("https://api.coolsms.co.kr/oauth2/v1/access_token") as http:
        monkeypatch.delenv("HTTPS_PROXY")
        assert http.proxies["https"] == "http://proxy.example:3128"
        assert http.verify == "/etc/ssl/certs/ca-certificates.crt"
        assert not http.trust_env


def test_a_worker_session_sends_the_netrc_entry_requests_would_send(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine api.coolsms.co.kr login site password secret\n")
    monkeypatch.setenv("NETRC", str(netrc))
    url = "https://api.coolsms.co.kr/oauth2/v1/access_token"
    with requests.Session() as plain:
        expected = plain.prepare_request(requests.Request("POST", url)).headers["Authorization"]
    with bulk_refresh.worker_session(url) as http:
        netrc.unlink()
        sent = http.prepare_request(requests.Request("POST", url)).headers["Authorization"]
    assert sent == expected == "Basic " + base64.b64encode(b"site:secret").decode()


@pytest.mark.django_db
def test_a_refresh_without_a_new_refresh_token_leaves_its_ciphertext_alone(
    settings: Any,
) -> None:
    account = make_account(make_user(), expires_in=-5)
    before = raw_columns(account)
    with TokenServer() as server:
        point_at(settings, server)
        run()
    after = raw_columns(account)
    assert after[0] != before[0] and stored_tokens(account)[0] == "served-1"
    assert after[1] == before[1]


# --- spreading a day's refreshes ----------------------------------------------------------------


@pytest.mark.django_db
def test_hourly_runs_with_a_days_window_and_a_share_limit_spread_what_expires_at_once(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """48 connections made together: each hourly run refreshes its 1/24 share, never more."""
    start = clock.now()
    made = [
        make_account(make_user(f"u{n}"), expires_in=86400 - 60, access=f"old-{n}")
        for n in range(48)
    ]
    hours = [start + timedelta(hours=hour) for hour in range(72)]
    per_run: list[int] = []
    with TokenServer() as server:
        point_at(settings, server)
        for moment in hours:
            monkeypatch.setattr(clock, "now", lambda moment=moment: moment)
            calls = server.calls
            run("--expiring-within", "86400", "--limit", "2")
            per_run.append(server.calls - calls)
            expiries = CoolSMSAccount.objects.values_list("expires_at", flat=True)
            assert min(expiries) > moment, "no token expired before its refresh"
    assert per_run == [2] * 72
    assert len(made) == 48
    # After the first day, the expiries sit two to an hour: each run's share.
    expiries = sorted(CoolSMSAccount.objects.values_list("expires_at", flat=True))
    by_hour = Counter(int((expiry - start).total_seconds() // 3600) for expiry in expiries)
    assert max(by_hour.values()) == 2


def test_a_worker_session_is_the_adapters_and_keeps_its_own_auth(settings: Any) -> None:
    from coolsms_oauth_django.adapter import CoolSMSAdapter

    class Adapter(CoolSMSAdapter):
        def http_session(self) -> Any:
            session = super().http_session()
            session.auth = ("site", "choice")
            session.headers["X-Site"] = "1"
            return session

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("coolsms_oauth_django.bulk_refresh.get_adapter", Adapter)
        with bulk_refresh.worker_session("https://api.coolsms.co.kr/") as http:
            assert http.auth == ("site", "choice")
            assert http.headers["X-Site"] == "1"
