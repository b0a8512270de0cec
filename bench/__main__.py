"""Run every benchmark, each in a process of its own; write ``bench/results/latest.md``.

``python -m bench`` (``make bench``); ``python -m bench --quick`` for tiny sizes.
"""

from __future__ import annotations

import datetime
import subprocess
import sys
import time

from bench import common

BENCHMARKS = [
    "middleware",
    "api_call",
    "stampede",
    "rotate_keys",
    "connect_flow",
    "send_many",
    "admin",
    "reports",
    "refresh",
]


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    started = time.monotonic()
    sections: list[str] = []
    failed: list[str] = []
    for name in BENCHMARKS:
        result_file = common.RESULTS_DIR / f"{name}.md"
        result_file.unlink(missing_ok=True)
        command = [sys.executable, "-m", f"bench.bench_{name}", *(["--quick"] if quick else [])]
        finished = subprocess.run(command, cwd=common.BENCH_DIR.parent, check=False)
        sys.stdout.write("\n")
        if finished.returncode or not result_file.exists():
            failed.append(name)
            sections.append(f"## {name}\n\nFailed (exit status {finished.returncode}).\n")
        else:
            sections.append(result_file.read_text(encoding="utf-8"))
    now = datetime.datetime.now(datetime.timezone.utc)
    header = [
        "# Benchmark results",
        "",
        f"`{'python -m bench' + (' --quick' if quick else '')}` (`make bench`), "
        f"{now:%Y-%m-%d %H:%M} UTC, {common.machine()}, "
        f"{time.monotonic() - started:.0f} s in all.",
        "",
    ]
    common.RESULTS_DIR.mkdir(exist_ok=True)
    latest = common.RESULTS_DIR / "latest.md"
    latest.write_text("\n".join([*header, *sections]), encoding="utf-8")
    sys.stdout.write(f"Wrote {latest.relative_to(common.BENCH_DIR.parent)}")
    sys.stdout.write(f"; failed: {', '.join(failed)}\n" if failed else "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
