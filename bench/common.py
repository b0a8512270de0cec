"""What the benchmarks share: Django set-up, connecting users to the sandbox, timing, reports."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
REDIRECT_URI = "http://testserver/coolsms/callback/"
SCOPES = ["users:read", "cash:read", "message:write"]
#: The key every benchmark encrypts with (the key-rotation benchmark adds a new one before it).
ENCRYPTION_KEY = "jY3fXhB0bq5cCw0l7mWvQ0jv0r6Jz4pRj2m0t9w1b8M="


# -- results ---------------------------------------------------------------------------------


@dataclass
class Result:
    """A benchmark's figures as Markdown, and the correctness facts the smoke test checks."""

    title: str
    lines: list[str] = field(default_factory=list)
    checks: dict[str, Any] = field(default_factory=dict)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Add a Markdown table."""
        self.lines.append("| " + " | ".join(header) + " |")
        self.lines.append("|" + "|".join("---" for _ in header) + "|")
        for row in rows:
            self.lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
        self.lines.append("")

    def markdown(self) -> str:
        return "\n".join([f"## {self.title}", "", *self.lines]).rstrip() + "\n"


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the nearest-rank percentile of ``values`` (``fraction`` between 0 and 1)."""
    ordered = sorted(values)
    rank = max(math.ceil(fraction * len(ordered)), 1)
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def paired_ratio(times: Sequence[float], baseline: Sequence[float]) -> float:
    """Return the median of the round-by-round ratios ``times[i] / baseline[i]``."""
    return median([t / b for t, b in zip(times, baseline, strict=True)])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs"


def held(ok: bool) -> str:
    return "held" if ok else "**missed**"


# -- Django ------------------------------------------------------------------------------------


def ensure_database(name: str) -> None:
    """Create the PostgreSQL database ``name`` unless it exists."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host="127.0.0.1", port=5432, user=os.environ.get("PGUSER", "postgres"), dbname="postgres"
    ) as connection:
        connection.autocommit = True
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if exists is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django() -> None:
    """Configure Django with ``bench.settings``, creating and migrating its database."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    ensure_database(settings.DATABASES["default"]["NAME"])
    call_command("migrate", verbosity=0, interactive=False)


def clear_tables() -> None:
    """Delete every user, connection and session (TRUNCATE on PostgreSQL)."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session
    from django.db import connection

    from coolsms_oauth_django.models import CoolSMSAccount

    tables = [
        CoolSMSAccount._meta.db_table,
        get_user_model()._meta.db_table,
        Session._meta.db_table,
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            CoolSMSAccount.objects.all().delete()
            get_user_model().objects.all().delete()
            Session.objects.all().delete()


def coolsms_settings(sandbox: Any, **extra: Any) -> dict[str, Any]:
    """Return a ``COOLSMS_OAUTH`` dict pointing at ``sandbox``."""
    from coolsms_oauth_django.testing import oauth_settings_for

    defaults = {
        "REDIRECT_URI": REDIRECT_URI,
        "SCOPES": SCOPES,
        "ENCRYPTION_KEYS": [ENCRYPTION_KEY],
        "REFRESH_BACKOFF": 0,
    }
    return oauth_settings_for(sandbox, **{**defaults, **extra})


@contextlib.contextmanager
def using_sandbox(sandbox: Any, **extra: Any) -> Iterator[None]:
    """Point the app at ``sandbox`` for the duration."""
    from django.test import override_settings

    with override_settings(COOLSMS_OAUTH=coolsms_settings(sandbox, **extra)):
        yield


def make_user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(username=username)


def connect(user: Any, sandbox: Any) -> Any:
    """Connect ``user`` through the (auto-approving) sandbox the app points at; return it."""
    from tests.helpers.accounts import connect as connect_through_sandbox

    return connect_through_sandbox(user, sandbox)


def make_connections(count: int, *, prefix: str = "user", batch: int = 5000) -> None:
    """Create ``count`` users, each with a connection (``bulk_create``, no sandbox).

    Usernames are ``{prefix}{n:07}``, member IDs ``MEM-{prefix}-{n:07}``; every tenth
    connection needs reconnecting; connection times spread over the last ``count`` minutes.
    """
    from django.contrib.auth import get_user_model

    from coolsms_oauth_django import clock
    from coolsms_oauth_django.models import CoolSMSAccount

    user_model = get_user_model()
    now = clock.now()
    for start in range(0, count, batch):
        numbers = range(start, min(start + batch, count))
        users = user_model.objects.bulk_create(
            [user_model(username=f"{prefix}{n:07}") for n in numbers]
        )
        CoolSMSAccount.objects.bulk_create(
            [
                CoolSMSAccount(
                    user=user,
                    member_id=f"MEM-{prefix}-{n:07}",
                    access_token=f"access-{n}",
                    refresh_token=f"refresh-{n}",
                    scopes=" ".join(SCOPES),
                    expires_at=now + datetime.timedelta(hours=1, minutes=n % 1440),
                    status=(
                        CoolSMSAccount.NEEDS_RECONNECT if n % 10 == 9 else CoolSMSAccount.ACTIVE
                    ),
                    connected_at=now - datetime.timedelta(minutes=n),
                )
                for n, user in zip(numbers, users, strict=True)
            ]
        )


def expire(account_pk: int) -> None:
    """Make the stored access token look expired to the client."""
    from coolsms_oauth_django import clock
    from coolsms_oauth_django.models import CoolSMSAccount

    CoolSMSAccount.objects.filter(pk=account_pk).update(
        expires_at=clock.now() - datetime.timedelta(seconds=5)
    )


def machine() -> str:
    """Describe this machine in one line."""
    return (
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPU, {platform.system()} {platform.release()}"
    )


def timed(function: Callable[[], Any]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


# -- running one benchmark alone -------------------------------------------------------------


def peak_memory(function: Callable[[], Any]) -> int:
    """Return the peak of memory ``tracemalloc`` traced while ``function`` ran, in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main(name: str, run: Callable[..., Result], argv: Sequence[str] | None = None) -> Result:
    """Run one benchmark from the command line: print it and write ``results/<name>.md``."""
    parser = argparse.ArgumentParser(description=(run.__doc__ or "").strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check, do not measure")
    options = parser.parse_args(argv)
    setup_django()
    result = run(quick=options.quick)
    text = result.markdown()
    sys.stdout.write(text)
    sys.stdout.flush()
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{name}.md").write_text(text, encoding="utf-8")
    return result
