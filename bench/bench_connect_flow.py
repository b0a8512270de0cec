"""The connect flow end to end: connect POST → sandbox auto-approve → callback → stored.

Each client is a ``django.test.Client`` logged in as the same site user (the sandbox approves
every flow as the same CoolSMS member, who can be connected to one site user only) and a
``requests.Session`` that follows the authorize step. Flows per second with 1 and 8 clients
in one Django process (the sandbox in its own), set beside the requests per second one client
gets from a view that writes the session and redirects (what the connect view does, without
CoolSMS), then one client under pyinstrument.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.sandbox_process import SandboxProcess
from tests.helpers.middleware import MIDDLEWARE

NEXT = "/done/"

#: Where a profiled frame's own time is counted, by a fragment of its file path.
AREAS = [
    ("coolsms_oauth_django", "coolsms_oauth_django (views, state, oauth, accounts)"),
    ("/psycopg", "PostgreSQL driver (waiting for the database)"),
    ("django/db/", "Django ORM"),
    ("/cryptography/", "token encryption"),
    ("/requests/", "requests/urllib3/sockets (waiting for the sandbox)"),
    ("/urllib3/", "requests/urllib3/sockets (waiting for the sandbox)"),
    ("http/client", "requests/urllib3/sockets (waiting for the sandbox)"),
    ("/socket.py", "requests/urllib3/sockets (waiting for the sandbox)"),
    ("urllib/request", "requests/urllib3/sockets (waiting for the sandbox)"),
    ("django/test/", "django.test.Client (the benchmark's browser)"),
    ("django/", "Django (handler, middleware, sessions, auth)"),
]


def flow(client: Any, http: Any) -> None:
    """Connect once: POST, authorize at the sandbox, come back to the callback."""
    response = client.post("/coolsms/connect/", {"next": NEXT})
    if response.status_code != 302:
        raise RuntimeError(f"connect answered {response.status_code}")
    with http.get(response["Location"], allow_redirects=False, timeout=10) as answer:
        back = urlsplit(answer.headers["Location"])
    response = client.get(f"{back.path}?{back.query}")
    if response.status_code != 302 or response["Location"] != NEXT:
        raise RuntimeError(f"callback answered {response.status_code}")


def run_clients(user: Any, clients: int, seconds: float) -> tuple[int, list[str], float]:
    """Run ``clients`` threads doing flows for ``seconds``; return (flows, errors, elapsed)."""
    import requests
    from django.db import connections
    from django.test import Client

    browsers = []
    for _ in range(clients):
        browser = Client()
        browser.force_login(user)
        browsers.append(browser)
    barrier = threading.Barrier(clients + 1)
    counts = [0] * clients
    errors: list[str] = []

    def client_thread(number: int) -> None:
        try:
            with requests.Session() as http:
                barrier.wait(30)
                deadline = time.perf_counter() + seconds
                while time.perf_counter() < deadline:
                    flow(browsers[number], http)
                    counts[number] += 1
        except Exception as err:
            errors.append(f"{type(err).__name__}: {err}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client_thread, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait(30)
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return sum(counts), errors, time.perf_counter() - started


def session_writes(user: Any, seconds: float) -> float:
    """Return the requests/s one client gets from a view that writes the session."""
    from django.test import Client

    browser = Client()
    browser.force_login(user)
    browser.post("/remember/")
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        if browser.post("/remember/").status_code != 302:
            raise RuntimeError("the session-writing view did not redirect")
        count += 1
    return count / (time.perf_counter() - started)


def profile_flows(user: Any, flows: int) -> Any:
    """Run ``flows`` flows with one client under pyinstrument; return the root frame."""
    import requests
    from django.test import Client
    from pyinstrument import Profiler

    browser = Client()
    browser.force_login(user)
    profiler = Profiler(interval=0.0005)
    with requests.Session() as http:
        flow(browser, http)
        profiler.start()
        for _ in range(flows):
            flow(browser, http)
        profiler.stop()
    return profiler.last_session.root_frame()


def walk(frame: Any, parent_area: str = "") -> Any:
    """Yield ``(frame, area)`` for every frame; built-ins count in their caller's area."""
    path = frame.file_path or ""
    area = parent_area if path.startswith("<") and parent_area else area_of(path)
    yield frame, area
    for child in frame.children:
        yield from walk(child, area)


def area_of(path: str) -> str:
    for fragment, area in AREAS:
        if fragment in path:
            return area
    return "other (standard library, the benchmark driver)"


def breakdown(root: Any) -> tuple[dict[str, float], list[tuple[str, float]]]:
    """Return own time by area, and the package's functions by time spent inside them."""
    areas: dict[str, float] = defaultdict(float)
    inside: dict[str, float] = defaultdict(float)
    for frame, area in walk(root):
        if frame.is_synthetic:
            continue
        areas[area] += frame.total_self_time
        path = frame.file_path or ""
        # The middleware wraps every view; it is measured on its own in benchmark 1.
        if "coolsms_oauth_django" in path and "middleware" not in path:
            name = f"{frame.function} ({frame.file_path_short}:{frame.line_no})"
            inside[name] += frame.time
    top = sorted(inside.items(), key=lambda item: -item[1])
    return dict(areas), top


def run(quick: bool = False, seconds: float = 10.0, clients: tuple[int, ...] = (1, 8)) -> Any:
    """Connect flow: flows/second with 1 and 8 clients, and a profile of where time goes."""
    from django.db import connection
    from django.test import override_settings

    from coolsms_oauth_django.models import CoolSMSAccount

    profiled = 60
    if quick:
        # SQLite (the test suite's in-memory database) cannot take writes from two threads.
        seconds, profiled = 0.5, 3
        clients = (1,) if connection.vendor == "sqlite" else (1, 2)
    result = common.Result("5. Connect flow end to end (connect → authorize → callback → stored)")
    common.clear_tables()
    rows = []
    completed: dict[int, int] = {}
    #: Flows per second, by number of clients.
    rates: dict[int, float] = {}
    all_errors: list[str] = []
    with (
        override_settings(ROOT_URLCONF="bench.urls", MIDDLEWARE=MIDDLEWARE),
        SandboxProcess(auto_approve=True) as sandbox,
        common.using_sandbox(sandbox),
    ):
        user = common.make_user("bench-connect")
        baseline = session_writes(user, seconds)
        for count in clients:
            exchanges = sandbox.token_calls().get("authorization_code", 0)
            flows, errors, elapsed = run_clients(user, count, seconds)
            exchanged = sandbox.token_calls().get("authorization_code", 0) - exchanges
            completed[count] = flows
            rates[count] = flows / elapsed
            all_errors += errors
            rows.append([count, flows, f"{rates[count]:.1f}", common.ms(elapsed * count / flows)])
            if exchanged != flows:
                all_errors.append(f"{flows} flows but {exchanged} code exchanges")
        root = profile_flows(user, profiled)
        stored = CoolSMSAccount.objects.filter(user_id=user.pk, status="active").count()
    result.table(["clients", "flows", "flows/s", "time per flow per client"], rows)
    per_baseline = rates[clients[0]] / baseline
    result.add(
        f"One client's flows/s are {per_baseline:.2f}× the requests/s it gets from a view "
        f"that writes the session and redirects ({baseline:.0f}/s, same client and middleware, "
        "measured just before): a flow is two such requests of the site, the authorize step "
        "at the sandbox and the code exchange.",
        "",
    )
    if len(rows) > 1:
        result.add(
            f"{clients[-1]} clients reach {rates[clients[-1]] / rates[clients[0]]:.2f}× the "
            "flows/s of one, in one Django process (2 CPUs here; the sandbox has a process of "
            "its own).",
            "",
        )
    areas, top = breakdown(root)
    total = sum(areas.values()) or 1.0
    result.add(
        f"Where the time of one client's flow goes ({profiled} flows under pyinstrument, "
        "own time of each frame by area):",
        "",
    )
    result.table(
        ["area", "share"],
        [
            [area, f"{share / total:.0%}"]
            for area, share in sorted(areas.items(), key=lambda a: -a[1])
        ],
    )
    result.add("The package's functions by time spent inside them (per flow):", "")
    result.table(
        ["function", "time per flow", "share"],
        [
            [name, common.ms(time_in / profiled), f"{time_in / total:.0%}"]
            for name, time_in in top[:8]
        ],
    )
    result.add(f"Errors: {', '.join(all_errors) or 'none'}.")
    result.checks.update(
        completed=completed, errors=all_errors, stored=stored, per_session_write=per_baseline
    )
    return result


if __name__ == "__main__":
    common.main("connect_flow", run)
