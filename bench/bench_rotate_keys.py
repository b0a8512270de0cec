"""Key rotation on PostgreSQL: ``coolsms_rotate_keys`` over 10,000 and then 100,000 connections.

Rows are written with COPY, their tokens encrypted beforehand with the old key. The command
runs with a new key put first; its time is set beside the bare cost of
``MultiFernet.rotate`` on the same ciphertexts in the same run, and its peak memory
(resident set of the command's own process, before and at its peak) beside the row count.
"""

from __future__ import annotations

import datetime
import gc
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

SIZES = (10_000, 100_000)
QUICK_SIZES = (100, 1_000)
TARGET = 3.0
#: Peak memory at 10× the rows may be at most this many times the smaller peak.
FLAT = 1.5
#: Rows per transaction, as the command's default.
ACCOUNT_COLUMNS = (
    "user_id",
    "member_id",
    "name",
    "email",
    "phone_number",
    "account_id",
    "access_token",
    "refresh_token",
    "token_type",
    "scopes",
    "expires_at",
    "status",
    "last_error",
    "connected_at",
    "created_at",
    "updated_at",
)


def insert_rows(first: int, last: int, fernet: Any) -> list[bytes]:
    """Insert users and connections ``first``..``last``; return their token ciphertexts."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from coolsms_oauth_django.models import CoolSMSAccount

    users = get_user_model()._meta.db_table
    now = datetime.datetime.now(datetime.timezone.utc)
    ciphertexts: list[bytes] = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {users} (password, is_superuser, username, first_name, last_name, "
            "email, is_staff, is_active, date_joined) SELECT '!', false, 'bench-rotate-' || n, "
            "'', '', '', false, true, now() FROM generate_series(%s, %s) AS n RETURNING id",
            [first, last],
        )
        user_ids = [row[0] for row in cursor.fetchall()]
        columns = ", ".join(ACCOUNT_COLUMNS)
        table = CoolSMSAccount._meta.db_table
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for user_id in user_ids:
                # Sizes of real tokens: a JWT access token and an opaque refresh token.
                access = fernet.encrypt(secrets.token_urlsafe(300).encode())
                refresh = fernet.encrypt(secrets.token_urlsafe(48).encode())
                ciphertexts += (access, refresh)
                copy.write_row(
                    (
                        user_id,
                        f"M{user_id}",
                        "",
                        "",
                        "",
                        "",
                        access.decode(),
                        refresh.decode(),
                        "Bearer",
                        "users:read",
                        now + datetime.timedelta(hours=1),
                        "active",
                        "",
                        now,
                        now,
                        now,
                    )
                )
    return ciphertexts


def bare_rotate(multi: Any, ciphertexts: list[bytes]) -> float:
    """Return the seconds ``MultiFernet.rotate`` takes over ``ciphertexts``."""
    gc.collect()
    started = time.perf_counter()
    for ciphertext in ciphertexts:
        multi.rotate(ciphertext)
    return time.perf_counter() - started


def rotate_command(keys: dict[str, Any]) -> dict[str, Any]:
    """Run ``coolsms_rotate_keys`` in a fresh process; return its time, memory and output."""
    from django.db import connection

    options = {
        "settings": os.environ["DJANGO_SETTINGS_MODULE"],
        "database": connection.settings_dict["NAME"],
        "coolsms": keys,
    }
    finished = subprocess.run(
        [sys.executable, "-m", "bench.rotate_worker", json.dumps(options)],
        cwd=common.BENCH_DIR.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode:
        raise RuntimeError(f"coolsms_rotate_keys failed: {finished.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(finished.stdout)
    return report


def rows_readable_only_with(key: bytes) -> tuple[int, int]:
    """Return (rows whose two tokens open with ``key`` alone, rows in all)."""
    from cryptography.fernet import Fernet, InvalidToken
    from django.db import connection

    from coolsms_oauth_django.models import CoolSMSAccount

    fernet = Fernet(key)
    opened = total = 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT access_token, refresh_token FROM {CoolSMSAccount._meta.db_table}")
        for access, refresh in cursor.fetchall():
            total += 1
            try:
                fernet.decrypt(access.encode())
                fernet.decrypt(refresh.encode())
            except InvalidToken:
                continue
            opened += 1
    return opened, total


def run(quick: bool = False) -> common.Result:
    """Key rotation: coolsms_rotate_keys against bare MultiFernet.rotate, 10k and 100k rows."""
    from cryptography.fernet import Fernet, MultiFernet
    from django.db import connection
    from django.test import override_settings

    if connection.vendor != "postgresql":
        raise RuntimeError("the key-rotation benchmark needs PostgreSQL")
    sizes = QUICK_SIZES if quick else SIZES
    result = common.Result("4. Key rotation on PostgreSQL (coolsms_rotate_keys)")
    common.clear_tables()
    old_key, new_key = common.ENCRYPTION_KEY.encode(), Fernet.generate_key()
    old = Fernet(old_key)
    multi = MultiFernet([Fernet(new_key), old])
    rows: list[list[Any]] = []
    peaks: list[int] = []
    outputs: list[str] = []
    ciphertexts: list[bytes] = []
    keys = {
        "CLIENT_ID": "bench-client-id",
        "CLIENT_SECRET": "bench-client-secret",
        "ENCRYPTION_KEYS": [new_key.decode(), old_key.decode()],
    }
    with override_settings(COOLSMS_OAUTH=keys):  # for the check at the end
        for size in sizes:
            ciphertexts += insert_rows(len(ciphertexts) // 2 + 1, size, old)
            bare = bare_rotate(multi, ciphertexts)
            report = rotate_command(keys)
            seconds = report["seconds"]
            outputs.append(report["output"].strip())
            peaks.append(report["rss_peak"] - report["rss_before"])
            rows.append(
                [
                    f"{size:,}",
                    f"{size / seconds:,.0f}",
                    f"{size / bare:,.0f}",
                    f"{seconds / bare:.2f}×",
                    f"{seconds:.1f} s",
                    f"{report['rss_before'] / 2**20:.0f} → {report['rss_peak'] / 2**20:.0f} MiB "
                    f"(+{peaks[-1] / 2**20:.1f})",
                ]
            )
            ratio = seconds / bare
    opened, total = rows_readable_only_with(new_key)
    result.table(
        [
            "connections",
            "command rows/s",
            "bare MultiFernet.rotate rows/s",
            "command / bare",
            "command time",
            "command process RSS: before → peak (growth)",
        ],
        rows,
    )
    # Growth of the command's memory while it runs; a floor of 1 MiB keeps noise out.
    growth = max(peaks[-1], 2**20) / max(peaks[0], 2**20)
    result.add(
        "A row holds two tokens (a 400-character access token, a 64-character refresh token), "
        "both rotated by the command and by the bare loop; the bare loop does no database work.",
        "",
        f"- At {sizes[-1]:,} rows the command takes {ratio:.2f}× the bare cost; target within "
        f"{TARGET:.0f}×: {common.held(ratio <= TARGET)}.",
        f"- The command's memory grows {growth:.2f}× as much at {sizes[-1]:,} rows as at "
        f"{sizes[0]:,}; target flat (under {FLAT}×): {common.held(growth <= FLAT)}.",
        f"- Afterwards {opened:,} of {total:,} rows open with the new key alone. "
        f"The command said: “{outputs[-1]}”",
    )
    result.checks.update(
        rotated_all=opened == total == sizes[-1],
        outputs=outputs,
        ratio=ratio,
        growth=growth,
    )
    common.clear_tables()
    return result


if __name__ == "__main__":
    common.main("rotate_keys", run)
