"""Refreshing at scale on PostgreSQL, against a token endpoint that takes 100 ms per call.

A bare threaded token endpoint (``tests/helpers/token_server.py``) runs in a process of its own.
Measured side by side in one run:

- ``coolsms_refresh_tokens --concurrency 8`` over 10,000 due connections, beside 8
  keep-alive clients making as many calls to the same endpoint (target ≥ 0.7×);
- the CPU time of the command's process per refreshed account, against the same endpoint
  answering at once (goal ≤ 2 ms);
- the Celery fan-out (``tasks.celery_tasks``) with 2 worker processes over 1,000 due
  connections, beside 2 keep-alive clients.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

ROOT = Path(__file__).resolve().parent.parent
DELAY = 0.1
CONCURRENCY = 8
CELERY_WORKERS = 2
SIZES = {"command": 10_000, "cpu": 2_000, "celery": 1_000}
QUICK_SIZES = {"command": 200, "cpu": 200, "celery": 40}
TARGET = 0.7
CPU_GOAL = 0.002


@contextmanager
def token_endpoint(delay: float) -> Iterator[str]:
    """Run ``tests.helpers.token_server`` answering after ``delay`` seconds; yield its URL."""
    with subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.token_server", str(delay)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as server:
        assert server.stdin is not None and server.stdout is not None
        try:
            yield server.stdout.readline().strip()
        finally:
            server.stdin.close()
            server.wait(30)


def settings_for(url: str) -> dict[str, Any]:
    from django.conf import settings

    return {**settings.COOLSMS_OAUTH, "TOKEN_URL": url, "REFRESH_BACKOFF": 0}


def refreshed_since(moment: datetime.datetime) -> int:
    from coolsms_oauth_django.models import CoolSMSAccount

    return CoolSMSAccount.objects.filter(last_refreshed_at__gte=moment).count()


def keep_alive_clients(url: str, clients: int, calls: int) -> float:
    """Return the seconds ``clients`` threads, each on one session, take for ``calls`` calls."""
    import requests

    body = {"grant_type": "refresh_token", "refresh_token": "r", "client_id": "c"}

    def client(count: int) -> None:
        with requests.Session() as http:
            for _ in range(count):
                with http.post(url, json=body, timeout=30) as answer:
                    answer.raise_for_status()
                    answer.json()

    shares = [calls // clients + (1 if n < calls % clients else 0) for n in range(clients)]
    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def command(*args: str) -> str:
    from django.core.management import call_command

    out = StringIO()
    call_command("coolsms_refresh_tokens", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def measure_command(url: str, size: int) -> dict[str, Any]:
    from django.test import override_settings

    with override_settings(COOLSMS_OAUTH=settings_for(url)):
        due_only(size)
        started = time.perf_counter()
        summary = command("--concurrency", str(CONCURRENCY))
        seconds = time.perf_counter() - started
    base = keep_alive_clients(url, CONCURRENCY, size)
    return {"seconds": seconds, "base": base, "summary": summary}


def measure_cpu(url: str, size: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import override_settings

    with override_settings(COOLSMS_OAUTH=settings_for(url)):
        due_only(size)
        connection.close()
        cpu = time.process_time()
        summary = command("--concurrency", str(CONCURRENCY))
        cpu = time.process_time() - cpu
    return {"cpu": cpu, "summary": summary}


def measure_celery(url: str, size: int) -> dict[str, Any]:
    """Refresh ``size`` due connections through the fan-out on 2 Celery workers."""
    from django.db import connection

    from tests.helpers import celery_app
    from tests.helpers.celery_workers import Workers, forget_queue

    queue = f"coolsms-bench-{uuid.uuid4().hex}"

    env = {
        **os.environ,
        "COOLSMS_CELERY_QUEUE": queue,
        "COOLSMS_CELERY_DATABASE": connection.settings_dict["NAME"],
        "COOLSMS_CELERY_OAUTH": json.dumps(settings_for(url)),
    }
    workers = Workers(env, CELERY_WORKERS)
    try:
        for _ in range(120):
            if len(celery_app.app.control.ping(timeout=1)) == CELERY_WORKERS:
                break
        started_at = due_only(size)
        started = time.perf_counter()
        celery_app.refresh_due.apply_async((3600, 100), queue=queue)
        deadline = time.monotonic() + 3600
        while refreshed_since(started_at) < size and time.monotonic() < deadline:
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        done = refreshed_since(started_at)
    finally:
        workers.stop()
        forget_queue(queue)
    base = keep_alive_clients(url, CELERY_WORKERS, size)
    return {"seconds": seconds, "base": base, "done": done}


def due_only(count: int) -> datetime.datetime:
    """Make the first ``count`` connections (by key) due, the others not; return the time."""
    from coolsms_oauth_django import clock
    from coolsms_oauth_django.models import CoolSMSAccount

    now = clock.now()
    CoolSMSAccount.objects.update(
        status=CoolSMSAccount.ACTIVE, expires_at=now + datetime.timedelta(days=1)
    )
    first = CoolSMSAccount.objects.order_by("pk").values_list("pk", flat=True)[:count]
    CoolSMSAccount.objects.filter(pk__in=list(first)).update(
        expires_at=now + datetime.timedelta(seconds=60)
    )
    return now


def run(quick: bool = False) -> common.Result:
    """Refresh due connections with the command and with Celery against a 100 ms endpoint."""
    sizes = QUICK_SIZES if quick else SIZES
    common.clear_tables()
    common.make_connections(sizes["command"], prefix="refresh")
    with token_endpoint(DELAY) as slow:
        commanded = measure_command(slow, sizes["command"])
        celery = measure_celery(slow, sizes["celery"])
    with token_endpoint(0.0) as fast:
        cpu = measure_cpu(fast, sizes["cpu"])
    common.clear_tables()

    command_rate = sizes["command"] / commanded["seconds"]
    base_rate = sizes["command"] / commanded["base"]
    ratio = command_rate / base_rate
    celery_rate = sizes["celery"] / celery["seconds"]
    celery_base = sizes["celery"] / celery["base"]
    per_account = cpu["cpu"] / sizes["cpu"]
    result = common.Result("Refresh at scale (PostgreSQL, token endpoint 100 ms per call)")
    result.table(
        ["what", "accounts", "accounts/s", "beside", "ratio", "target"],
        [
            [
                f"`coolsms_refresh_tokens --concurrency {CONCURRENCY}`",
                f"{sizes['command']:,}",
                f"{command_rate:.0f}",
                f"{CONCURRENCY} keep-alive clients: {base_rate:.0f}/s",
                f"{ratio:.2f}×",
                f"≥ {TARGET}× ({common.held(ratio >= TARGET)})",
            ],
            [
                f"Celery fan-out, {CELERY_WORKERS} workers",
                f"{sizes['celery']:,}",
                f"{celery_rate:.1f}",
                f"{CELERY_WORKERS} keep-alive clients: {celery_base:.1f}/s",
                f"{celery_rate / celery_base:.2f}×",
                "—",
            ],
        ],
    )
    result.table(
        ["CPU per refreshed account", "accounts", "goal"],
        [
            [
                f"{per_account * 1000:.2f} ms (the command's process, endpoint answering at once)",
                f"{sizes['cpu']:,}",
                f"≤ {CPU_GOAL * 1000:.0f} ms ({common.held(per_account <= CPU_GOAL)})",
            ]
        ],
    )
    result.add(f"Command: {commanded['summary']} CPU run: {cpu['summary']}")
    result.checks.update(
        command_summary=commanded["summary"],
        cpu_summary=cpu["summary"],
        celery_done=celery["done"],
        sizes=sizes,
    )
    return result


if __name__ == "__main__":
    common.main("refresh", run)
