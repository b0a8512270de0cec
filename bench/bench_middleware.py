"""Request overhead of ``CoolSMSMiddleware`` on a view that never touches ``request.coolsms``.

Two WSGI handlers with the same middleware stack, one with ``CoolSMSMiddleware`` at its end,
answer the same GET in interleaved rounds; a second handler without it measures the noise
floor, and one with Django's own ``AuthenticationMiddleware`` a second time shows what the same
design (a lazy object and a getter on the request) costs in Django. Queries are counted.
Rounds are short (a few milliseconds per stack), so that the two stacks of a pair run close
together in time and the machine's drift affects both.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from tests.settings import MIDDLEWARE as TEST_MIDDLEWARE

#: The test suite's site: sessions, locale, common, CSRF, auth, messages.
BASE_MIDDLEWARE = list(TEST_MIDDLEWARE)
COOLSMS_MIDDLEWARE = "coolsms_oauth_django.middleware.CoolSMSMiddleware"
EMPTY_MIDDLEWARE = "bench.bench_middleware.EmptyMiddleware"
#: Django's own lazy ``request.user``, built a second time: the design ours follows.
DJANGO_AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
TARGET = 0.02


class EmptyMiddleware:
    """A middleware that does nothing: what any one more middleware costs in Django."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        return self.get_response(request)


def _start_response(status: str, headers: list[tuple[str, str]]) -> None:
    if not status.startswith("200"):
        raise RuntimeError(f"the view answered {status}")


def make_handler(middleware: list[str]) -> Any:
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    with override_settings(MIDDLEWARE=middleware):
        return WSGIHandler()


def environ() -> dict[str, Any]:
    from django.test import RequestFactory

    return dict(RequestFactory().get("/plain/", HTTP_ACCEPT="text/html").environ)


def serve(handler: Any, base: dict[str, Any], count: int) -> float:
    """Send ``count`` requests through ``handler``; return the seconds taken."""
    started = time.perf_counter()
    for _ in range(count):
        response = handler(dict(base), _start_response)
        b"".join(response)
        response.close()
    return time.perf_counter() - started


def count_queries(handler: Any, base: dict[str, Any], count: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        serve(handler, base, count)
    return len(queries)


def attach_and_release_cost(base: dict[str, Any], count: int = 20_000) -> float:
    """Return the seconds ``CoolSMSMiddleware`` spends on one request of its own."""
    from django.core.handlers.wsgi import WSGIRequest

    from coolsms_oauth_django.middleware import attach, release

    request = WSGIRequest(dict(base))
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(count):
            attach(request)
            release(request)
        best = min(best, (time.perf_counter() - started) / count)
    return best


def run(quick: bool = False, rounds: int = 1551, per_round: int = 20) -> common.Result:
    """Middleware overhead: requests/second with and without CoolSMSMiddleware."""
    from django.test import override_settings

    if quick:
        rounds, per_round = 3, 20
    result = common.Result("1. Middleware overhead (view that never touches request.coolsms)")
    with override_settings(ROOT_URLCONF="bench.urls"):
        arms = {
            "without": make_handler(BASE_MIDDLEWARE),
            "with": make_handler([*BASE_MIDDLEWARE, COOLSMS_MIDDLEWARE]),
            "without (again)": make_handler(BASE_MIDDLEWARE),
            "with an empty middleware instead": make_handler([*BASE_MIDDLEWARE, EMPTY_MIDDLEWARE]),
            "with Django's AuthenticationMiddleware again instead": make_handler(
                [*BASE_MIDDLEWARE, DJANGO_AUTH_MIDDLEWARE]
            ),
        }
        base = environ()
        queries = {name: count_queries(handler, base, 50) for name, handler in arms.items()}
        for handler in arms.values():
            serve(handler, base, per_round)  # warm up
        times: dict[str, list[float]] = {name: [] for name in arms}
        order = list(arms)
        # Collected once: from here on the garbage collector runs when it would in a server,
        # its cost falling on whichever stack's round it lands in.
        gc.collect()
        for number in range(rounds):
            # Rotate the order each round so no arm always runs first.
            shift = number % len(order)
            for name in order[shift:] + order[:shift]:
                times[name].append(serve(arms[name], base, per_round) / per_round)
    isolated = attach_and_release_cost(base)
    with_ratio = common.paired_ratio(times["with"], times["without"])
    noise = common.paired_ratio(times["without (again)"], times["without"])
    empty = common.paired_ratio(times["with an empty middleware instead"], times["without"])
    django_auth = common.paired_ratio(
        times["with Django's AuthenticationMiddleware again instead"], times["without"]
    )
    extra_queries = queries["with"] - queries["without"]
    per_request = {name: common.median(values) for name, values in times.items()}
    added = common.median([w - wo for w, wo in zip(times["with"], times["without"], strict=True)])
    result.table(
        ["stack", "time per request (median)", "requests/s", "ratio to without", "queries / 50"],
        [
            [
                name,
                common.us(per_request[name]),
                f"{1 / per_request[name]:,.0f}",
                f"{ratio:.3f}",
                queries[name],
            ]
            for name, ratio in (
                ("without", 1.0),
                ("with", with_ratio),
                ("without (again)", noise),
                ("with an empty middleware instead", empty),
                ("with Django's AuthenticationMiddleware again instead", django_auth),
            )
        ],
    )
    overhead = with_ratio - 1
    result.add(
        f"{rounds:,} interleaved rounds of {per_round:,} requests per stack through Django's WSGI "
        f"handler (sessions, locale, common, CSRF, auth, messages; CoolSMSMiddleware last). "
        f"Ratios are medians of per-round ratios; the second stack without the middleware "
        f"shows the noise floor ({noise - 1:+.1%}).",
        "",
        f"- Overhead: {overhead:+.1%} ({added * 1e6:+.1f} µs per request); target within "
        f"{TARGET:.0%}: {common.held(overhead <= TARGET)}.",
        f"- The middleware's own work per request (attach and release, timed alone): "
        f"{isolated * 1e6:.2f} µs, {isolated / per_request['without']:.1%} of a request; a "
        f"middleware that does nothing costs {empty - 1:+.1%} in the same run, and Django's own "
        f"AuthenticationMiddleware, which builds request.user and request.auser the same way, "
        f"{django_auth - 1:+.1%} added a second time.",
        f"- Extra queries: {extra_queries}; target 0: {common.held(extra_queries == 0)}.",
    )
    result.checks.update(
        overhead=overhead,
        django_auth_overhead=django_auth - 1,
        extra_queries=extra_queries,
        queries_with=queries["with"],
    )
    return result


if __name__ == "__main__":
    common.main("middleware", run)
