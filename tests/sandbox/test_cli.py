"""The command line, the shared banner and the coolsms_sandbox management command."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError

from coolsms_oauth_django.sandbox import Sandbox, cli

ROOT = Path(__file__).resolve().parents[2]


def run_in_thread(argv: list[str]) -> tuple[threading.Thread, threading.Event, io.StringIO]:
    stop = threading.Event()
    out = io.StringIO()
    original = sys.stdout
    sys.stdout = out
    try:
        thread = threading.Thread(target=cli.main, args=(argv,), kwargs={"stop": stop})
        thread.start()
        for _ in range(200):
            if "Ctrl-C" in out.getvalue():
                break
            threading.Event().wait(0.01)
    finally:
        sys.stdout = original
    return thread, stop, out


def test_describe_prints_base_url_credentials_and_user_logins():
    with Sandbox(port=0) as sandbox:
        banner = cli.describe(sandbox)
    assert banner.splitlines()[0] == f"CoolSMS sandbox running at {sandbox.base_url}"
    assert f"BASE_URL       {sandbox.base_url}" in banner
    assert "CLIENT_ID      sandbox-client-id" in banner
    assert "CLIENT_SECRET  sandbox-client-secret" in banner
    assert "demo@sandbox.coolsms.test / sandbox1234" in banner
    assert "second@sandbox.coolsms.test / sandbox5678" in banner
    assert "any http(s) URI on localhost" in banner


def test_describe_names_registered_redirect_uris_and_switches():
    sandbox = Sandbox(
        port=9, redirect_uris=["https://a.test/cb"], auto_approve=True, rotate_refresh_tokens=True
    )
    banner = cli.describe(sandbox)
    assert "Redirect URIs  https://a.test/cb" in banner
    assert "Auto-approve   on" in banner
    assert "Rotation       on" in banner


def test_main_serves_until_stopped_and_returns_zero():
    thread, stop, out = run_in_thread(["--port", "0", "--auto-approve", "--access-token-ttl", "60"])
    base_url = out.getvalue().splitlines()[0].rsplit(" ", 1)[1]
    with requests.Session() as http:
        assert http.get(base_url + "/").status_code == 200
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert "Token lifetime 60 s" in out.getvalue()


def test_main_rejects_an_impossible_token_lifetime(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--access-token-ttl", "0"])
    assert exit_info.value.code == 2
    assert "access_token_ttl" in capsys.readouterr().err


def test_install_stop_signals_turns_sigterm_into_a_clean_stop():
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    stop = threading.Event()
    try:
        cli.install_stop_signals(stop)
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(2)
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_python_m_runs_the_sandbox_and_exits_cleanly_on_a_signal(sig):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        [sys.executable, "-m", "coolsms_oauth_django.sandbox", "--port", "0", "--verbose"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        try:
            first = process.stdout.readline()
            assert first.startswith("CoolSMS sandbox running at http://127.0.0.1:")
            base_url = first.split()[-1]
            with requests.Session() as http:
                assert http.get(base_url + "/users/v1/member?code=secret").status_code == 401
            process.send_signal(sig)
            process.wait(10)
        finally:
            if process.poll() is None:  # pragma: no cover - only when the test already failed
                process.kill()
        stdout = first + process.stdout.read()
        stderr = process.stderr.read()
    assert process.returncode == 0
    assert "demo@sandbox.coolsms.test / sandbox1234" in stdout
    assert "GET /users/v1/member 401" in stderr
    assert "secret" not in stderr


def test_management_command_parses_the_same_options():
    from coolsms_oauth_django.management.commands.coolsms_sandbox import Command

    parser = Command().create_parser("manage.py", "coolsms_sandbox")
    options = vars(
        parser.parse_args(
            [
                "--port",
                "0",
                "--auto-approve",
                "--rotate-refresh-tokens",
                "--redirect-uri",
                "https://a.test/cb",
            ]
        )
    )
    assert options["port"] == 0
    assert options["auto_approve"] and options["rotate_refresh_tokens"]
    assert options["redirect_uris"] == ["https://a.test/cb"]
    assert options["host"] == "127.0.0.1"
    assert options["access_token_ttl"] == 86400


def test_management_command_prints_the_banner_and_stops_on_a_signal(monkeypatch):
    monkeypatch.setattr(cli, "install_stop_signals", lambda stop: stop.set())
    out = io.StringIO()
    call_command("coolsms_sandbox", "--port", "0", stdout=out)
    assert out.getvalue().startswith("CoolSMS sandbox running at http://127.0.0.1:")
    assert "CLIENT_SECRET  sandbox-client-secret" in out.getvalue()


def test_management_command_reports_bad_options_as_command_errors():
    with pytest.raises(CommandError):
        call_command("coolsms_sandbox", "--port", "0", "--access-token-ttl", "0")


def test_python_m_entry_point_runs_main(monkeypatch, capsys):
    import runpy

    monkeypatch.setattr(cli, "install_stop_signals", lambda stop: stop.set())
    monkeypatch.setattr(sys, "argv", ["coolsms_oauth_django.sandbox", "--port", "0"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(ROOT / "coolsms_oauth_django/sandbox/__main__.py"), run_name="__main__")
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("CoolSMS sandbox running at")
