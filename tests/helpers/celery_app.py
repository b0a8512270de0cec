"""The Celery app of the task-queue test: its workers and the test itself load it.

The broker is :data:`~tests.helpers.celery_workers.REDIS_URL`. A worker's environment names
its queue (``COOLSMS_CELERY_QUEUE``: the fan-out enqueues its batches there), the database
and ``COOLSMS_OAUTH`` (``COOLSMS_CELERY_DATABASE``, ``COOLSMS_CELERY_OAUTH``); the sending
side names the queue in ``apply_async``.
"""

from __future__ import annotations

import json
import os

from celery import Celery

if "COOLSMS_CELERY_DATABASE" in os.environ:
    from tests.helpers.reliability import setup_django_child

    setup_django_child(
        "postgres",
        os.environ["COOLSMS_CELERY_DATABASE"],
        json.loads(os.environ["COOLSMS_CELERY_OAUTH"]),
    )

from tests.helpers.celery_workers import REDIS_URL

app = Celery("coolsms_oauth_test", broker=REDIS_URL)
if "COOLSMS_CELERY_QUEUE" in os.environ:
    app.conf.task_default_queue = os.environ["COOLSMS_CELERY_QUEUE"]
# One batch at a time per worker, so the batches spread over both workers.
app.conf.worker_prefetch_multiplier = 1
app.conf.broker_connection_retry_on_startup = True

# Only now: the tasks module needs Django set up.
from coolsms_oauth_django import tasks  # noqa: E402

refresh_batch, refresh_due = tasks.celery_tasks(app)
