"""The admin at scale: the connection list, its searches and the bulk disconnect.

100,000 users, each connected, on PostgreSQL. Each page of *CoolSMS accounts* is timed
against Django's own *Users* list over the same users, round by round (one request of each
per round, so both see the same drift); the figure is the median of the per-round ratios.
The bulk disconnect is counted in queries, through the admin's confirmed action, and timed
against a queryset delete of as many rows.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

ACCOUNTS = "/admin/coolsms_oauth/coolsmsaccount/"
USERS = "/admin/auth/user/"
TARGET = 2.0


def pages(rows: int) -> list[tuple[str, dict[str, str], dict[str, str]]]:
    """Return (label, query of the account list, query of the user list) for each comparison."""
    member = f"MEM-user-{rows // 2:07}"
    prefix = f"user{rows // 2:07}"[:-2]  # matches 100 usernames
    page = min(50, rows // 200)
    return [
        ("list, first page", {}, {}),
        (f"list, page {page}", {"p": str(page)}, {"p": str(page)}),
        (
            "list filtered (status: needs reconnecting; Users: active)",
            {"status__exact": "needs_reconnect"},
            {"is_active__exact": "1"},
        ),
        ("search: exact member ID", {"q": member}, {"q": member}),
        ("search: username prefix (100 matches)", {"q": prefix}, {"q": prefix}),
    ]


def timed_get(client: Any, path: str, query: dict[str, str]) -> tuple[float, int]:
    """GET ``path``; return (seconds, queries), failing on anything but a 200."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        seconds = common.timed(lambda: check(client.get(path, query)))
    return seconds, len(context.captured_queries)


def check(response: Any) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"the admin answered {response.status_code}")


def disconnect_via_admin(client: Any, pks: list[int]) -> tuple[int, int, float]:
    """Run "Disconnect" on ``pks`` through its confirmation; return (queries, signals, s)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from coolsms_oauth_django import signals

    received: list[Any] = []

    def count(**kwargs: Any) -> None:
        received.append(kwargs["member_id"])

    data = {"action": "delete_selected", "_selected_action": pks}
    check(client.post(ACCOUNTS, data))  # the confirmation page
    signals.account_disconnected.connect(count)
    try:
        with CaptureQueriesContext(connection) as context:
            seconds = common.timed(lambda: client.post(ACCOUNTS, {**data, "post": "yes"}))
    finally:
        signals.account_disconnected.disconnect(count)
    return len(context.captured_queries), len(received), seconds


def bulk_disconnect(client: Any, sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    """Disconnect ``size`` rows through the admin, as many with ``accounts.disconnect_all``,
    and as many with a queryset delete (what Django's own action does), for each size."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from coolsms_oauth_django import accounts
    from coolsms_oauth_django.models import CoolSMSAccount

    rows = []
    for size in sizes:
        pks = list(CoolSMSAccount.objects.order_by("-pk").values_list("pk", flat=True)[: 3 * size])
        by_admin, by_function, by_queryset = pks[:size], pks[size : 2 * size], pks[2 * size :]
        queries, signalled, seconds = disconnect_via_admin(client, by_admin)
        chosen = CoolSMSAccount.objects.filter(pk__in=by_function)
        with CaptureQueriesContext(connection) as context:
            function_seconds = common.timed(lambda chosen=chosen: accounts.disconnect_all(chosen))
        plain = CoolSMSAccount.objects.filter(pk__in=by_queryset)
        queryset_seconds = common.timed(plain.delete)
        left = CoolSMSAccount.objects.filter(pk__in=pks).count()
        rows.append(
            dict(
                size=size,
                queries=queries,
                function_queries=len(context.captured_queries),
                signalled=signalled,
                left=left,
                seconds=seconds,
                function_seconds=function_seconds,
                queryset_seconds=queryset_seconds,
            )
        )
    return rows


def run(quick: bool = False, rows: int = 100_000, rounds: int = 30) -> common.Result:
    """Admin at scale: account list and searches against the User list, bulk disconnect."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings

    sizes: tuple[int, ...] = (1, 100, 2000)
    if quick:
        rows, rounds, sizes = 400, 2, (1, 20, 40)
    result = common.Result(f"7. The admin at {rows:,} connections")
    common.clear_tables()
    common.make_connections(rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE coolsms_oauth_coolsmsaccount")
            cursor.execute("VACUUM ANALYZE auth_user")
    admin = get_user_model().objects.create_superuser("bench-admin", email=None, password=None)
    client = Client()
    client.force_login(admin)
    comparisons = pages(rows)
    times: dict[str, tuple[list[float], list[float]]] = {c[0]: ([], []) for c in comparisons}
    queries: dict[str, tuple[int, int]] = {}
    # The confirmation page posts every chosen row back; Django refuses more than 1,000
    # fields unless told otherwise.
    with override_settings(ROOT_URLCONF="tests.urls", DATA_UPLOAD_MAX_NUMBER_FIELDS=None):
        for _label, ours, theirs in comparisons:  # warm both up once
            timed_get(client, ACCOUNTS, ours)
            timed_get(client, USERS, theirs)
        for _ in range(rounds):
            for label, ours, theirs in comparisons:
                mine, our_queries = timed_get(client, ACCOUNTS, ours)
                base, their_queries = timed_get(client, USERS, theirs)
                times[label][0].append(mine)
                times[label][1].append(base)
                queries[label] = (our_queries, their_queries)
        disconnects = bulk_disconnect(client, sizes)
    table = []
    ratios = {}
    for label, _ours, _theirs in comparisons:
        mine_all, base_all = times[label]
        ratio = common.paired_ratio(mine_all, base_all)
        ratios[label] = ratio
        table.append(
            [
                label,
                common.ms(common.median(mine_all)),
                common.ms(common.median(base_all)),
                f"{ratio:.2f}×",
                f"{queries[label][0]} / {queries[label][1]}",
                common.held(ratio <= TARGET),
            ]
        )
    result.add(
        f"Median of {rounds} rounds; each round requests every page of both lists once. "
        "The User list's search is Django's default (a substring of username, names or "
        "email).",
        "",
    )
    result.table(
        ["page", "CoolSMS accounts", "Users", "ratio", "queries (ours / Users)", "≤ 2×"],
        table,
    )
    result.add(
        "Disconnect: the admin's confirmed action (the whole request: session, log entries, "
        "message, redirect), `accounts.disconnect_all` alone, and a queryset delete of as "
        "many rows (no signals), each on rows of its own:",
        "",
    )
    result.table(
        [
            "rows",
            "admin: queries",
            "admin: signals sent",
            "admin: time",
            "disconnect_all: queries",
            "disconnect_all: time",
            "queryset delete",
            "disconnect_all ÷ queryset delete",
            "rows left",
        ],
        [
            [
                d["size"],
                d["queries"],
                d["signalled"],
                common.ms(d["seconds"]),
                d["function_queries"],
                common.ms(d["function_seconds"]),
                common.ms(d["queryset_seconds"]),
                f"{d['function_seconds'] / d['queryset_seconds']:.1f}×",
                d["left"],
            ]
            for d in disconnects
        ],
    )
    result.checks.update(
        ratios=ratios,
        queries=queries,
        disconnect_queries=[d["queries"] for d in disconnects],
        disconnect_all_queries=[d["function_queries"] for d in disconnects],
        signalled_all=all(d["signalled"] == d["size"] for d in disconnects),
        deleted_all=all(d["left"] == 0 for d in disconnects),
    )
    return result


if __name__ == "__main__":
    common.main("admin", run)
