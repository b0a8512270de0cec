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

``requests``' own timeout bounds each socket operation, so a server that sends its answer a
byte at a time can hold a call for ever. Our adapters (:class:`DeadlineAdapter`, which every
session of this app uses) make a number ``timeout`` a deadline for the whole answer instead:
the status line, the headers and the body are all read by ``timeout`` seconds after the
request started. The socket reads wait only for what is left of that time; past it, the next
read fails with a read timeout. (Connecting keeps its bound of ``timeout`` per operation.)
"""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from collections.abc import Mapping
from contextvars import ContextVar
from http.client import HTTPResponse
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from . import __version__
from .conf import app_settings

__all__ = [
    "USER_AGENT",
    "DeadlineAdapter",
    "SharedAdapter",
    "api_adapter",
    "create_session",
]

USER_AGENT = f"coolsms-oauth-django/{__version__}"


def create_session() -> requests.Session:
    """Return a ``requests.Session`` with this app's User-Agent and deadlines.

    TLS verification stays on; a number ``timeout`` is a deadline for the whole request
    (see :class:`DeadlineAdapter`).
    """
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    adapter = DeadlineAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


#: When the request being sent in this context must have its answer (``time.monotonic()``).
_deadline: ContextVar[float | None] = ContextVar("coolsms_oauth_deadline", default=None)


class _DeadlineReader(io.RawIOBase):
    """The reading side of a socket, each read waiting only until the deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        # Unbuffered, it is the socket's own reader (which keeps the socket open while read).
        self._raw = sock.makefile("rb", buffering=0)
        self._deadline = deadline
        self._timeout = sock.gettimeout()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        self._sock.settimeout(left if self._timeout is None else min(left, self._timeout))
        try:
            return self._raw.readinto(buffer)
        finally:
            self._sock.settimeout(self._timeout)

    def fileno(self) -> int:
        return self._raw.fileno()

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _DeadlineSocket:
    """A socket whose ``makefile()`` reader stops at a deadline; the rest is the socket's."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _DeadlineResponse(HTTPResponse):
    """``http.client``'s response, reading its socket only until the context's deadline."""

    def __init__(self, sock: Any, *args: Any, **kwargs: Any) -> None:
        deadline = _deadline.get()
        if deadline is not None:
            sock = _DeadlineSocket(sock, deadline)
        super().__init__(sock, *args, **kwargs)


# A connection's getresponse() returns "an instance of HTTPResponse or of whatever object
# is returned by the response_class variable" (http.client and urllib3).
class _HTTPConnection(urllib3.connection.HTTPConnection):
    response_class = _DeadlineResponse


class _HTTPSConnection(urllib3.connection.HTTPSConnection):
    response_class = _DeadlineResponse


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOL_CLASSES = {"http": _HTTPPool, "https": _HTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """An adapter for which a number ``timeout`` is a deadline for the whole request.

    The answer (status line, headers and body, also when streamed) must be read by
    ``timeout`` seconds after the request started. Connecting (TCP, and the TLS handshake)
    and sending keep ``requests``' bound of ``timeout`` for each socket operation, as does a
    ``(connect, read)`` tuple for everything. Through a SOCKS proxy the deadline does not
    apply.
    """

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOL_CLASSES

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is urllib3.ProxyManager:
            manager.pool_classes_by_scheme = _POOL_CLASSES
        return manager

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send ``request``; a number ``timeout`` is a deadline for the whole request."""
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
            return super().send(request, stream, timeout, verify, cert, proxies)
        token = _deadline.set(time.monotonic() + timeout)
        try:
            return super().send(request, stream, timeout, verify, cert, proxies)
        finally:
            _deadline.reset(token)


class SharedAdapter(DeadlineAdapter):
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
