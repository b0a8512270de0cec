"""``coolsms_refresh_tokens`` and ``coolsms_rotate_keys``."""

from __future__ import annotations

import json
import threading
from io import StringIO
from typing import Any

import pytest
import responses
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

from coolsms_oauth_django import accounts
from coolsms_oauth_django.exceptions import DecryptionError
from coolsms_oauth_django.management.commands import coolsms_rotate_keys as rotate_keys
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.sandbox import Sandbox

from .helpers.accounts import (
    connect,
    expire,
    keep_only_key,
    make_account,
    make_user,
    put_new_key_first,
    raw_columns,
    refresh_while_rotating,
    stored_tokens,
)
from .helpers.coolsms import TOKEN_URL, token_body
from .settings import COOLSMS_OAUTH as ORIGINAL_SETTINGS

pytestmark = pytest.mark.django_db


def run(name: str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- coolsms_refresh_tokens --------------------------------------------------------------


@responses.activate
def test_refresh_tokens_refreshes_what_expires_within_the_window(settings: Any) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "REFRESH_BACKOFF": 0}
    soon = make_account(make_user("a"), access="a-old", refresh="a-r", expires_in=600)
    later = make_account(make_user("b"), access="b-old", refresh="b-r", expires_in=7200)
    responses.post(TOKEN_URL, json=token_body("a-new", refresh_token=None, expires_in=3600))
    out, err = run("coolsms_refresh_tokens")
    assert out.strip() == "Refreshed 1, needs reconnect 0, failed 0."
    assert stored_tokens(soon)[0] == "a-new"
    assert stored_tokens(later)[0] == "b-old"
    assert err == ""


@responses.activate
def test_refresh_tokens_window_is_an_option(settings: Any) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "REFRESH_BACKOFF": 0}
    make_account(make_user("a"), expires_in=600)
    out, _ = run("coolsms_refresh_tokens", "--expiring-within", "60")
    assert out.strip() == "Refreshed 0, needs reconnect 0, failed 0."
    assert len(responses.calls) == 0


@responses.activate
def test_one_failure_does_not_stop_the_others(settings: Any) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "REFRESH_BACKOFF": 0}
    gone = make_account(make_user("a"), refresh="gone", expires_in=-5)
    down = make_account(make_user("b"), refresh="down", expires_in=-5)
    fine = make_account(make_user("c"), refresh="fine", expires_in=-5)
    skipped = make_account(make_user("d"), expires_in=-5, status=CoolSMSAccount.NEEDS_RECONNECT)

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        sent = json.loads(request.body)["refresh_token"]
        if sent == "gone":
            return 403, {}, json.dumps({"errorCode": "InvalidGrant", "errorMessage": "x"})
        if sent == "down":
            return 503, {}, "unavailable"
        return 200, {}, json.dumps(token_body("fine-new", refresh_token=None, expires_in=3600))

    responses.add_callback(responses.POST, TOKEN_URL, callback=answer)
    out, err = run("coolsms_refresh_tokens")
    assert out.splitlines() == [
        "Refreshed 1, needs reconnect 1, failed 1.",
        "Failed by reason: TokenRefreshError (HTTP 503): 1.",
    ]
    assert f"Account {gone.pk}" in err and f"Account {down.pk}" in err
    assert "TokenRefreshError" in err
    assert stored_tokens(fine)[0] == "fine-new"
    assert CoolSMSAccount.objects.get(pk=gone.pk).status == CoolSMSAccount.NEEDS_RECONNECT
    assert stored_tokens(skipped)[0] == "access-1"


def test_refresh_tokens_against_the_sandbox(rotating_sandbox_settings: Sandbox) -> None:
    account = connect(make_user(), rotating_sandbox_settings)
    expire(account)
    out, _ = run("coolsms_refresh_tokens", "--expiring-within", "120")
    assert out.strip() == "Refreshed 1, needs reconnect 0, failed 0."
    assert rotating_sandbox_settings.token_calls()["refresh_token"] == 1


# --- coolsms_rotate_keys -----------------------------------------------------------------


@pytest.mark.parametrize("batch_size", ["1", "2", "500"])
def test_rotate_keys_reencrypts_every_token_with_the_first_key(
    settings: Any, batch_size: str
) -> None:
    made = [
        make_account(make_user(f"u{i}"), access=f"access-{i}", refresh=f"refresh-{i}")
        for i in range(5)
    ]
    no_refresh = make_account(make_user("none"), access="lonely", refresh=None)
    new_key = put_new_key_first(settings)
    before = {account.pk: raw_columns(account) for account in made}
    out, _ = run("coolsms_rotate_keys", "--batch-size", batch_size)
    assert out.strip() == "Re-encrypted 6 account(s); 0 unreadable."
    keep_only_key(settings, new_key)
    for i, account in enumerate(made):
        assert stored_tokens(account) == (f"access-{i}", f"refresh-{i}")
        assert raw_columns(account) != before[account.pk]
        assert f"access-{i}" not in raw_columns(account)[0]
    assert stored_tokens(no_refresh) == ("lonely", None)


def test_rotate_keys_reports_rows_no_key_opens(settings: Any) -> None:
    readable = make_account(make_user("a"))
    keep_only_key(settings, Fernet.generate_key().decode())
    unreadable = make_account(make_user("b"))
    put_new_key_first(settings, ORIGINAL_SETTINGS["ENCRYPTION_KEYS"])
    out, err = run("coolsms_rotate_keys")
    assert out.strip() == "Re-encrypted 1 account(s); 1 unreadable."
    assert f"Account {unreadable.pk}" in err
    assert stored_tokens(readable) == ("access-1", "refresh-1")
    with pytest.raises(DecryptionError):
        stored_tokens(unreadable)


def test_rotate_keys_leaves_a_row_a_refresh_changed_meanwhile(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    refreshed = make_account(make_user("first"), access="access-old", refresh="refresh-old")
    others = [make_account(make_user(f"u{i}"), access=f"access-{i}") for i in range(2)]
    new_key = put_new_key_first(settings)
    refresh_while_rotating(monkeypatch, refreshed, access="access-new", refresh="refresh-new")
    out, _ = run("coolsms_rotate_keys")
    assert out.strip() == (
        "Re-encrypted 2 account(s); 0 unreadable; 1 changed meanwhile (left as written)."
    )
    keep_only_key(settings, new_key)
    assert stored_tokens(refreshed) == ("access-new", "refresh-new")
    for i, account in enumerate(others):
        assert stored_tokens(account)[0] == f"access-{i}"


def test_rotate_keys_refuses_a_bad_batch_size() -> None:
    with pytest.raises(CommandError):
        run("coolsms_rotate_keys", "--batch-size", "0")


def test_rotate_keys_on_an_empty_table() -> None:
    out, _ = run("coolsms_rotate_keys")
    assert out.strip() == "Re-encrypted 0 account(s); 0 unreadable."


def test_rotate_keys_encrypts_in_a_worker_and_queries_on_the_callers_connection(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(5):
        make_account(make_user(f"u{i}"), access=f"access-{i}")
    put_new_key_first(settings)
    threads: dict[str, set[str]] = {"query": set(), "encrypt": set()}

    def recorded(kind: str, function: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            threads[kind].add(threading.current_thread().name)
            return function(*args, **kwargs)

        return call

    for step in ("ciphertext_batch", "replace_ciphertexts"):
        monkeypatch.setattr(accounts, step, recorded("query", getattr(accounts, step)))
    monkeypatch.setattr(rotate_keys, "rotate", recorded("encrypt", rotate_keys.rotate))
    out, _ = run("coolsms_rotate_keys", "--batch-size", "2")
    assert out.strip() == "Re-encrypted 5 account(s); 0 unreadable."
    assert threads["query"] == {threading.current_thread().name}
    assert len(threads["encrypt"]) == 1 and threads["encrypt"] != threads["query"]
