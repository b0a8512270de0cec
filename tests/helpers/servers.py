"""Servers on loopback ports: free ports, whether a port answers, waiting for a server; and
small servers whose answers a test scripts or records."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from contextlib import closing
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from .token_server import send_json


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


# --- A server that answers through a script --------------------------------------------------

#: The TIMEOUT the ``drip`` fixture sets: the deadline of a whole call, in seconds.
DRIP_TIMEOUT = 1.0
#: One byte this often: far below any per-read timeout, so only a deadline stops the call.
DRIP_INTERVAL = 0.05


class LocalServer:
    """A server on 127.0.0.1 that answers each request with ``answer(connection, server)``.

    ``answer`` gets the connection once the request's head has arrived, and should end soon
    after ``stopped`` is set, so a test never hangs on it.
    """

    def __init__(self, answer: Callable[[socket.socket, LocalServer], None]) -> None:
        self.answer = answer
        self.stopped = threading.Event()
        self.requests = 0
        self.sent = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)  # so the accepting thread sees stop()
        self.base_url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.threads = [threading.Thread(target=self.accept, daemon=True)]
        self.threads[0].start()

    def accept(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self.serve, args=(connection,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def serve(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            try:
                received = b""
                while b"\r\n\r\n" not in received:
                    received += connection.recv(65536)
                self.requests += 1
                self.answer(connection, self)
            except OSError:
                return

    def stop(self) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(5)
        self.listener.close()


DRIP_BODY = b'{"access_token": "' + b"a" * 400 + b'", "token_type": "Bearer"}'
DRIP_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n" % len(DRIP_BODY)
)


def drip_head(connection: socket.socket, server: LocalServer) -> None:
    """Send the status line, the headers and the body one byte at a time."""
    for byte in DRIP_HEAD + DRIP_BODY:
        if server.stopped.wait(DRIP_INTERVAL):
            return
        connection.sendall(bytes([byte]))


def drip_body(connection: socket.socket, server: LocalServer) -> None:
    """Send the status line and headers at once, then the body one byte at a time."""
    connection.sendall(DRIP_HEAD)
    for byte in DRIP_BODY:
        if server.stopped.wait(DRIP_INTERVAL):
            return
        connection.sendall(bytes([byte]))


# --- A server that records who asked ---------------------------------------------------------


class RecordingServer(ThreadingHTTPServer):
    """A keep-alive HTTP server that answers every GET with a balance and records, per
    request, the ``who`` query parameter, the ``Authorization`` header it received and the
    client port (one per connection)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int]] = []
        super().__init__(("127.0.0.1", 0), RecordingHandler)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class RecordingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RecordingServer

    def do_GET(self) -> None:
        who = parse_qs(urlsplit(self.path).query)["who"][0]
        self.server.seen.append((who, self.headers["Authorization"], self.client_address[1]))
        send_json(self, {"balance": 1})

    def log_message(self, format: str, *args: Any) -> None:
        pass
