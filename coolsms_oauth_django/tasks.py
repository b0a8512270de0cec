"""Refresh tokens from a task queue: Celery, or Django's tasks framework (Django 6.0+).

Two plain functions do the work, and neither imports a task engine:

- :func:`refresh_batch` refreshes one batch of connections (by primary key) and returns what
  happened, counted by reason, as JSON data;
- :func:`enqueue_due` is the fan-out: it reads the connections due within a window, soonest
  expiry first and at most ``limit`` of them, and hands them to ``enqueue`` batch by batch.

Any number of workers may run batches at once, and a fan-out may overlap the last one or a
user's request: each account is refreshed under its row lock and only while it is still due,
so it is never refreshed twice.

With **Celery**, register both on your app (in the module that creates it)::

    from coolsms_oauth_django import tasks

    refresh_batch, refresh_due = tasks.celery_tasks(app)
    app.conf.beat_schedule = {
        "coolsms-refresh": {"task": "coolsms_oauth.refresh_due", "schedule": 3600},
    }

With **Django's tasks framework** (Django 6.0 and later), :data:`refresh_batch_task` and
:data:`refresh_due_task` are tasks of the default backend; enqueue ``refresh_due_task``
hourly from your scheduler. On older Django they are ``None``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from . import accounts
from .bulk_refresh import DEFAULT_WINDOW, refresh_many

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_WINDOW",
    "celery_tasks",
    "enqueue_due",
    "refresh_batch",
    "refresh_batch_task",
    "refresh_due_task",
]

#: Connections per task.
DEFAULT_BATCH_SIZE = 200


def refresh_batch(account_pks: list[int], window: float = DEFAULT_WINDOW) -> dict[str, Any]:
    """Refresh the connections ``account_pks`` that are still due within ``window`` seconds.

    One session kept alive for the whole batch. Return the outcome as JSON data:
    ``{"refreshed": n, "reconnect": n, "failures": {reason: n}}``; one failure does not stop
    the others, and none is raised.
    """
    return refresh_many(account_pks, leeway=window).as_dict()


def enqueue_due(
    enqueue: Callable[[list[int]], object],
    *,
    window: float = DEFAULT_WINDOW,
    batch_size: int = DEFAULT_BATCH_SIZE,
    limit: int | None = None,
) -> int:
    """Call ``enqueue(batch)`` for each batch of connections due within ``window`` seconds.

    Soonest expiry first, at most ``limit`` connections in all (``None``: every due one), so
    a run's load is bounded and the rest waits for the next run. Return how many were
    enqueued. ``enqueue`` is typically a task's ``delay`` or ``enqueue``, bound to the window.
    """
    count = 0
    for batch in accounts.due_batches(window, batch_size=batch_size, limit=limit):
        enqueue(batch)
        count += len(batch)
    return count


def celery_tasks(app: Any) -> tuple[Any, Any]:
    """Register ``coolsms_oauth.refresh_batch`` and ``coolsms_oauth.refresh_due`` on ``app``.

    ``app`` is a ``celery.Celery`` application; return the two tasks. ``refresh_due`` takes
    ``window``, ``batch_size`` and ``limit`` as :func:`enqueue_due` does and enqueues one
    ``refresh_batch`` per batch on the default queue (route them as for any task).
    """

    @app.task(name="coolsms_oauth.refresh_batch", ignore_result=True)  # type: ignore[untyped-decorator]
    def celery_refresh_batch(account_pks: list[int], window: float = DEFAULT_WINDOW) -> Any:
        return refresh_batch(account_pks, window)

    @app.task(name="coolsms_oauth.refresh_due", ignore_result=True)  # type: ignore[untyped-decorator]
    def celery_refresh_due(
        window: float = DEFAULT_WINDOW,
        batch_size: int = DEFAULT_BATCH_SIZE,
        limit: int | None = None,
    ) -> int:
        return enqueue_due(
            lambda batch: celery_refresh_batch.delay(batch, window),
            window=window,
            batch_size=batch_size,
            limit=limit,
        )

    return celery_refresh_batch, celery_refresh_due


def _django_tasks() -> Any:
    try:
        return importlib.import_module("django.tasks")
    except ImportError:  # Django before 6.0
        return None


_framework = _django_tasks()

#: :func:`refresh_batch` as a task of Django's tasks framework (``None`` before Django 6.0).
refresh_batch_task: Any = None
#: The fan-out as a task of Django's tasks framework: each batch becomes a
#: :data:`refresh_batch_task` (``None`` before Django 6.0).
refresh_due_task: Any = None

# The same two tasks as celery_tasks() makes, alike by design: each framework needs its own
# functions, and both call refresh_batch() and enqueue_due(), where the work is.
if _framework is not None:

    def _refresh_batch(account_pks: list[int], window: float = DEFAULT_WINDOW) -> dict[str, Any]:
        return refresh_batch(account_pks, window)

    def _refresh_due(
        window: float = DEFAULT_WINDOW,
        batch_size: int = DEFAULT_BATCH_SIZE,
        limit: int | None = None,
    ) -> int:
        return enqueue_due(
            lambda batch: refresh_batch_task.enqueue(batch, window),
            window=window,
            batch_size=batch_size,
            limit=limit,
        )

    refresh_batch_task = _framework.task(_refresh_batch)
    refresh_due_task = _framework.task(_refresh_due)
