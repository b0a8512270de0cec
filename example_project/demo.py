"""Run the example site against the local CoolSMS sandbox (``make demo``).

Check that the ports are free, migrate the SQLite database, create the demo users, start the
sandbox provider and the site, print where they are and how to log in, and stop both on
Ctrl-C or when the terminal closes (SIGHUP).

Environment variables:

``DEMO_PORT``       the site's port (default 8000)
``SANDBOX_PORT``    the sandbox provider's port (default 8765)
``DEMO_DB_PATH``    the SQLite database file (default ``example_project/db.sqlite3``)
``COOLSMS_CLIENT_ID``, ``COOLSMS_CLIENT_SECRET``, ``COOLSMS_BASE_URL``
                    use your app registered with the real CoolSMS; with ``COOLSMS_BASE_URL``
                    set, no sandbox is started.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANAGE = str(HERE / "manage.py")
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 60.0


def log(text: str = "") -> None:
    # When the terminal is gone (its window closed), stopping goes on without it.
    with contextlib.suppress(OSError):
        print(text, flush=True)


def port_in_use(port: int) -> bool:
    """Tell whether a server already listens on ``port`` of the loopback address."""
    with socket.socket() as probe:
        # As the servers do: a port left in TIME_WAIT by a demo that just stopped is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            return error.errno == errno.EADDRINUSE
    return False


def taken_ports(site_port: int, sandbox_port: int | None) -> str | None:
    """Return a message naming the ports already in use, or None when all are free."""
    ports = {"DEMO_PORT": site_port}
    if sandbox_port is not None:
        ports["SANDBOX_PORT"] = sandbox_port
    taken = {name: port for name, port in ports.items() if port_in_use(port)}
    if not taken:
        return None
    listing = " and ".join(f"{port} ({name})" for name, port in taken.items())
    subject = f"Ports {listing} are" if len(taken) > 1 else f"Port {listing} is"
    other = " ".join(f"{name}={port + 1}" for name, port in ports.items())
    return (
        f"{subject} already in use: is another demo running? Stop it (Ctrl-C in its "
        f"terminal), or start this one on other ports: {other} make demo"
    )


def answers(url: str) -> bool:
    """Tell whether an HTTP server answers at ``url`` (any status will do)."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError as error:
        error.close()
        return True
    except OSError:
        return False


def manage(*args: str, env: dict[str, str]) -> None:
    """Run a management command of the example site; stop the demo if it fails."""
    subprocess.run([sys.executable, MANAGE, *args], env=env, check=True)


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # A session of its own: Ctrl-C reaches only this launcher, which then stops each child
    # in an orderly way.
    return subprocess.Popen(args, env=env, start_new_session=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ask a child to stop as Ctrl-C would; kill it if it does not within a few seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(
    urls: list[str], children: list[subprocess.Popen[bytes]], stopping: threading.Event
) -> bool:
    """Wait until every URL answers; give up if a child exits or Ctrl-C comes first."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline and not stopping.is_set():
        if any(child.poll() is not None for child in children):
            return False
        if all(answers(url) for url in urls):
            return True
        time.sleep(0.2)
    return False


def serve(
    urls: list[str], children: list[subprocess.Popen[bytes]], stopping: threading.Event, text: str
) -> int:
    """Print ``text`` once every URL answers, then wait for a stop; return the exit status."""
    if not wait_until_up(urls, children, stopping):
        if stopping.is_set():
            return 0
        log("The demo did not start; see the messages above.")
        return 1
    log(text)
    while not stopping.wait(0.5):
        if any(child.poll() is not None for child in children):
            log("A demo process stopped; stopping the others.")
            return 1
    return 0


def banner(site_url: str, sandbox_url: str | None) -> str:
    from notices.demo_users import DEMO_USERS

    from coolsms_oauth_django.sandbox import default_users

    lines = [
        "",
        "=" * 64,
        f"  Example site       {site_url}",
        "  Site logins        " + ",  ".join(f"{u.username} / {u.password}" for u in DEMO_USERS),
        f"  Admin              {site_url}admin/",
    ]
    if sandbox_url:
        lines.append(f"  CoolSMS sandbox    {sandbox_url}/")
        lines += [
            ("  Sandbox logins     " if i == 0 else " " * 21) + f"{u.login} / {u.password}"
            for i, u in enumerate(default_users())
        ]
    else:
        lines.append(f"  CoolSMS            {os.environ['COOLSMS_BASE_URL']}")
    lines += ["", "  Press Ctrl-C to stop.", "=" * 64, ""]
    return "\n".join(lines)


def main() -> int:
    sys.path.insert(0, str(HERE))
    site_port = int(os.environ.get("DEMO_PORT", "8000"))
    sandbox_port = int(os.environ.get("SANDBOX_PORT", "8765"))
    use_sandbox = not os.environ.get("COOLSMS_BASE_URL")
    site_url = f"http://{HOST}:{site_port}/"
    sandbox_url = f"http://{HOST}:{sandbox_port}" if use_sandbox else None

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if sandbox_url:
        env["COOLSMS_BASE_URL"] = sandbox_url

    problem = taken_ports(site_port, sandbox_port if use_sandbox else None)
    if problem:
        log(problem)
        return 1

    stopping = threading.Event()
    # SIGHUP: the terminal closed. The children run in sessions of their own, so only this
    # launcher hears it, and it stops them as it does on Ctrl-C.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stopping.set())

    log("Preparing the database and the demo users...")
    try:
        manage("migrate", "--no-input", "--verbosity", "0", env=env)
        manage("create_demo_users", env=env)
    except subprocess.CalledProcessError:
        return 1

    children: list[subprocess.Popen[bytes]] = []
    status = 0
    try:
        urls = [site_url + "accounts/login/"]
        if sandbox_url:
            # Not --auto-approve: the sandbox shows its login and consent pages, as CoolSMS does.
            sandbox_command = ["-m", "coolsms_oauth_django.sandbox", "--port", str(sandbox_port)]
            children.append(start([sys.executable, *sandbox_command], env))
            urls.append(sandbox_url + "/")
        children.append(
            start([sys.executable, MANAGE, "runserver", f"{HOST}:{site_port}", "--noreload"], env)
        )
        status = serve(urls, children, stopping, banner(site_url, sandbox_url))
    finally:
        for child in reversed(children):
            stop(child)
    if status == 0:
        log("Demo stopped.")
    return status


if __name__ == "__main__":
    sys.exit(main())
