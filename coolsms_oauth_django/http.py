"""The HTTP clients: a session for the token endpoint, and the pool API sessions share.

A view typically builds a :class:`~coolsms_oauth_django.session.CoolSMSSession` per request
and closes it at the end. If each of those sessions opened its own connection, every API call
would pay a TCP (and, against CoolSMS, TLS) handshake. So the API sessions of a process share
one connection pool (:func:`api_adapter`): a keep-alive connection left by one request's
session serves the next. Connections hold no credentials (the bearer token travels in each
request's header) and no cookies (those stay in each session), so sharing them shares
nothing of a user.

The pool keeps up to ``POOL_SIZE`` idle connections per host. Like any kept-alive
``requests.Session``, a request can meet a connection the other end has just closed; urllib3
checks each one before reuse, and a request that still fails that way is not retried (a POST
that reached CoolSMS must not be sent twice), so it surfaces as a connection error.
"""

from __future__ import annotations

import os
import threading

import requests
from requests.adapters import HTTPAdapter

from . import __version__
from .conf import app_settings

__all__ = [
    "USER_AGENT",
    "SharedAdapter",
    "api_adapter",
    "create_session",
]

USER_AGENT = f"coolsms-oauth-django/{__version__}"


def create_session() -> requests.Session:
    """Return a ``requests.Session`` with this app's User-Agent; TLS verification stays on."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


class SharedAdapter(HTTPAdapter):
    """An adapter that outlives the sessions it is mounted on.

    ``requests.Session.close()`` closes every adapter mounted on the session; this one belongs
    to the process, so closing a session leaves its pooled connections open for the next.
    :meth:`discard` really closes them.
    """

    def __init__(self, pool_size: int) -> None:
        super().__init__(pool_connections=1, pool_maxsize=pool_size)
        self.pool_size = pool_size

    def close(self) -> None:
        """Keep the pool: other sessions of the process are using it."""

    def discard(self) -> None:
        """Close every pooled connection."""
        super().close()


_adapter: SharedAdapter | None = None
_adapter_lock = threading.Lock()


def api_adapter() -> SharedAdapter:
    """Return the process's shared adapter, creating it on first use (thread-safe).

    A new one replaces it when the ``POOL_SIZE`` setting changes.
    """
    global _adapter
    size = app_settings().pool_size
    adapter = _adapter
    if adapter is not None and adapter.pool_size == size:
        return adapter
    with _adapter_lock:
        current = _adapter
        if current is not None and current.pool_size == size:
            return current  # another thread built it meanwhile
        adapter = _adapter = SharedAdapter(size)
    if current is not None:
        current.discard()
    return adapter


def reset_api_adapter() -> None:
    """Close the shared pool; the next API session starts a new one."""
    global _adapter
    with _adapter_lock:
        adapter, _adapter = _adapter, None
    if adapter is not None:
        adapter.discard()


def _forget_after_fork() -> None:
    # A forked worker (gunicorn --preload, multiprocessing) must not talk over sockets it
    # shares with its parent; it drops the inherited pool without touching those sockets.
    global _adapter, _adapter_lock
    _adapter = None
    _adapter_lock = threading.Lock()


if hasattr(os, "register_at_fork"):  # pragma: no branch (every POSIX Python we support)
    os.register_at_fork(after_in_child=_forget_after_fork)
