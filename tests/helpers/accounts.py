"""Users, connections and keys in the test database; the app pointed at a sandbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from coolsms_oauth_django import accounts, clock, oauth
from coolsms_oauth_django.conf import app_settings, oauth_config
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.sandbox import Sandbox
from coolsms_oauth_django.session import fetch_profile
from coolsms_oauth_django.testing import oauth_settings_for

from ..settings import COOLSMS_OAUTH
from .token_server import TokenServer

REDIRECT_URI = "http://testserver/coolsms/callback/"
SCOPES = ["users:read", "cash:read", "message:write"]


def sandbox_settings(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    """Return a ``COOLSMS_OAUTH`` dict pointing at ``sandbox``."""
    defaults = {"REDIRECT_URI": REDIRECT_URI, "SCOPES": SCOPES, "REFRESH_BACKOFF": 0}
    return oauth_settings_for(sandbox, COOLSMS_OAUTH, **{**defaults, **extra})


def make_user(username: str = "alice") -> AbstractBaseUser:
    """Create and return a user."""
    user: AbstractBaseUser = get_user_model().objects.create_user(username=username)
    return user


def sandbox_tokens(sandbox: Sandbox) -> oauth.TokenSet:
    """Run the authorize and token steps against the sandbox; return the tokens it issued."""
    config = oauth_config()
    assert config.token_url.startswith(sandbox.base_url + "/"), "the app points elsewhere"
    with requests.Session() as http:
        url = oauth.authorize_url(config, redirect_uri=REDIRECT_URI, state="s" * 32)
        with http.get(url, allow_redirects=False, timeout=5) as answer:
            location = answer.headers["Location"]
        code = parse_qs(urlsplit(location).query)["code"][0]
        return oauth.exchange_code(
            config, http, code=code, redirect_uri=REDIRECT_URI, now=clock.now()
        )


def connect(user: AbstractBaseUser, sandbox: Sandbox) -> CoolSMSAccount:
    """Connect ``user`` to the sandbox's default member and return the saved account."""
    tokens = sandbox_tokens(sandbox)
    with requests.Session() as http:
        profile = fetch_profile(app_settings(), http, tokens.access_token)
    return accounts.save_connection(user, tokens, profile=profile)


def expire(account: CoolSMSAccount, seconds_ago: int = 5) -> None:
    """Make the stored access token look expired to the client."""
    CoolSMSAccount.objects.filter(pk=account.pk).update(
        expires_at=clock.now() - timedelta(seconds=seconds_ago)
    )


def make_account(
    user: AbstractBaseUser,
    *,
    access: str = "access-1",
    refresh: str | None = "refresh-1",
    expires_in: int = 3600,
    status: str = CoolSMSAccount.ACTIVE,
    scopes: str = "users:read cash:read message:write",
    **fields: Any,
) -> CoolSMSAccount:
    """Create a connection with the given (fake) tokens, for ``responses`` tests.

    ``fields`` sets more of the row (``member_id`` is ``M-<the user's pk>`` unless given).
    """
    now = clock.now()
    fields.setdefault("member_id", f"M-{user.pk}")
    return CoolSMSAccount.objects.create(
        user=user,
        **fields,
        access_token=access,
        refresh_token=refresh,
        scopes=scopes,
        expires_at=now + timedelta(seconds=expires_in),
        status=status,
        connected_at=now,
    )


def stored_tokens(account: CoolSMSAccount) -> tuple[str, str | None]:
    """Return the (access, refresh) tokens the database holds for ``account``."""
    access, refresh = (
        CoolSMSAccount.objects.filter(pk=account.pk)
        .values_list("access_token", "refresh_token")
        .get()
    )
    return access, refresh


def no_sleep(seconds: float) -> None:
    """Stand in for ``time.sleep`` so retries do not wait."""


def raw_columns(account: CoolSMSAccount) -> tuple[str, str | None]:
    """Return the (access, refresh) columns as stored: the ciphertexts, not the tokens."""
    table = CoolSMSAccount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT access_token, refresh_token FROM {table} WHERE id = %s",
            [account.pk],
        )
        row = cursor.fetchone()
    return row[0], row[1]


def refresh_while_rotating(
    monkeypatch: pytest.MonkeyPatch, account: CoolSMSAccount, *, access: str, refresh: str
) -> None:
    """Make a refresh save new tokens on ``account`` once the command has read its row."""
    original = accounts.ciphertext_batch
    done: list[bool] = []

    def read_then_refresh(*args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        rows = original(*args, **kwargs)
        if not done and any(row[0] == account.pk for row in rows):
            done.append(True)
            fresh = CoolSMSAccount.objects.get(pk=account.pk)
            fresh.access_token, fresh.refresh_token = access, refresh
            fresh.save(update_fields=["access_token", "refresh_token"])
        return rows

    monkeypatch.setattr(accounts, "ciphertext_batch", read_then_refresh)


def put_new_key_first(settings: Any, keys: list[str] | None = None) -> str:
    """Configure a new encryption key ahead of ``keys`` (default: the configured ones)."""
    new_key = Fernet.generate_key().decode()
    older = settings.COOLSMS_OAUTH["ENCRYPTION_KEYS"] if keys is None else keys
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "ENCRYPTION_KEYS": [new_key, *older]}
    return new_key


def keep_only_key(settings: Any, key: str) -> None:
    """Configure ``key`` as the only encryption key."""
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "ENCRYPTION_KEYS": [key]}


class Recorder:
    """Collect the refresh signals one test sends."""

    def __init__(self) -> None:
        self.refreshed: list[CoolSMSAccount] = []
        self.failed: list[tuple[CoolSMSAccount, Exception]] = []

    def on_refreshed(self, sender: Any, account: CoolSMSAccount, **kwargs: Any) -> None:
        self.refreshed.append(account)

    def on_failed(
        self, sender: Any, account: CoolSMSAccount, error: Exception, **kwargs: Any
    ) -> None:
        self.failed.append((account, error))


def due_accounts(count: int, *, prefix: str = "u") -> list[CoolSMSAccount]:
    """Create ``count`` connections expiring in 1, 2, ... minutes, all due within the hour."""
    made = [
        make_account(make_user(f"{prefix}{n}"), access=f"old-{n}", expires_in=60 * (count - n))
        for n in range(count)
    ]
    return sorted(made, key=lambda account: account.expires_at)


def point_at(settings: Any, server: TokenServer) -> None:
    """Point the app's token calls at ``server``, with no back-off between retries."""
    settings.COOLSMS_OAUTH = {
        **settings.COOLSMS_OAUTH,
        "TOKEN_URL": server.url,
        "REFRESH_BACKOFF": 0,
    }


def refreshed(made: list[CoolSMSAccount]) -> list[bool]:
    """Tell, for each connection, whether it holds a token ``TokenServer`` served."""
    return [stored_tokens(account)[0].startswith("served-") for account in made]
