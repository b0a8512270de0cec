"""Celery worker processes of :mod:`tests.helpers.celery_app`, for a test or a benchmark."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
#: The broker: a Redis database of the tests' own, so their queues meet no other keys.
REDIS_URL = "redis://127.0.0.1:6379/11"
ON_CI = os.environ.get("CI") == "true"


def forget_queue(queue: str) -> None:
    """Delete ``queue`` from the broker with the bindings Celery made for it."""
    import redis

    redis.Redis.from_url(REDIS_URL).delete(
        queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
    )


def celery_or_skip() -> None:
    """Skip, saying why, when Celery is not installed or the broker does not answer (not on CI)."""
    try:
        import celery  # noqa: F401
        import redis
    except ImportError as err:
        if ON_CI:
            raise
        pytest.skip(f"Celery is not installed ({err}); pip install -e '.[test]'")
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as err:
        if ON_CI:
            raise
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {err}")


class Workers:
    """``count`` worker processes (solo pool) on the queue ``env`` names.

    ``env`` also names the database and ``COOLSMS_OAUTH`` (see :mod:`tests.helpers.celery_app`).
    """

    def __init__(self, env: dict[str, str], count: int) -> None:
        self.processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    *("-m", "celery", "-A", "tests.helpers.celery_app", "worker"),
                    *("--pool", "solo", "-n", f"w{n}-{uuid.uuid4().hex[:8]}@%h"),
                    *("--without-gossip", "--without-mingle", "--loglevel", "WARNING"),
                    *("-Q", env["COOLSMS_CELERY_QUEUE"]),
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(count)
        ]

    def stop(self) -> str:
        """Stop every worker (warm shutdown, killed after 30 s); return what they wrote."""
        errors = ""
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                _, written = process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                _, written = process.communicate()
            errors += written
        return errors
