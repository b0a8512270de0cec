"""How one sandbox behaves: the registered client and the switches tests flip."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Hosts any redirect URI may point at when no redirect URIs are registered.
LOCAL_HOSTNAMES = frozenset({"localhost", "testserver"})


@dataclass(frozen=True)
class SandboxConfig:
    """The registered client and the options a :class:`Sandbox` was built with."""

    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"
    redirect_uris: tuple[str, ...] | None = None
    auto_approve: bool = False
    rotate_refresh_tokens: bool = False
    access_token_ttl: int = 86400
    include_expires_in: bool = False

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
    try:
        port = parts.port
    except ValueError:
        port = -1
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or ""), port or default_port


def _is_local(hostname: str) -> bool:
    if hostname in LOCAL_HOSTNAMES or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False
