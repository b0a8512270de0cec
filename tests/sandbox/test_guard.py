"""What keeps a web page from driving the sandbox: Host names, cross-site control calls,
fault headers, and the warning for a sandbox reachable from other machines."""

from __future__ import annotations

import argparse
import io
import threading

import pytest

from coolsms_oauth_django.sandbox import Sandbox, cli
from coolsms_oauth_django.sandbox.guard import exposure_warning, is_loopback

from ..helpers.sandbox import TOKEN_PATH, bearer, tokens

EVIL = "http://evil.example"
MEMBER = "/users/v1/member"

#: Each control call that changes the sandbox, with a JSON body it accepts.
CHANGING_CALLS = [
    ("revoke", {}),
    ("expire", {}),
    ("reset", {}),
    ("faults", {"path": MEMBER, "status": 500}),
]


def control_url(sandbox: Sandbox, name: str) -> str:
    return f"{sandbox.base_url}/_sandbox/{name}"


@pytest.mark.parametrize(("name", "body"), CHANGING_CALLS)
def test_h10_a_cross_site_text_plain_post_to_the_control_plane_is_refused(
    auto_sandbox, http, name, body
):
    issued = tokens(auto_sandbox, http)
    response = http.post(
        control_url(auto_sandbox, name),
        data=str(body).encode(),
        headers={"Content-Type": "text/plain", "Origin": EVIL},
    )
    assert response.status_code == 403
    assert response.json()["errorCode"] == "CrossSiteRequest"
    assert auto_sandbox.live_grants()[0]["revoked"] is False
    member = http.get(auto_sandbox.base_url + MEMBER, headers=bearer(issued["access_token"]))
    assert member.status_code == 200


@pytest.mark.parametrize("origin", [EVIL, "null", "http://127.0.0.1:1", "https://localhost"])
def test_h10_a_json_control_post_from_another_origin_is_refused(auto_sandbox, http, origin):
    tokens(auto_sandbox, http)
    response = http.post(control_url(auto_sandbox, "revoke"), json={}, headers={"Origin": origin})
    assert response.status_code == 403
    assert auto_sandbox.live_grants()[0]["revoked"] is False


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_h10_control_calls_a_browser_marks_as_from_another_site_are_refused(
    auto_sandbox, http, site
):
    tokens(auto_sandbox, http)
    changing = http.post(
        control_url(auto_sandbox, "revoke"), json={}, headers={"Sec-Fetch-Site": site}
    )
    reading = http.get(control_url(auto_sandbox, "grants"), headers={"Sec-Fetch-Site": site})
    assert (changing.status_code, reading.status_code) == (403, 403)
    assert auto_sandbox.live_grants()[0]["revoked"] is False


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"{}", "text/plain"),
        (b"", "application/x-www-form-urlencoded"),
        (b"memberId=MEM0SANDBOX0001", "multipart/form-data; boundary=x"),
        (b"", None),
    ],
)
def test_h10_a_control_post_without_a_json_content_type_is_refused(
    auto_sandbox, http, data, content_type
):
    tokens(auto_sandbox, http)
    headers = {"Content-Type": content_type} if content_type else {}
    response = http.post(control_url(auto_sandbox, "revoke"), data=data, headers=headers)
    assert response.status_code == 415
    assert "application/json" in response.json()["errorMessage"]
    assert auto_sandbox.live_grants()[0]["revoked"] is False


def test_h10_scripts_and_same_origin_pages_still_drive_the_control_plane(auto_sandbox, http):
    tokens(auto_sandbox, http)
    own_origin = auto_sandbox.base_url
    assert http.get(control_url(auto_sandbox, "grants")).status_code == 200
    assert (
        http.get(control_url(auto_sandbox, "grants"), headers={"Sec-Fetch-Site": "none"}).json()
        == auto_sandbox.live_grants()
    )
    same_origin = {"Origin": own_origin, "Sec-Fetch-Site": "same-origin"}
    answer = http.post(control_url(auto_sandbox, "revoke"), json={}, headers=same_origin)
    assert answer.json() == {"revoked": 1}
    assert http.delete(control_url(auto_sandbox, "faults")).json() == {"ok": True}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("GET", MEMBER), ("POST", TOKEN_PATH), ("POST", "/_sandbox/reset")],
)
def test_h10_a_request_for_an_unexpected_host_is_refused(auto_sandbox, http, method, path):
    tokens(auto_sandbox, http)
    seen = len(auto_sandbox.requests_seen())
    auto_sandbox.inject_fault(path, status=200, body="fault answered")
    response = http.request(
        method,
        auto_sandbox.base_url + path,
        json={},
        headers={"Host": f"rebound.evil.example:{auto_sandbox.port}"},
    )
    assert response.status_code == 400
    assert response.json()["errorCode"] == "DisallowedHost"
    assert "--allowed-host" in response.json()["errorMessage"]
    assert len(auto_sandbox.requests_seen()) == seen
    assert len(auto_sandbox.live_grants()) == 1


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST", "127.0.0.1", "[::1]", "localhost:1", "127.0.0.1:9"]
)
def test_h10_loopback_names_are_answered_whatever_the_port(auto_sandbox, http, host):
    response = http.get(auto_sandbox.base_url + "/", headers={"Host": host})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "host", ["localhost.evil.example", "127.0.0.1.nip.io", "localhost.", "a b", "x@localhost", ""]
)
def test_h10_names_that_only_look_local_are_refused(auto_sandbox, http, host):
    response = http.get(auto_sandbox.base_url + "/", headers={"Host": host})
    assert response.status_code == 400


def test_h10_allowed_hosts_add_names_and_a_star_allows_any(http):
    with Sandbox(allowed_hosts=["Sandbox.Internal", "10.0.0.7:8765"]) as sandbox:
        for host, status in [
            ("sandbox.internal", 200),
            ("SANDBOX.INTERNAL:80", 200),
            ("10.0.0.7", 200),
            ("other.internal", 400),
        ]:
            response = http.get(sandbox.base_url + "/", headers={"Host": host})
            assert response.status_code == status, host
    with Sandbox(allowed_hosts=["*"]) as sandbox:
        assert http.get(sandbox.base_url + "/", headers={"Host": "any.example"}).ok


def test_h10_the_bound_host_is_answered(http):
    with Sandbox("127.0.0.2") as sandbox:
        response = http.get(sandbox.base_url + "/")
        refused = http.get(sandbox.base_url + "/", headers={"Host": "127.0.0.3"})
    assert (response.status_code, refused.status_code) == (200, 400)


def test_h10_the_command_line_takes_allowed_hosts():
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    options = vars(parser.parse_args(["--allowed-host", "a.test", "--allowed-host", "b.test"]))
    sandbox = cli.build_sandbox(options)
    assert sandbox.config.allowed_hosts == ("a.test", "b.test")
    assert vars(parser.parse_args([]))["allowed_hosts"] is None


@pytest.mark.parametrize(
    "content_type",
    [
        "text/html\r\nLocation: http://evil.example/",
        "text/plain\nSet-Cookie: session=attacker",
        "text/plain\rX: y",
        "text/plain\x00",
        "",
    ],
)
def test_h10_a_fault_content_type_cannot_add_headers(auto_sandbox, http, content_type):
    with pytest.raises(ValueError, match="content_type"):
        auto_sandbox.inject_fault(MEMBER, status=302, content_type=content_type)
    over_http = http.post(
        control_url(auto_sandbox, "faults"),
        json={"path": MEMBER, "status": 302, "contentType": content_type},
    )
    assert over_http.status_code == 400
    assert over_http.json()["errorCode"] == "ValidationError"
    response = http.get(auto_sandbox.base_url + MEMBER, allow_redirects=False)
    assert response.status_code == 401
    assert "Location" not in response.headers
    assert "Set-Cookie" not in response.headers


def test_h10_a_fault_content_type_with_parameters_is_kept(auto_sandbox, http):
    auto_sandbox.inject_fault(MEMBER, status=503, content_type="text/html; charset=euc-kr")
    response = http.get(auto_sandbox.base_url + MEMBER)
    assert response.headers["Content-Type"] == "text/html; charset=euc-kr"


@pytest.mark.parametrize(
    ("address", "exposed"),
    [
        ("127.0.0.1", False),
        ("127.8.9.10", False),
        ("::1", False),
        ("::ffff:127.0.0.1", False),
        ("0.0.0.0", True),
        ("::", True),
        ("192.168.1.5", True),
        ("fe80::1%eth0", True),
    ],
)
def test_h10_only_loopback_addresses_count_as_private(address, exposed):
    assert is_loopback(address) is not exposed
    warning = exposure_warning(address, "http://x:1")
    assert (warning is not None) is exposed
    if warning:
        assert warning.startswith("WARNING:") and address in warning


class ReportedAddressSandbox(Sandbox):
    """A sandbox on loopback that reports another listening address (tests must not expose
    a port), to show what the command line prints for it."""

    def __init__(self, reported: str) -> None:
        super().__init__(port=0)
        self.reported = reported

    def start(self) -> Sandbox:
        super().start()
        self.address = self.reported
        return self


@pytest.mark.parametrize(("reported", "warned"), [("0.0.0.0", True), ("127.0.0.1", False)])
def test_h10_serving_beyond_loopback_prints_a_warning(reported, warned):
    out, err, stop = io.StringIO(), io.StringIO(), threading.Event()
    stop.set()
    cli.serve(ReportedAddressSandbox(reported), out, stop, err=err)
    assert ("WARNING: the sandbox listens on 0.0.0.0" in err.getvalue()) is warned
    assert err.getvalue() == "" or warned
    assert out.getvalue().startswith("CoolSMS sandbox running at")
