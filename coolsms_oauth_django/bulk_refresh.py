"""Refresh many connections at once: worker threads on keep-alive sessions, outcomes by reason.

``coolsms_refresh_tokens`` and :mod:`coolsms_oauth_django.tasks` both come here. Each account
still goes through :func:`.refresh.refresh_account`, so it is refreshed under its row lock
and at most once however many workers, commands and user requests ask at the same moment.
Each worker thread keeps one ``requests.Session`` (the adapter's ``http_session()``) for all
its refreshes, so consecutive token calls reuse a kept-alive connection instead of opening a
new one each time.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from django.db import connections

from . import refresh
from .adapter import get_adapter
from .conf import app_settings
from .exceptions import CoolSMSOAuthError, DecryptionError, ReconnectRequired, TokenError

logger = logging.getLogger("coolsms_oauth_django")

#: Seconds ahead of expiry a connection is due for the command and the tasks.
DEFAULT_WINDOW = 3600
#: The reason counted for a connection no configured encryption key opens.
UNREADABLE = "no configured key opens its tokens"
#: How often, at most, ``on_progress`` is called while refreshes run.
PROGRESS_INTERVAL = 0.5

#: Told each failure: the account's primary key and what went wrong.
FailureReporter = Callable[[int, str], None]


@dataclass
class Tally:
    """How many connections were refreshed, need reconnecting, or failed (by reason)."""

    refreshed: int = 0
    reconnect: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def failed(self) -> int:
        """Return how many refreshes failed, whatever the reason."""
        return sum(self.failures.values())

    @property
    def done(self) -> int:
        """Return how many connections were handled."""
        return self.refreshed + self.reconnect + self.failed

    def as_dict(self) -> dict[str, Any]:
        """Return the tally as plain JSON data (a task's result)."""
        return {
            "refreshed": self.refreshed,
            "reconnect": self.reconnect,
            "failures": dict(self.failures),
        }

    def summary(self) -> str:
        """Return one line: refreshed, needing reconnect, failed."""
        return (
            f"Refreshed {self.refreshed}, needs reconnect {self.reconnect}, failed {self.failed}."
        )

    def reasons(self) -> str:
        """Return the failures by reason, most frequent first (empty when none failed)."""
        return "; ".join(f"{reason}: {count}" for reason, count in self.failures.most_common())


def counted_reason(err: BaseException) -> str:
    """Return the reason a failed refresh is counted under: its kind, status and error code."""
    if isinstance(err, DecryptionError):
        return UNREADABLE
    reason = type(err).__name__
    if isinstance(err, TokenError):
        details = [f"HTTP {err.status}" if err.status else "", err.error_code or ""]
        shown = " ".join(detail for detail in details if detail)
        if shown:
            reason += f" ({shown})"
    return reason


def worker_session(url: str) -> requests.Session:
    """Return the adapter's session for token calls, reading the environment once for ``url``.

    ``requests`` looks up proxies, the CA bundle and ``.netrc`` in the environment on every
    call; for a worker making thousands of token calls that is a large share of its CPU, so
    what it would find is read here once, through its public ``merge_environment_settings``
    and ``prepare_request``, and the session is told not to look again.
    """
    session = get_adapter().http_session()
    if not session.trust_env:
        return session
    found = session.merge_environment_settings(url, {}, None, None, None)
    session.proxies.update(found["proxies"])
    session.verify = found["verify"]
    if session.auth is None:
        # A .netrc entry for the host: requests would send it as this header on every call.
        netrc = session.prepare_request(requests.Request("POST", url)).headers.get("Authorization")
        if netrc is not None:
            session.headers["Authorization"] = netrc
    session.trust_env = False
    return session


class _Worker:
    """Refreshes accounts one after the other on one kept-alive session, counting outcomes."""

    def __init__(
        self, tally: Tally, lock: threading.Lock, leeway: float, on_failure: FailureReporter | None
    ) -> None:
        self.tally = tally
        self.lock = lock
        self.leeway = leeway
        self.on_failure = on_failure
        self.url = app_settings().token_url

    def refresh(self, account_pk: int, http: requests.Session) -> None:
        try:
            # The window is the leeway: a token another worker refreshed meanwhile is kept.
            refresh.refresh_account(account_pk, leeway=self.leeway, http=http)
        except ReconnectRequired as err:
            if isinstance(err, DecryptionError):
                self._failed(account_pk, UNREADABLE, f"{UNREADABLE}.")
            else:
                with self.lock:
                    self.tally.reconnect += 1
                self._report(account_pk, "the user must connect again.")
        except CoolSMSOAuthError as err:
            self._failed(account_pk, counted_reason(err), f"{type(err).__name__}: {err}")
        except Exception as err:
            # A database or programming error must not stop the other refreshes.
            logger.exception("CoolSMS account %s: the refresh failed.", account_pk)
            self._failed(account_pk, type(err).__name__, f"{type(err).__name__}: {err}")
        else:
            with self.lock:
                self.tally.refreshed += 1

    def _failed(self, account_pk: int, reason: str, message: str) -> None:
        with self.lock:
            self.tally.failures[reason] += 1
        self._report(account_pk, message)

    def _report(self, account_pk: int, message: str) -> None:
        if self.on_failure is not None:
            self.on_failure(account_pk, message)


class _Progress:
    """Call ``on_progress`` with the tally at most every :data:`PROGRESS_INTERVAL` seconds."""

    def __init__(self, tally: Tally, on_progress: Callable[[Tally], None] | None) -> None:
        self.tally = tally
        self.on_progress = on_progress
        self.last = time.monotonic()

    def __call__(self) -> None:
        if self.on_progress is not None and time.monotonic() - self.last >= PROGRESS_INTERVAL:
            self.last = time.monotonic()
            self.on_progress(self.tally)


def refresh_many(
    account_pks: Iterable[int],
    *,
    leeway: float,
    concurrency: int = 1,
    on_failure: FailureReporter | None = None,
    on_progress: Callable[[Tally], None] | None = None,
) -> Tally:
    """Refresh the accounts ``account_pks`` yields when due within ``leeway`` seconds.

    ``concurrency`` worker threads, each on its own kept-alive session and database
    connection (closed at the end), take the keys from a short queue, so ``account_pks`` is
    read as fast as they go and memory stays constant; with one, the refreshes run in the
    calling thread. One failure does not stop the rest: ``on_failure`` is told each, the
    returned :class:`Tally` counts them by reason. ``on_progress`` is called with the tally
    at most every :data:`PROGRESS_INTERVAL` seconds, from the calling thread.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1.")
    tally = Tally()
    worker = _Worker(tally, threading.Lock(), leeway, on_failure)
    progress = _Progress(tally, on_progress)
    if concurrency == 1:
        # In the calling thread and on its database connection (and transaction).
        with worker_session(worker.url) as http:
            for account_pk in account_pks:
                worker.refresh(account_pk, http)
                progress()
        return tally
    work: queue.Queue[int | None] = queue.Queue(maxsize=2 * concurrency)

    def serve() -> None:
        try:
            with worker_session(worker.url) as http:
                while (account_pk := work.get()) is not None:
                    worker.refresh(account_pk, http)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=serve, name=f"coolsms-refresh-{n}", daemon=True)
        for n in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    try:
        for account_pk in account_pks:
            _put(work, account_pk, progress)
    finally:
        for _ in threads:
            work.put(None)
        for thread in threads:
            thread.join()
    return tally


def _put(work: queue.Queue[int | None], account_pk: int, progress: _Progress) -> None:
    """Hand ``account_pk`` to the workers, showing progress while they are all busy."""
    while True:
        try:
            work.put(account_pk, timeout=PROGRESS_INTERVAL)
        except queue.Full:
            progress()
        else:
            progress()
            return
