"""Starting ``example_project/demo.py`` as ``make demo`` does, for the demo and browser tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "example_project" / "demo.py"
#: The end of the launcher's banner (the sandbox prints a "Press Ctrl-C" of its own first).
BANNER_END = "Press Ctrl-C to stop.\n="


def demo_env(workdir: Path, site_port: int, sandbox_port: int, **environ: str) -> dict[str, str]:
    """Return the demo's environment: its ports, its database in ``workdir``, and ``environ``.

    The suite's own ``COOLSMS_*`` variables and settings module are left out, as a developer's
    shell would not have them.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("COOLSMS_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        DEMO_PORT=str(site_port),
        SANDBOX_PORT=str(sandbox_port),
        DEMO_DB_PATH=str(workdir / "db.sqlite3"),
        PYTHONUNBUFFERED="1",
        **environ,
    )
    return env


def start_demo(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start the demo launcher in a session of its own, its output going to ``log_path``."""
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [sys.executable, str(DEMO)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_for_banner(launcher: subprocess.Popen[bytes], log_path: Path, timeout: float) -> str:
    """Wait until the launcher has printed its banner and return its output so far.

    Fails the test with the output when the launcher exits first or ``timeout`` passes.
    """
    deadline = time.monotonic() + timeout
    while BANNER_END not in (output := log_path.read_text(errors="replace")):
        if launcher.poll() is not None or time.monotonic() > deadline:
            pytest.fail("the demo did not start:\n" + output)
        time.sleep(0.2)
    return output
