"""The connection pool API sessions share (``http.api_adapter``), against a running sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from coolsms_oauth_django import http
from coolsms_oauth_django.conf import app_settings
from coolsms_oauth_django.endpoints import BALANCE_PATH
from coolsms_oauth_django.sandbox import Sandbox
from coolsms_oauth_django.session import CoolSMSSession, get_coolsms_session

from .helpers.accounts import connect, make_account, make_user
from .helpers.servers import RecordingServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_api_pool")]

ROOT = Path(__file__).resolve().parent.parent


def api_pool() -> Any:
    """Return urllib3's one pool in the shared adapter: the configured CoolSMS origin's."""
    port = urlsplit(app_settings().base_url).port
    manager = http.api_adapter().poolmanager
    # urllib3 refuses to iterate its container directly.
    pools = [manager.pools[key] for key in manager.pools.keys()]  # noqa: SIM118
    assert [pool.port for pool in pools] == [port]
    return pools[0]


def test_sessions_opened_one_after_another_reuse_one_connection(
    rotating_sandbox_settings: Sandbox,
) -> None:
    user = make_user()
    connect(user, rotating_sandbox_settings)
    for _ in range(3):
        with get_coolsms_session(user) as session:
            assert session.get_balance()["balance"] >= 0
    pool = api_pool()
    assert (pool.num_requests, pool.num_connections) == (3, 1)


def test_closing_a_session_leaves_the_pooled_connection_open(
    rotating_sandbox_settings: Sandbox,
) -> None:
    user = make_user()
    connect(user, rotating_sandbox_settings)
    with get_coolsms_session(user) as session:
        session.get_balance()
    pool = api_pool()
    idle = [conn for conn in pool.pool.queue if conn is not None]
    assert len(idle) == 1 and idle[0].sock is not None


def test_the_shared_adapter_serves_only_the_coolsms_origin(
    rotating_sandbox_settings: Sandbox,
) -> None:
    account = connect(make_user(), rotating_sandbox_settings)
    with CoolSMSSession(account) as session:
        assert session.get_adapter(session.url(BALANCE_PATH)) is http.api_adapter()
        elsewhere = session.get_adapter("http://example.com/")
        assert elsewhere is not http.api_adapter()
        # A host that merely starts with the CoolSMS host is another origin.
        lookalike = session.base_url + ".example.com/"
        assert session.get_adapter(lookalike) is not http.api_adapter()


def test_users_sharing_pooled_connections_each_send_their_own_token_on_the_wire(
    recording_server: RecordingServer,
) -> None:
    users = [make_user(f"user{number}") for number in range(4)]
    tokens = {
        f"user{number}": make_account(user, access=f"access-of-user{number}").access_token
        for number, user in enumerate(users)
    }
    errors: list[BaseException] = []

    def work(user: Any) -> None:
        from django.db import connection

        try:
            for _ in range(5):
                with get_coolsms_session(user) as session:
                    session.get(BALANCE_PATH, params={"who": user.username}).raise_for_status()
        except BaseException as err:  # reported below
            errors.append(err)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # One after the other, two users' sessions take the same pooled connection.
    for user in users[:2]:
        with get_coolsms_session(user) as session:
            session.get(BALANCE_PATH, params={"who": user.username}).raise_for_status()
    seen = recording_server.seen
    assert len(seen) == 22
    assert {(who, header) for who, header, _ in seen} == {
        (who, f"Bearer {token}") for who, token in tokens.items()
    }
    assert len({port for _, _, port in seen}) <= len(users)
    (first_user, _, first_port), (second_user, _, second_port) = seen[-2:]
    assert first_user != second_user and first_port == second_port


def test_the_pool_keeps_pool_size_connections_and_follows_the_setting(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = http.api_adapter()
    assert first.pool_size == app_settings().pool_size == 10
    assert first.poolmanager.connection_pool_kw["maxsize"] == 10
    discarded: list[bool] = []
    monkeypatch.setattr(first, "discard", lambda: discarded.append(True))
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "POOL_SIZE": 32}
    second = http.api_adapter()
    assert second is not first and discarded == [True]
    assert second.poolmanager.connection_pool_kw["maxsize"] == 32
    assert http.api_adapter() is second


def test_an_adapter_mounted_on_the_coolsms_origin_replaces_the_shared_one() -> None:
    from requests.adapters import HTTPAdapter

    with CoolSMSSession(make_account(make_user())) as session:
        own = HTTPAdapter(max_retries=3)
        session.mount(session.base_url + "/", own)
        assert session.get_adapter(session.url(BALANCE_PATH)) is own


def test_reset_closes_the_pool_and_the_next_session_starts_a_new_one() -> None:
    first = http.api_adapter()
    http.reset_api_adapter()
    assert http.api_adapter() is not first


def test_discard_really_closes_while_close_keeps_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    adapter = http.api_adapter()
    cleared: list[bool] = []
    monkeypatch.setattr(adapter.poolmanager, "clear", lambda: cleared.append(True))
    adapter.close()
    assert cleared == []
    adapter.discard()
    assert cleared == [True]


def test_a_forked_child_starts_its_own_pool() -> None:
    # In a fresh single-threaded interpreter: forking this test process would warn.
    script = textwrap.dedent(
        """
        import os
        from coolsms_oauth_django import http

        parent = http.api_adapter()
        pid = os.fork()
        if pid == 0:
            child = http.api_adapter()
            os._exit(0 if child is not parent and http.api_adapter() is child else 1)
        _, status = os.waitpid(pid, 0)
        assert http.api_adapter() is parent
        raise SystemExit(os.waitstatus_to_exitcode(status))
        """
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    finished = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, check=False, timeout=60
    )
    assert finished.returncode == 0


# --- proxies and CA bundle from the environment ---------------------------------------------


def test_api_sessions_take_proxies_and_ca_bundle_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("NO_PROXY", "no_proxy", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/bundle.pem")
    url = "https://api.coolsms.co.kr" + BALANCE_PATH
    with CoolSMSSession(make_account(make_user())) as session:
        settings = session.merge_environment_settings(url, {}, None, None, None)
    assert settings["proxies"]["https"] == "http://proxy.example:3128"
    assert settings["verify"] == "/etc/ssl/bundle.pem"
