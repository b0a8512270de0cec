"""A flood of 10,000 delivery report events in one request, against a view that only parses it.

Both views get the same JSON body through Django's test client, in this process, on
PostgreSQL: the report endpoint checks the URL's token, parses and types every event, matches
the member's connection, stores every event id (one bulk insert and reads by batch) and sends
``message_report`` to one receiver per event; the bare view reads the body and ``json.loads``
it, the least any endpoint must do. Each round sends new event ids, then the same body again
(every event a retry: nothing passed on). Time is the median over rounds (the views alternate
first), peak memory ``tracemalloc``'s during one request of each, the body built beforehand.
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

SIZE = 10_000
SECRET = "bench-report-secret-" + "x" * 20
#: The bound the README promises for one request of 10,000 events.
TIME_BOUND = 2.0
MEMORY_BOUND = 64 * 2**20


def body(size: int, round_number: int) -> bytes:
    events = [
        {
            "eventDataId": f"EV{round_number:03d}{number:07d}",
            "retryCount": 0,
            "data": {
                "messageId": f"M4V20261201050000{number:015d}",
                "groupId": f"G4V20261201050000{round_number:015d}",
                "type": "SMS",
                "to": f"010{number:08d}",
                "from": "029302266",
                "statusCode": "4000" if number % 10 else "3043",
                "statusMessage": "수신 완료" if number % 10 else "단말기 Power off",
                "dateProcessed": "2026-12-01T05:00:01.000Z",
                "dateReported": "2026-12-01T05:00:03.000Z",
                "dateReceived": "2026-12-01T05:00:02.000Z",
                "networkCode": "SKT",
                "customFields": {},
            },
        }
        for number in range(size)
    ]
    return json.dumps(events, ensure_ascii=False).encode()


def run(quick: bool = False, rounds: int = 5) -> common.Result:
    """A flood of 10,000 report events in one request, against parsing the same body."""
    from django.test import Client, override_settings

    from coolsms_oauth_django import signals
    from coolsms_oauth_django.models import ReportEvent
    from coolsms_oauth_django.report_endpoint import report_path

    size = 200 if quick else SIZE
    rounds = 1 if quick else rounds
    result = common.Result(f"8. A flood of {size:,} delivery report events in one request")
    common.clear_tables()
    ReportEvent.objects.all().delete()
    common.make_connections(1, prefix="reports")
    member = "MEM-reports-0000000"
    passed_on: list[int] = []

    def receiver(sender: Any, account: Any, report: Any, **kwargs: Any) -> None:
        passed_on.append(1)

    signals.message_report.connect(receiver)
    settings = {**common.coolsms_settings(_NoSandbox()), "REPORT_SECRETS": [SECRET]}
    client = Client()
    times: dict[str, list[float]] = {"bare view": [], "report endpoint": [], "all retried": []}
    answers: dict[str, Any] = {}
    try:
        with override_settings(COOLSMS_OAUTH=settings, ROOT_URLCONF="bench.urls"):
            path = report_path(member)

            def post(url: str, raw: bytes) -> Any:
                response = client.post(url, raw, content_type="application/json")
                assert response.status_code == 200, response.content[:200]
                return response.json()

            def measure(name: str, url: str, raw: bytes, keep: bool) -> None:
                gc.collect()
                elapsed = common.timed(lambda: answers.__setitem__(name, post(url, raw)))
                if keep:
                    times[name].append(elapsed)

            for number in range(rounds + 1):  # the first round warms up
                raw = body(size, number)
                arms = [("bare view", "/bare-reports/"), ("report endpoint", path)]
                for name, url in arms if number % 2 == 0 else arms[::-1]:
                    measure(name, url, raw, keep=number > 0)
                measure("all retried", path, raw, keep=number > 0)
            raw = body(size, rounds + 1)
            peaks = {
                "bare view": common.peak_memory(lambda: post("/bare-reports/", raw)),
                "report endpoint": common.peak_memory(lambda: post(path, raw)),
                "all retried": common.peak_memory(lambda: post(path, raw)),
            }
    finally:
        signals.message_report.disconnect(receiver)
    bare = times["bare view"]
    rows = [
        [
            name,
            common.ms(common.median(times[name])),
            f"{common.paired_ratio(times[name], bare):.2f}",
            f"{common.median(times[name]) / size * 1e6:.0f} µs",
            f"{peaks[name] / 2**20:.1f} MB",
            f"{peaks[name] / peaks['bare view']:.2f}",
        ]
        for name in times
    ]
    result.table(["view", "time (median)", "ratio", "per event", "peak memory", "ratio"], rows)
    worst_time = max(common.median(times[name]) for name in ("report endpoint", "all retried"))
    worst_memory = max(peaks["report endpoint"], peaks["all retried"])
    within = worst_time <= TIME_BOUND and worst_memory <= MEMORY_BOUND
    result.add(
        f"{rounds} rounds after a warm-up, each with new event ids: the bare view and the "
        "endpoint alternate first, then the same body is posted again (every event a retry). "
        "One receiver is connected to message_report. The ratio is the median of the "
        "per-round ratios to the bare view.",
        "",
        f"- bound for {SIZE:,} events: {TIME_BOUND:.0f} s and {MEMORY_BOUND // 2**20} MB per "
        f"request; measured {worst_time:.2f} s and {worst_memory / 2**20:.0f} MB: "
        f"{common.held(within)}.",
    )
    result.checks.update(
        size=size,
        passed_on=answers["report endpoint"]["passedOn"],
        retried_passed_on=answers["all retried"]["passedOn"],
        received=answers["report endpoint"]["received"],
        held=within,
    )
    return result


class _NoSandbox:
    """What :func:`common.coolsms_settings` reads of a sandbox, for a run that needs none."""

    client_id = "bench-client-id"
    client_secret = "bench-client-secret"
    base_url = "http://127.0.0.1:9"


if __name__ == "__main__":
    common.main("reports", run)
