"""The HTTP clients: a session for the token endpoint, and the pool API sessions share.

A view typically builds a :class:`~coolsms_oauth_django.session.CoolSMSSession` per request
and closes it at the end. If each of those sessions opened its own connection, every API call
would pay a TCP (and, against CoolSMS, TLS) handshake. So the API sessions of a process share
one connection pool (:func:`api_adapter`): a keep-alive connection left by one request's
session serves the next. Connections hold no credentials (the bearer token travels in each
request's header) and no cookies (those stay in each session), so sharing them shares
nothing of a user.
"""

from __future__ import annotations

import os
import threading

import requests
from requests.adapters import HTTPAdapter

from . import __version__

__all__ = ["USER_AGENT", "SharedAdapter", "api_adapter", "create_session"]

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

    def close(self) -> None:
        """Keep the pool: other sessions of the process are using it."""

    def discard(self) -> None:
        """Close every pooled connection."""
        super().close()


_adapter: SharedAdapter | None = None
_adapter_lock = threading.Lock()


def api_adapter() -> SharedAdapter:
    """Return the process's shared adapter, creating it on first use (thread-safe)."""
    global _adapter
    adapter = _adapter
    if adapter is None:
        with _adapter_lock:
            if _adapter is None:
                _adapter = SharedAdapter()
            adapter = _adapter
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
