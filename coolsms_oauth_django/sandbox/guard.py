"""What keeps a web page from driving the sandbox through the developer's browser.

The sandbox listens on the developer's machine, and any page the browser shows can send
requests there. Three rules stand in the way:

- **Host names.** A request whose ``Host`` is not a name the sandbox answers to is refused
  before anything else happens, so a page on a domain that re-resolves to 127.0.0.1 (DNS
  rebinding) reaches nothing. The sandbox answers to the host it is bound to, ``localhost``,
  ``127.0.0.1``, ``::1`` and the names it is given (``--allowed-host``; ``*`` allows any).
  Only the name is compared: a forwarded port is fine, and rebinding needs a name.
- **Control calls.** ``/_sandbox/`` calls are refused when a browser says they come from
  another origin (an ``Origin`` header that is not the sandbox's own, or ``Sec-Fetch-Site``
  other than ``same-origin``/``none``), and a ``POST`` must say ``Content-Type:
  application/json``, which no HTML form can send and which makes a browser ask first (a
  CORS preflight the sandbox never approves).
- **Exposure.** Bound to an address other than loopback, the sandbox is reachable from other
  machines; the command line warns (see :func:`exposure_warning`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from .errors import SandboxError
from .web import Request

#: The names every sandbox answers to, whatever it is bound to.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

#: ``Sec-Fetch-Site`` values of requests a page of another origin did not start.
_OWN_FETCH_SITES = frozenset({"same-origin", "none"})


def host_name(value: str) -> str | None:
    """Return the lowercased name of a ``Host`` value (no port, no IPv6 brackets), or None."""
    if not value or any(char in value for char in "/?#@\\ ") or not value.isprintable():
        return None
    try:
        parts = urlsplit(f"//{value}")
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        return None
    return parts.hostname or None


def allowed_host_names(bound_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Return the host names a sandbox bound to ``bound_host`` answers to."""
    names = {bound_host.strip("[]").lower(), *LOOPBACK_NAMES}
    for name in extra:
        names.add("*" if name == "*" else (host_name(name) or name.lower()))
    return frozenset(names)


def check_host(request: Request, allowed: frozenset[str]) -> None:
    """Refuse a request whose ``Host`` header names a host the sandbox does not answer to.

    A request without ``Host`` (an HTTP/1.0 client) is let through: browsers always send one.
    """
    value = request.header("host")
    if value is None or "*" in allowed:
        return
    name = host_name(value)
    if name not in allowed:
        raise SandboxError(
            400,
            "DisallowedHost",
            f"the sandbox does not answer to the host {value[:100]!r}; "
            "start it with --allowed-host NAME to add a name",
        )


def check_control_call(request: Request) -> None:
    """Refuse a ``/_sandbox/`` call that a page of another origin could have sent."""
    fetch_site = request.header("sec-fetch-site")
    origin = request.header("origin")
    own_origin = f"http://{request.header('host') or ''}".lower()
    if (fetch_site is not None and fetch_site.lower() not in _OWN_FETCH_SITES) or (
        origin is not None and origin.lower() != own_origin
    ):
        raise SandboxError(
            403,
            "CrossSiteRequest",
            "sandbox control calls are refused from other origins: call them from a test or a "
            "script, not from a web page",
        )
    if request.method == "POST" and request.content_type != "application/json":
        raise SandboxError(
            415,
            "UnsupportedMediaType",
            "sandbox control calls that change something must send "
            "Content-Type: application/json (an empty body is fine)",
        )


def is_loopback(address: str) -> bool:
    """Tell whether the IP ``address`` is a loopback address (IPv4-mapped ones included)."""
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def exposure_warning(address: str, base_url: str) -> str | None:
    """Return the warning to print when the sandbox listens on ``address`` beyond loopback."""
    if is_loopback(address):
        return None
    return (
        f"WARNING: the sandbox listens on {address}, beyond this machine's loopback "
        f"interface. Anyone who can reach {base_url} can log in with the well-known sandbox "
        "logins and use its control calls. Listen on 127.0.0.1 unless other machines must "
        "reach it, and name the hosts they use with --allowed-host.\n"
    )
