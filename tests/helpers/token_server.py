"""A bare token endpoint on 127.0.0.1 for the refresh tests and benchmarks.

It answers every POST with a new access token (24 hours, no new refresh token) after
``delay`` seconds, like a remote server, and counts the calls, the most it served at once,
and the TCP connections they came on. ``python -m tests.helpers.token_server DELAY`` runs one in a
process of its own: it prints its URL, then serves until its standard input closes.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from .coolsms import token_body

LIFETIME = 86400


def send_json(handler: BaseHTTPRequestHandler, data: Any) -> None:
    """Answer 200 with ``data`` as JSON, with a length, so the connection can be kept alive."""
    body = json.dumps(data).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class TokenServer:
    """Serve token answers on a free port of 127.0.0.1 in a background thread."""

    def __init__(self, delay: float = 0.0, gate: threading.Event | None = None) -> None:
        self.delay = delay
        #: When set, each call waits until the gate opens before answering.
        self.gate = gate
        self.lock = threading.Lock()
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.connections: set[tuple[str, int]] = set()
        self.arrived = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                number = server.enter(self.client_address)
                try:
                    if server.gate is not None:
                        server.gate.wait(30)
                    time.sleep(server.delay)
                finally:
                    server.leave()
                answer = token_body(f"served-{number}", refresh_token=None, expires_in=LIFETIME)
                send_json(self, answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/oauth2/v1/access_token"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def enter(self, client: tuple[str, int]) -> int:
        with self.lock:
            self.calls += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.connections.add(client)
            number = self.calls
        self.arrived.set()
        return number

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def __enter__(self) -> TokenServer:
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.gate is not None:
            self.gate.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


if __name__ == "__main__":
    with TokenServer(delay=float(sys.argv[1]) if len(sys.argv) > 1 else 0.0) as running:
        sys.stdout.write(running.url + "\n")
        sys.stdout.flush()
        sys.stdin.read()
