"""``coolsms_oauth_django.tasks``: one batch, the fan-out, on Celery and Django's tasks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import django
import pytest

from coolsms_oauth_django import tasks
from coolsms_oauth_django.models import CoolSMSAccount

from .helpers.accounts import (
    due_accounts,
    make_account,
    make_user,
    point_at,
    refreshed,
    stored_tokens,
)
from .helpers.celery_workers import Workers
from .helpers.token_server import TokenServer

ROOT = Path(__file__).resolve().parent.parent
ON_CI = os.environ.get("CI") == "true"


def test_the_tasks_module_imports_without_celery() -> None:
    code = (
        "import sys; sys.modules['celery'] = None\n"
        "import django; django.setup()\n"
        "from coolsms_oauth_django import tasks\n"
        "print(tasks.refresh_batch.__name__, tasks.enqueue_due.__name__)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["refresh_batch", "enqueue_due"]


@pytest.mark.django_db
def test_refresh_batch_refreshes_what_is_due_and_counts_the_rest(settings: Any) -> None:
    due = due_accounts(2)
    later = make_account(make_user("later"), expires_in=7200)
    gone = make_account(make_user("gone"), refresh=None, expires_in=-5)
    with TokenServer() as server:
        point_at(settings, server)
        outcome = tasks.refresh_batch([*(a.pk for a in due), later.pk, gone.pk, 10**9])
    assert outcome == {
        "refreshed": 3,
        "reconnect": 1,
        "failures": {"NotConnected": 1},
    }
    assert all(refreshed(due)) and server.calls == 2
    assert stored_tokens(later)[0] == "access-1"
    assert CoolSMSAccount.objects.get(pk=gone.pk).status == CoolSMSAccount.NEEDS_RECONNECT


@pytest.mark.django_db
def test_the_fan_out_enqueues_the_soonest_due_in_batches_up_to_a_limit() -> None:
    due = due_accounts(5)
    make_account(make_user("later"), expires_in=7200)
    enqueued: list[list[int]] = []
    count = tasks.enqueue_due(enqueued.append, batch_size=2, limit=3)
    assert count == 3
    assert enqueued == [[due[0].pk, due[1].pk], [due[2].pk]]


@pytest.mark.django_db
def test_django_tasks_refresh_the_due_through_the_fan_out(settings: Any) -> None:
    if django.VERSION < (6, 0):
        reason = f"Django {django.get_version()} has no tasks framework (django.tasks is 6.0+)"
        print(reason)
        pytest.skip(reason)
    assert tasks.refresh_due_task is not None
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    due = due_accounts(5)
    with TokenServer() as server:
        point_at(settings, server)
        result = tasks.refresh_due_task.enqueue(3600, 2)
    assert result.return_value == 5
    assert all(refreshed(due)) and server.calls == 5


# --- Celery: two worker processes on the local Redis ------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_celery_workers_refresh_every_due_account_once(
    settings: Any, celery_env: dict[str, str]
) -> None:
    from .helpers import celery_app

    made = due_accounts(60)
    with TokenServer(delay=0.01) as server:
        point_at(settings, server)
        celery_env["COOLSMS_CELERY_OAUTH"] = json.dumps(settings.COOLSMS_OAUTH)
        workers = Workers(celery_env, 2)
        try:
            replies: list[Any] = []
            for _ in range(60):
                replies = celery_app.app.control.ping(timeout=1)
                if len(replies) == 2:
                    break
            assert len(replies) == 2, "both workers answer"
            # Two fan-outs at once, as when a run starts before the last one ended.
            queue = celery_env["COOLSMS_CELERY_QUEUE"]
            celery_app.refresh_due.apply_async((3600, 7), queue=queue)
            celery_app.refresh_due.apply_async((3600, 7), queue=queue)
            deadline = time.monotonic() + 120
            while not all(refreshed(made)) and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1)  # any late second refresh would land now
        finally:
            errors = workers.stop()
    assert all(refreshed(made)), f"none missed; the workers said: {errors[-2000:]}"
    assert server.calls == len(made), "none refreshed twice"
    served = [stored_tokens(account)[0] for account in made]
    assert len(set(served)) == len(made)
