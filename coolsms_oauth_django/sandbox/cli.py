"""The command line: ``python -m coolsms_oauth_django.sandbox`` and its shared pieces."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from ..endpoints import DOCUMENTED_ACCESS_TOKEN_LIFETIME
from .guard import exposure_warning
from .provider import Sandbox

DEFAULT_PORT = 8765


class Writer(Protocol):
    """Where the banner goes: a text stream or Django's ``OutputWrapper``."""

    def write(self, text: str, /) -> Any:
        """Write ``text``."""

    def flush(self) -> Any:
        """Flush what was written."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sandbox options to ``parser`` (the CLI and the management command share them)."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port to listen on; 0 picks a free one"
    )
    parser.add_argument(
        "--auto-approve",
        action="store_true",
        help="skip login and consent: approve at once as the first sandbox user",
    )
    parser.add_argument(
        "--rotate-refresh-tokens",
        action="store_true",
        help="return a new refresh token on every refresh and revoke grants on reuse",
    )
    parser.add_argument(
        "--access-token-ttl",
        type=int,
        default=DOCUMENTED_ACCESS_TOKEN_LIFETIME,
        metavar="SECONDS",
        help=f"access token lifetime (default: {DOCUMENTED_ACCESS_TOKEN_LIFETIME})",
    )
    parser.add_argument(
        "--redirect-uri",
        action="append",
        dest="redirect_uris",
        metavar="URI",
        help="register a redirect URI (repeatable); without one, any localhost URI is allowed",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        dest="allowed_hosts",
        metavar="NAME",
        help="also answer requests for this host name (repeatable; * for any); the bound "
        "host, localhost, 127.0.0.1 and ::1 are always answered",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="log each request's method, path and status"
    )


def build_sandbox(options: dict[str, Any]) -> Sandbox:
    """Return a sandbox configured from parsed command-line options."""
    return Sandbox(
        options["host"],
        options["port"],
        auto_approve=options["auto_approve"],
        rotate_refresh_tokens=options["rotate_refresh_tokens"],
        access_token_ttl=options["access_token_ttl"],
        redirect_uris=options["redirect_uris"],
        allowed_hosts=options["allowed_hosts"],
        verbose=options["verbose"],
    )


def describe(sandbox: Sandbox) -> str:
    """Return the banner a started sandbox prints: where it is and how to log in."""
    config = sandbox.config
    redirects = (
        ", ".join(config.redirect_uris)
        if config.redirect_uris is not None
        else "any http(s) URI on localhost, a loopback address or testserver"
    )
    lines = [
        f"CoolSMS sandbox running at {sandbox.base_url}",
        "",
        f"  BASE_URL       {sandbox.base_url}",
        f"  CLIENT_ID      {sandbox.client_id}",
        f"  CLIENT_SECRET  {sandbox.client_secret}",
        f"  Redirect URIs  {redirects}",
        f"  Auto-approve   {'on' if config.auto_approve else 'off'}",
        f"  Rotation       {'on' if config.rotate_refresh_tokens else 'off'}",
        f"  Token lifetime {config.access_token_ttl} s",
        "",
        "Sandbox users (login / password):",
    ]
    lines += [
        f"  {user.login} / {user.password}  ({user.member_id}, {user.name})"
        for user in sandbox.users
    ]
    lines += ["", "Press Ctrl-C to stop."]
    return "\n".join(lines) + "\n"


def install_stop_signals(stop: threading.Event) -> None:
    """Make SIGTERM (and SIGINT) set ``stop`` instead of killing the process mid-request."""

    def handler(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def serve(
    sandbox: Sandbox,
    out: Writer,
    stop: threading.Event | None = None,
    *,
    err: Writer | None = None,
) -> None:
    """Start ``sandbox``, print its banner to ``out`` and serve until ``stop`` is set.

    Listening beyond loopback, it first prints a warning to ``err`` (standard error).
    """
    if stop is None:
        stop = threading.Event()
        install_stop_signals(stop)
    sandbox.start()
    try:
        warning = exposure_warning(sandbox.address or "", sandbox.base_url)
        if warning:
            err = err if err is not None else sys.stderr
            err.write(warning)
            err.flush()
        out.write(describe(sandbox))
        out.flush()
        stop.wait()
    finally:
        sandbox.stop()


def main(argv: Sequence[str] | None = None, *, stop: threading.Event | None = None) -> int:
    """Run the sandbox from the command line; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m coolsms_oauth_django.sandbox",
        description="Serve a local CoolSMS-compatible OAuth2 provider and API.",
    )
    add_arguments(parser)
    options = vars(parser.parse_args(argv))
    try:
        sandbox = build_sandbox(options)
    except ValueError as err:
        parser.error(str(err))
    serve(sandbox, sys.stdout, stop, err=sys.stderr)
    return 0
