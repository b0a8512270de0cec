"""The HTTP clients: a session for the token endpoint, and the pool API sessions share.

A view typically builds a :class:`~coolsms_oauth_django.session.CoolSMSSession` per request
and closes it at the end. If each of those sessions opened its own connection, every API call
would pay a TCP (and, against CoolSMS, TLS) handshake. So the API sessions of a process share
one connection pool (:func:`api_adapter`): a keep-alive connection left by one request's
session serves the next. Connections hold no credentials (the bearer token travels in each
request's header) and no cookies (those stay in each session), so sharing them shares
nothing of a user.

``requests`` also scans the process environment for proxies and a CA bundle before every
request. :func:`environment_settings` gives API sessions the same answer from a cache that
is keyed on the variables it depends on, so a changed variable is seen at the next request.
"""

from __future__ import annotations

import functools
import os
import threading
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies

from . import __version__

__all__ = [
    "USER_AGENT",
    "SharedAdapter",
    "api_adapter",
    "create_session",
    "environment_settings",
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


#: The variables that decide ``requests``' proxies and CA bundle for an http(s) URL, in the
#: lower- and upper-case spellings (``REQUEST_METHOD`` marks a CGI process, where
#: ``HTTP_PROXY`` is ignored). System proxy settings (macOS, Windows) are read once.
ENVIRONMENT_NAMES = (
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "REQUEST_METHOD",
)


@functools.lru_cache(maxsize=64)
def _settings_for(
    origin: str, no_proxy: str | None, environment: tuple[str | None, ...]
) -> tuple[tuple[tuple[str, str], ...], str | None]:
    values = dict(zip(ENVIRONMENT_NAMES, environment, strict=True))
    proxies = get_environ_proxies(origin, no_proxy=no_proxy)
    bundle = values["REQUESTS_CA_BUNDLE"] or values["CURL_CA_BUNDLE"]
    return tuple(proxies.items()), bundle


def environment_settings(
    url: str, no_proxy: str | None = None
) -> tuple[dict[str, str], str | None]:
    """Return the environment's proxies for ``url`` and its CA bundle (``None``: the default).

    The same as ``requests`` finds before each request (``get_environ_proxies`` and
    ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``), remembered per origin while the variables
    in :data:`ENVIRONMENT_NAMES` keep their values.
    """
    parts = urlsplit(url)
    environment = tuple(map(os.environ.get, ENVIRONMENT_NAMES))
    proxies, bundle = _settings_for(f"{parts.scheme}://{parts.netloc}/", no_proxy, environment)
    return dict(proxies), bundle
