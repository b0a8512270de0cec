"""Single-flight token refresh: one token-endpoint call per expired token, however many callers.

Every caller that finds a token about to expire (or rejected with a 401) comes here. The
account's row is locked with ``SELECT ... FOR UPDATE`` inside a transaction, and the reason
to refresh is checked again once the lock is held: whoever waited behind the winner finds a
fresh token and uses it without calling CoolSMS. The HTTP call is made only while the lock is
held, so across threads, processes and servers at most one refresh runs per account.

SQLite has no row locks, so there a process-local lock per account does the same job for the
threads of one process.

When the refresh is called inside an outer transaction (``ATOMIC_REQUESTS``), the row stays
locked until that transaction ends, and the signals wait for its commit.
"""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

import requests
from django.db import connections, router, transaction

from . import accounts, clock, oauth, signals
from .adapter import get_adapter
from .conf import AppSettings, app_settings, oauth_config
from .exceptions import (
    InvalidGrant,
    NotConnected,
    ReconnectRequired,
    TokenError,
    TokenRefreshError,
    detach_errors,
)
from .models import CoolSMSAccount

Sleep = Callable[[float], None]

_registry_lock = threading.Lock()
_local_locks: weakref.WeakValueDictionary[tuple[str, int], threading.Lock] = (
    weakref.WeakValueDictionary()
)


GONE = "The CoolSMS connection no longer exists."
NO_REFRESH_TOKEN = (
    "CoolSMS issued this connection no refresh token, so its access token cannot be renewed "
    "once it expires; connect again."
)
REFUSED = "CoolSMS no longer accepts this connection's refresh token; connect again."
RECONNECT = "The CoolSMS connection must be connected again."


def _database_for_write() -> str:
    return router.db_for_write(CoolSMSAccount)


@contextlib.contextmanager
def local_lock(account_pk: int, using: str) -> Iterator[None]:
    """Serialize the threads of this process on one account when the database cannot.

    Databases with ``SELECT ... FOR UPDATE`` need nothing more than the row lock, so this
    is a no-op for them.
    """
    if connections[using].features.has_select_for_update:
        yield
        return
    with _registry_lock:
        lock = _local_locks.get((using, account_pk))
        if lock is None:
            lock = threading.Lock()
            _local_locks[(using, account_pk)] = lock
    with lock:
        yield


@dataclass(frozen=True)
class _Reason:
    """Why a caller wants a new token; decided again once the row is locked."""

    leeway: float
    rejected_token: str | None = field(default=None, repr=False)
    force: bool = False

    def holds_for(self, account: CoolSMSAccount) -> bool:
        if self.force or account.expires_within(self.leeway):
            return True
        return self.rejected_token is not None and account.access_token == self.rejected_token


def current_token(account_pk: int, *, sleep: Sleep | None = None) -> str:
    """Return a usable access token of the account, refreshing it first when it expires soon.

    Raise :class:`NotConnected` when the account is gone and :class:`ReconnectRequired` when
    it needs the user to connect again.
    """
    return token_and_expiry(account_pk, sleep=sleep)[0]


def token_and_expiry(account_pk: int, *, sleep: Sleep | None = None) -> tuple[str, datetime | None]:
    """Return a usable access token and its expiry (``None`` right after a refresh).

    As :func:`current_token`; the expiry lets a caller keep the token until it is due.
    """
    config = app_settings()
    using = _database_for_write()
    # Read where refreshes write: a replica could still hold a token just rotated away. On
    # SQLite the read also waits for a refresh of this account running in another thread.
    with local_lock(account_pk, using):
        row = accounts.account_row(account_pk, using=using)
    if row is None:
        raise NotConnected(GONE)
    if not row.is_active:
        raise ReconnectRequired(RECONNECT)
    if row.is_due(config.refresh_leeway):
        return refresh_account(account_pk, sleep=sleep), None
    return row.access_token, row.expires_at


def refresh_budget(config: AppSettings) -> float:
    """Return the longest a refresh with all its retries takes, in seconds.

    Each attempt ends within ``TIMEOUT`` (a deadline for the whole call), and the waits
    between them add ``REFRESH_BACKOFF`` doubling each time: with the defaults,
    3 × 10 + 0.5 + 1 = 31.5 s. The row is locked only during each attempt's call.
    """
    retries = max(config.refresh_retries, 0)
    waits = sum(config.refresh_backoff * (1 << retry) for retry in range(retries))
    return (retries + 1) * config.timeout + waits


@detach_errors()
def refresh_account(
    account_pk: int,
    *,
    leeway: float | None = None,
    rejected_token: str | None = None,
    force: bool = False,
    http: requests.Session | None = None,
    sleep: Sleep | None = None,
) -> str:
    """Make sure the account has a fresh access token and return it.

    Refresh when, with the row locked, the token expires within ``leeway`` seconds (default
    ``REFRESH_LEEWAY``), equals ``rejected_token`` (CoolSMS answered 401 to it), or ``force``
    is set; otherwise return the token another caller saved. Retry passing failures
    ``REFRESH_RETRIES`` times, ``REFRESH_BACKOFF`` seconds apart and doubling, without
    holding the lock while waiting; then raise :class:`TokenRefreshError`. Raise
    :class:`ReconnectRequired` when CoolSMS no longer honours the refresh token.
    """
    config = app_settings()
    reason = _Reason(
        leeway=config.refresh_leeway if leeway is None else leeway,
        rejected_token=rejected_token,
        force=force,
    )
    pause = time.sleep if sleep is None else sleep
    attempts = max(config.refresh_retries, 0) + 1
    owned = http is None
    client = get_adapter().http_session() if http is None else http
    failures = 0
    try:
        while True:
            try:
                return _attempt(account_pk, reason, config, client)
            except TokenRefreshError as err:
                failures += 1
                if failures == attempts:
                    accounts.record_error(account_pk, str(err))
                    raise TokenRefreshError(
                        f"Refreshing the CoolSMS token failed {attempts} times; try again later. "
                        f"The last time: {err}",
                        status=err.status,
                        error_code=err.error_code,
                    ) from err
                pause(config.refresh_backoff * 2 ** (failures - 1))
    finally:
        if owned:
            client.close()


def _attempt(account_pk: int, reason: _Reason, config: AppSettings, http: requests.Session) -> str:
    """Lock the row, decide again, refresh at most once; return the token to use."""
    using = _database_for_write()
    with local_lock(account_pk, using), transaction.atomic(using=using):
        locked = accounts.locked_account(account_pk, using=using)
        if locked is None:
            raise NotConnected(GONE)
        if not locked.is_active:
            raise ReconnectRequired(RECONNECT)
        if not reason.holds_for(locked):
            return str(locked.access_token)
        never_issued = not locked.refresh_token
        if never_issued:
            failure: TokenError = InvalidGrant(NO_REFRESH_TOKEN)
        else:
            try:
                tokens = oauth.refresh_tokens(
                    oauth_config(),
                    http,
                    refresh_token=locked.refresh_token,
                    scopes=tuple(locked.scope_list) or config.scopes,
                    now=clock.now(),
                )
            except TokenError as err:
                failure = err
            else:
                accounts.save_refreshed(locked, tokens)
                transaction.on_commit(
                    partial(signals.token_refreshed.send, sender=CoolSMSAccount, account=locked),
                    using=using,
                )
                return tokens.access_token
        if isinstance(failure, InvalidGrant):
            winner = _token_saved_meanwhile(locked, using)
            if winner is not None:
                return winner
            _mark_needs_reconnect(locked, failure, using)
    # Out of the transaction: what was written above is committed, the lock released.
    if isinstance(failure, InvalidGrant):
        raise ReconnectRequired(NO_REFRESH_TOKEN if never_issued else REFUSED) from failure
    if not isinstance(failure, TokenRefreshError):
        # Neither passing nor the grant's fault (a wrong client secret, say): connecting again
        # would not help, so the connection keeps its status and only the error is recorded.
        accounts.record_error(account_pk, str(failure), using=using)
    raise failure


def _token_saved_meanwhile(account: CoolSMSAccount, using: str) -> str | None:
    """Return a fresh access token another worker saved while ours was refused, if any."""
    row = accounts.account_row(account.pk, using=using)
    if row is None:
        return None
    changed = row.access_token != account.access_token
    if row.is_active and changed and not row.is_due(0):
        return row.access_token
    return None


def _mark_needs_reconnect(account: CoolSMSAccount, error: TokenError, using: str) -> None:
    """Flag the connection (tokens untouched) and send ``refresh_failed`` after the commit."""
    accounts.mark_needs_reconnect(account, str(error), using=using)
    transaction.on_commit(
        partial(signals.refresh_failed.send, sender=CoolSMSAccount, account=account, error=error),
        using=using,
    )
