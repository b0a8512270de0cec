"""Starting, stopping and configuring a sandbox; it runs without Django."""

from __future__ import annotations

import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from coolsms_oauth_django.sandbox import Sandbox, SandboxUser, default_users

from ..helpers.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_the_sandbox_package_never_imports_django():
    code = (
        "import sys, coolsms_oauth_django.sandbox, coolsms_oauth_django.sandbox.cli;"
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')];"
        "assert not [m for m in sys.modules if m.startswith('coolsms_oauth_django.')"
        " and not m.startswith('coolsms_oauth_django.sandbox')"
        " and m not in ('coolsms_oauth_django.endpoints', 'coolsms_oauth_django.sms',"
        " 'coolsms_oauth_django.oauth', 'coolsms_oauth_django.errors')],"
        " sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=30)


def test_port_zero_picks_a_free_port_and_base_url_has_no_trailing_slash():
    with Sandbox() as sandbox:
        assert sandbox.port > 0
        assert sandbox.base_url == f"http://127.0.0.1:{sandbox.port}"
        assert repr(sandbox) == f"<Sandbox {sandbox.base_url}>"


def test_base_url_needs_a_port():
    sandbox = Sandbox()
    assert repr(sandbox) == "<Sandbox not started>"
    with pytest.raises(RuntimeError):
        _ = sandbox.base_url


def test_a_given_port_is_used():
    port = free_port()
    with Sandbox(port=port) as sandbox:
        assert sandbox.base_url.endswith(f":{port}")


def test_starting_twice_is_an_error_and_stopping_twice_is_harmless():
    sandbox = Sandbox().start()
    try:
        with pytest.raises(RuntimeError):
            sandbox.start()
    finally:
        sandbox.stop()
    sandbox.stop()
    assert not sandbox.running


def test_stop_releases_the_port_and_ends_idle_keep_alive_connections():
    sandbox = Sandbox().start()
    with requests.Session() as http:
        assert http.get(sandbox.base_url + "/").status_code == 200
        sandbox.stop()
        with pytest.raises(requests.ConnectionError):
            http.get(sandbox.base_url + "/")


def test_an_ipv6_loopback_sandbox_serves():
    if not socket.has_ipv6:  # pragma: no cover - depends on the machine
        pytest.skip("no IPv6")
    try:
        sandbox = Sandbox(host="::1").start()
    except OSError:  # pragma: no cover - depends on the machine
        pytest.skip("IPv6 loopback unavailable")
    try:
        with requests.Session() as http:
            assert sandbox.base_url.startswith("http://[::1]:")
            assert http.get(sandbox.base_url + "/").status_code == 200
    finally:
        sandbox.stop()


def test_default_users_are_two_korean_sandbox_members():
    first, second = default_users()
    assert (first.member_id, first.login, first.password) == (
        "MEM0SANDBOX0001",
        "demo@sandbox.coolsms.test",
        "sandbox1234",
    )
    assert first.phone_number == "01000000001"
    assert second.member_id == "MEM0SANDBOX0002"


def test_custom_users_replace_the_defaults_and_the_first_is_the_default_user():
    user = SandboxUser("MEM1", "a@b.test", "pw", "홍길동", "01099998888", "a@b.test", "ACC1", 50.0)
    with Sandbox(users=[user]) as sandbox:
        assert [u.member_id for u in sandbox.users] == ["MEM1"]
        assert sandbox.default_user.name == "홍길동"
        assert sandbox.balance("MEM1") == 50.0
    assert user.balance == 50.0


def test_a_sandbox_needs_a_user_and_a_positive_token_lifetime():
    with pytest.raises(ValueError):
        Sandbox(users=[])
    with pytest.raises(ValueError):
        Sandbox(access_token_ttl=0)


def test_a_body_without_a_valid_content_length_is_refused():
    with Sandbox() as sandbox, socket.create_connection(("127.0.0.1", sandbox.port)) as conn:
        conn.sendall(
            b"POST /oauth2/v1/access_token HTTP/1.1\r\nHost: x\r\nContent-Length: -4\r\n\r\n"
        )
        assert conn.recv(1024).startswith(b"HTTP/1.1 400")


def test_a_chunked_body_is_refused():
    with Sandbox() as sandbox, socket.create_connection(("127.0.0.1", sandbox.port)) as conn:
        conn.sendall(
            b"POST /oauth2/v1/access_token HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        )
        assert conn.recv(1024).startswith(b"HTTP/1.1 411")


def test_a_huge_body_is_refused():
    with Sandbox() as sandbox, socket.create_connection(("127.0.0.1", sandbox.port)) as conn:
        conn.sendall(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n")
        assert conn.recv(1024).startswith(b"HTTP/1.1 413")


def test_an_unexpected_failure_is_a_500_internal_error(monkeypatch):
    from coolsms_oauth_django.sandbox import server

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(server, "handle_token", explode)
    monkeypatch.setattr(server.logger, "disabled", True)
    with Sandbox() as sandbox, requests.Session() as http:
        response = http.post(sandbox.base_url + "/oauth2/v1/access_token")
        assert response.status_code == 500
        assert response.json()["errorCode"] == "InternalError"


def test_a_malformed_cookie_is_ignored():
    with Sandbox() as sandbox, requests.Session() as http:
        response = http.get(
            sandbox.base_url + "/oauth2/v1/authorize",
            params={
                "client_id": sandbox.client_id,
                "response_type": "code",
                "scope": "users:read",
                "redirect_uri": "http://localhost/cb",
                "state": "s",
            },
            headers={"Cookie": 'coolsms_sandbox_session="unterminated'},
        )
        assert "login-form" in response.text


def test_a_non_numeric_content_length_is_refused():
    with Sandbox() as sandbox, socket.create_connection(("127.0.0.1", sandbox.port)) as conn:
        conn.sendall(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n")
        assert conn.recv(1024).startswith(b"HTTP/1.1 400")


def test_put_gets_a_json_answer_too():
    with Sandbox() as sandbox, requests.Session() as http:
        assert http.put(sandbox.base_url + "/oauth2/v1/access_token").status_code == 405


def test_verbose_logs_method_path_and_status_but_never_the_query(capsys):
    with Sandbox(verbose=True) as sandbox:
        with requests.Session() as http:
            http.get(sandbox.base_url + "/users/v1/member?code=top-secret")
        with socket.create_connection(("127.0.0.1", sandbox.port)) as conn:
            conn.sendall(b"NONSENSE\r\n\r\n")
            conn.recv(1024)
    err = capsys.readouterr().err
    assert "GET /users/v1/member 401" in err
    assert "top-secret" not in err
    assert "sandbox: " in err


@pytest.mark.parametrize("uri", ["https://a.test:99999/cb", "shop.test/cb", "https://a.test/cb#x"])
def test_registered_redirect_uris_must_be_valid(uri):
    with pytest.raises(ValueError):
        Sandbox(redirect_uris=[uri])


def test_a_quiet_sandbox_logs_nothing(capsys):
    with Sandbox() as sandbox, socket.create_connection(("127.0.0.1", sandbox.port)) as conn:
        conn.sendall(b"NONSENSE\r\n\r\n")
        with conn.makefile("rb") as answer:
            assert b"400" in answer.read()
    assert capsys.readouterr().err == ""


def test_a_client_that_resets_its_connection_leaves_no_traceback(capsys):
    """A browser closing a tab mid-request resets the connection; the sandbox carries on."""
    with Sandbox() as sandbox:
        conn = socket.create_connection(("127.0.0.1", sandbox.port))
        conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # headers not finished
        # Closing with a zero linger time sends a reset instead of an orderly close.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        with requests.get(sandbox.base_url + "/", timeout=5) as after:
            assert after.status_code == 200
        sandbox.stop()  # waits for the connection's thread to finish
    assert "Traceback" not in capsys.readouterr().err
