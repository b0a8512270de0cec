"""Run ``coolsms_rotate_keys`` in a fresh process; print its time and memory as JSON.

``python -m bench.rotate_worker '{"settings": ..., "database": ..., "coolsms": {...}}'``
"""

from __future__ import annotations

import io
import json
import os
import sys
import time


def status_bytes(field: str) -> int:
    """Return a memory figure of this process from ``/proc/self/status`` (``VmRSS``, ...).

    ``VmHWM``, the peak resident set, starts afresh with this program; ``ru_maxrss`` would
    not: on Linux it carries the parent's peak across ``fork`` and ``exec``.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise LookupError(field)


def main(argv: list[str]) -> None:
    options = json.loads(argv[0])
    os.environ["DJANGO_SETTINGS_MODULE"] = options["settings"]
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    settings.DATABASES["default"]["NAME"] = options["database"]
    settings.COOLSMS_OAUTH = options["coolsms"]
    from django.db import connection

    connection.ensure_connection()
    before = status_bytes("VmRSS")
    out = io.StringIO()
    started = time.perf_counter()
    call_command("coolsms_rotate_keys", stdout=out, stderr=io.StringIO())
    seconds = time.perf_counter() - started
    peak = status_bytes("VmHWM")
    connection.close()
    json.dump(
        {"seconds": seconds, "rss_before": before, "rss_peak": peak, "output": out.getvalue()},
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
