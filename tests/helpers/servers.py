"""Servers on loopback ports: free ports, whether a port answers, waiting for a server."""

from __future__ import annotations

import socket
import time
from contextlib import closing
from pathlib import Path

import requests


def free_port() -> int:
    """Return a loopback port nothing listens on (the system's choice, free a moment ago)."""
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def reachable(host: str, port: int, timeout: float = 2.0) -> bool:
    """Tell whether something accepts connections on ``host``:``port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_answers(port: int) -> bool:
    """Tell whether something accepts connections on the loopback ``port``."""
    return reachable("127.0.0.1", port, timeout=0.5)


def wait_for_http(url: str, log: Path, timeout: float = 60.0) -> None:
    """Wait until ``url`` answers (any status); fail with the server's ``log`` if it does not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2).close()
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer:\n{log.read_text(errors='replace')}")
