"""An attacker's view of the delivery reports: bodies built to break the endpoint, and
report URLs built to make the sandbox POST somewhere else."""

from __future__ import annotations

import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from coolsms_oauth_django import signals
from coolsms_oauth_django.models import ReportEvent
from coolsms_oauth_django.reports import report_token, token_matches
from coolsms_oauth_django.sandbox.webhooks import post, report_url_problem

from .helpers.flows import captured
from .helpers.reports import SECRET


def test_h12_a_deeply_nested_report_body_is_a_400_not_a_500(report_url: str) -> None:
    # 100 KB of "[" is far below REPORT_MAX_BYTES and deeper than Python's JSON parser goes.
    browser = Client(raise_request_exception=False)
    with captured(signals.message_report) as sent:
        response = browser.post(report_url, b"[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert "Not a delivery report: the body is not JSON" in response.json()["error"]
    assert sent == [] and ReportEvent.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1.evil.example/r/",
        "http://localhost.evil.example/r/",
        "http://127.0.0.1@evil.example/r/",
        "http://evil.example#@127.0.0.1/r/",
        "http://2130706433/r/",
        "http://0x7f.1/r/",
        "http://127.1/r/",
        "http://[::ffff:10.0.0.1]/r/",
        "http://169.254.169.254/latest/",
        "https://127.0.0.1/r/",
        "file:///etc/passwd",
        "http://127.0.0.1:99999/r/",
    ],
)
def test_the_sandbox_refuses_report_urls_that_could_leave_loopback(url: str) -> None:
    assert report_url_problem(url) is not None


class Recorder(ThreadingHTTPServer):
    """A loopback server that answers every request with ``answer`` and records the paths."""

    def __init__(self, answer: tuple[int, dict[str, str]]) -> None:
        self.paths: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                recorder.paths.append(self.path)
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(answer[0])
                for name, value in {**answer[1], "Content-Length": "0"}.items():
                    self.send_header(name, value)
                self.end_headers()

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


def test_the_sandbox_follows_no_redirect_of_a_report_url() -> None:
    elsewhere = Recorder((200, {}))
    redirecting = Recorder((307, {"Location": elsewhere.url + "stolen"}))
    try:
        assert report_url_problem(redirecting.url) is None
        status, error = post(redirecting.url + "reports", json.dumps([]).encode())
        assert (status, error) == (307, None)  # a failed delivery, retried to the same URL
        assert redirecting.paths == ["/reports"] and elsewhere.paths == []
    finally:
        for server in (elsewhere, redirecting):
            server.shutdown()
            server.server_close()


def test_a_report_token_is_compared_with_every_secret_whichever_matches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compared: list[bytes] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        compared.append(a)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    keys = ["a" * 40, "b" * 40, "c" * 40]
    for secret in keys:
        compared.clear()
        assert token_matches("MEM1", report_token("MEM1", secret), keys)
        assert len(compared) == len(keys)  # no early return: the time names no secret
    compared.clear()
    assert not token_matches("MEM1", "0" * 64, keys) and len(compared) == len(keys)


@pytest.mark.parametrize(
    "token",
    ["0" * 64, "é" * 64, "x" * 10_000, "%00" * 10, report_token("MEM-OTHER", SECRET)],
    ids=["zeros", "non-ascii", "10k", "nul", "another-members"],
)
def test_a_wrong_report_token_of_any_shape_is_a_404_and_stores_nothing(
    report_url: str, token: str
) -> None:
    path = report_url.rstrip("/").rsplit("/", 1)[0] + f"/{token}/"
    with captured(signals.message_report) as sent:
        response = Client(raise_request_exception=False).post(
            path, b"[]", content_type="application/json"
        )
    assert response.status_code == 404
    assert sent == [] and ReportEvent.objects.count() == 0
