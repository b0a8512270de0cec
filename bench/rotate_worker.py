"""Run ``coolsms_rotate_keys`` in a fresh process; print its time and memory as JSON.

``python -m bench.rotate_worker '{"settings": ..., "database": ..., "coolsms": {...}}'``
"""

from __future__ import annotations

import io
import json
import os
import resource
import sys
import time


def rss_bytes() -> int:
    """Return the resident set size of this process now."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


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
    before = rss_bytes()
    out = io.StringIO()
    started = time.perf_counter()
    call_command("coolsms_rotate_keys", stdout=out, stderr=io.StringIO())
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    connection.close()
    json.dump(
        {"seconds": seconds, "rss_before": before, "rss_peak": peak, "output": out.getvalue()},
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
