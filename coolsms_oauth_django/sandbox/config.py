"""How one sandbox behaves: the registered client and the switches tests flip."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..endpoints import DOCUMENTED_ACCESS_TOKEN_LIFETIME

DEFAULT_CLIENT_ID = "sandbox-client-id"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"

#: Hosts any redirect URI may point at when no redirect URIs are registered.
LOCAL_HOSTNAMES = frozenset({"localhost", "testserver"})


def redirect_uri_problem(uri: str) -> str | None:
    """Return why ``uri`` cannot be a redirect URI, or None when it can."""
    parts = urlsplit(uri)
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        return "redirect_uri has an invalid port"
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment:
        return "redirect_uri must be an absolute http(s) URI without a fragment"
    return None


@dataclass(frozen=True)
class SandboxConfig:
    """The registered client and the options a :class:`Sandbox` was built with."""

    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    redirect_uris: tuple[str, ...] | None = None
    auto_approve: bool = False
    rotate_refresh_tokens: bool = False
    access_token_ttl: int = DOCUMENTED_ACCESS_TOKEN_LIFETIME
    include_expires_in: bool = False
    #: ``Host`` names answered besides the bound host and loopback (see :mod:`.guard`).
    allowed_hosts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for uri in self.redirect_uris or ():
            problem = redirect_uri_problem(uri)
            if problem:
                raise ValueError(f"{problem}: {uri}")
        if self.access_token_ttl < 1:
            raise ValueError("access_token_ttl must be at least one second")

    def redirect_host_allowed(self, uri: str) -> bool:
        """Tell whether ``uri`` points at a host the client registered."""
        target = _origin(uri)
        if self.redirect_uris is None:
            return _is_local(target[1])
        return target in {_origin(registered) for registered in self.redirect_uris}

    @property
    def default_redirect_uri(self) -> str | None:
        """Return the redirect URI used when the authorize request names none."""
        return self.redirect_uris[0] if self.redirect_uris else None


def _origin(uri: str) -> tuple[str, str, int | None]:
    parts = urlsplit(uri)
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or ""), parts.port or default_port


def _is_local(hostname: str) -> bool:
    if hostname in LOCAL_HOSTNAMES or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False
