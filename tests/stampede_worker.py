"""A worker process for the stampede test: a Django process that refreshes on command.

Kept free of module-level Django imports so that ``multiprocessing`` can start it with
``spawn`` before Django is configured.
"""

from __future__ import annotations

import threading
from typing import Any


def call_from_threads(account_pk: int, threads: int, barrier: Any) -> list[str]:
    """Start ``threads`` callers that meet at ``barrier`` and each ask for a usable token."""
    from django.db import connections

    from coolsms_oauth_django import refresh

    tokens: list[str] = []
    errors: list[BaseException] = []

    def caller() -> None:
        try:
            barrier.wait(30)
            tokens.append(refresh.current_token(account_pk))
        except BaseException as err:  # reported to the test, never swallowed
            errors.append(err)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=caller) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]
    return tokens


def serve(
    connection: Any, database: str, db_name: str, coolsms: dict[str, Any], barrier: Any
) -> None:
    """Set Django up against the test database, then answer ``(account_pk, threads)`` rounds."""
    from tests.helpers.reliability import setup_django_child

    setup_django_child(database, db_name, coolsms)
    connection.send("ready")
    while True:
        command = connection.recv()
        if command is None:
            break
        account_pk, threads = command
        try:
            connection.send(("ok", call_from_threads(account_pk, threads, barrier)))
        except BaseException as err:
            connection.send(("error", f"{type(err).__name__}: {err}"))
