"""Delivery reports: the report secret the tests configure, and a site that receives reports."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: The site's report secret (``REPORT_SECRETS``) in the report tests.
SECRET = "s" * 40

#: The CoolSMS account id ``report_account`` belongs to.
ACCOUNT_ID = "ACC0000000000001"

#: The scopes a site that registers report webhooks asks for.
WEBHOOK_SCOPES = ["users:read", "message:read", "message:write", "webhook:read", "webhook:write"]


class Receiver:
    """A site on loopback that records each report POST and answers the statuses queued."""

    def __init__(self) -> None:
        self.bodies: list[list[dict[str, Any]]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/reports/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def events(self) -> list[tuple[str, str]]:
        return [(e["data"]["to"], e["data"]["statusCode"]) for body in self.bodies for e in body]
