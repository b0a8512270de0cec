"""``make demo``'s launcher (``example_project/demo.py``): taken ports, and closing the terminal."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers.demo import DEMO, demo_env, start_demo, wait_for_banner
from .helpers.servers import free_port, port_answers

BANNER = "Example site"

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads child processes from /proc (Linux)"
)


@pytest.mark.parametrize("taken", ["DEMO_PORT", "SANDBOX_PORT"])
def test_a_second_demo_on_taken_ports_says_so_and_prints_no_banner(
    tmp_path: Path, listening_socket: socket.socket, taken: str
) -> None:
    port = listening_socket.getsockname()[1]
    ports = {"DEMO_PORT": free_port(), "SANDBOX_PORT": free_port(), taken: port}
    done = subprocess.run(
        [sys.executable, str(DEMO)],
        env=demo_env(tmp_path, ports["DEMO_PORT"], ports["SANDBOX_PORT"]),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert f"Port {port} ({taken}) is already in use" in output
    assert "another demo running" in output
    assert BANNER not in output
    # Nothing was started or prepared: no database file, nobody on the other port.
    assert not (tmp_path / "db.sqlite3").exists()
    other = next(p for name, p in ports.items() if name != taken)
    assert not port_answers(other)


def children_of(pid: int) -> list[int]:
    """Return the ids of the processes whose parent is ``pid``."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_closing_the_terminal_stops_the_sandbox_and_the_site(tmp_path: Path) -> None:
    site_port, sandbox_port = free_port(), free_port()
    log_path = tmp_path / "demo.log"
    launcher = start_demo(demo_env(tmp_path, site_port, sandbox_port), log_path)
    children: list[int] = []
    try:
        wait_for_banner(launcher, log_path, timeout=90)
        children = children_of(launcher.pid)
        assert len(children) == 2, children  # the sandbox and the site
        assert port_answers(site_port) and port_answers(sandbox_port)

        launcher.send_signal(signal.SIGHUP)  # what the terminal sends when it closes
        code = launcher.wait(timeout=30)
        output = log_path.read_text(errors="replace")
        assert code == 0, output
        assert "Demo stopped." in output
        assert [pid for pid in children if alive(pid)] == []
        assert not port_answers(site_port) and not port_answers(sandbox_port)
    finally:
        for pid in [launcher.pid, *children]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        launcher.wait()
