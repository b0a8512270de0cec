"""The refresh stampede's worker processes: Django processes whose threads ask for a token.

Shared by the stampede benchmark and the stampede test: :class:`Workers` starts and drives
the processes, each of which runs :func:`serve`. Kept free of module-level Django imports so
that ``multiprocessing`` can start it with ``spawn`` before Django is configured.
"""

from __future__ import annotations

import datetime
import multiprocessing
import os
import threading
import time
from typing import Any

SINGLE_FLIGHT = "single-flight"
NAIVE = "naive"


def naive_token(account_pk: int) -> str:
    """Return a usable token the way a typical OAuth client integration does, without locking.

    Read the stored token; when it expires soon, refresh it with Authlib's ``OAuth2Session``
    and save what comes back from its ``update_token`` hook.
    """
    import jwt
    from authlib.integrations.requests_client import OAuth2Session

    from coolsms_oauth_django.conf import app_settings
    from coolsms_oauth_django.models import CoolSMSAccount

    config = app_settings()
    account = CoolSMSAccount.objects.get(pk=account_pk)
    if not account.expires_within(config.refresh_leeway):
        return str(account.access_token)

    def save(token: dict[str, Any], refresh_token: str | None = None, **kwargs: Any) -> None:
        claims = jwt.decode(token["access_token"], options={"verify_signature": False})
        account.access_token = token["access_token"]
        account.refresh_token = token.get("refresh_token") or account.refresh_token
        account.expires_at = datetime.datetime.fromtimestamp(claims["exp"], datetime.timezone.utc)
        account.save(update_fields=["access_token", "refresh_token", "expires_at"])

    def raise_for_status(response: Any) -> Any:
        response.raise_for_status()
        return response

    with OAuth2Session(
        config.client_id,
        config.client_secret,
        token_endpoint=config.token_url,
        update_token=save,
    ) as client:
        client.register_compliance_hook("refresh_token_response", raise_for_status)
        token = client.refresh_token(config.token_url, refresh_token=account.refresh_token)
    return str(token["access_token"])


def call_from_threads(mode: str, account_pk: int, threads: int, start_at: float) -> list[Any]:
    """Start ``threads`` callers that all ask for a token at ``start_at`` (``time.time()``).

    Return one ``(ok, seconds waited since start_at, token or error)`` per caller.
    """
    from django.db import connections

    from coolsms_oauth_django import refresh

    results: list[tuple[bool, float, str]] = []

    def caller() -> None:
        try:
            # Connect first (or wait for a pooled connection) so the start is the request.
            connections["default"].ensure_connection()
            time.sleep(max(start_at - time.time(), 0))
            if mode == SINGLE_FLIGHT:
                token = refresh.current_token(account_pk)
            else:
                token = naive_token(account_pk)
            results.append((True, time.time() - start_at, token))
        except Exception as err:  # a failed caller is a figure, not a crash
            results.append((False, time.time() - start_at, f"{type(err).__name__}: {err}"))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=caller) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return results


def serve(
    connection: Any,
    settings_module: str,
    db_name: str,
    coolsms: dict[str, Any],
    pool_size: int,
) -> None:
    """Set Django up on the benchmark's database, then answer rounds until told to stop."""
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django
    from django.conf import settings

    django.setup()
    database = settings.DATABASES["default"]
    database["NAME"] = db_name
    if pool_size:
        # PostgreSQL allows 100 connections here: threads beyond the pool wait for one.
        options = database.setdefault("OPTIONS", {})
        options["pool"] = {"min_size": 0, "max_size": pool_size, "timeout": 120}
    settings.COOLSMS_OAUTH = coolsms
    connection.send("ready")
    while True:
        command = connection.recv()
        if command is None:
            break
        connection.send(call_from_threads(*command))
    connection.close()


class Workers:
    """``processes`` Django worker processes on this process's database and settings module.

    Each is pointed at the ``coolsms`` settings; ``pool_size`` (when not 0) pools each
    process's database connections, for more threads than the database gives connections.
    """

    def __init__(self, coolsms: dict[str, Any], processes: int, pool_size: int = 0) -> None:
        from django.db import connection

        context = multiprocessing.get_context("spawn")
        self.pipes: list[Any] = []
        self.processes: list[Any] = []
        for _ in range(processes):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=serve,
                args=(
                    theirs,
                    os.environ["DJANGO_SETTINGS_MODULE"],
                    connection.settings_dict["NAME"],
                    coolsms,
                    pool_size,
                ),
                daemon=True,
            )
            process.start()
            theirs.close()
            self.pipes.append(ours)
            self.processes.append(process)
        for pipe in self.pipes:
            if not pipe.poll(120) or pipe.recv() != "ready":
                raise RuntimeError("a worker process did not start")

    def round(self, mode: str, account_pk: int, processes: int, threads: int) -> list[Any]:
        """Run one stampede; return every caller's ``(ok, wait, token or error)``."""
        start_at = time.time() + 0.3 + 0.005 * processes * threads
        pipes = self.pipes[:processes]
        for pipe in pipes:
            pipe.send((mode, account_pk, threads, start_at))
        results: list[Any] = []
        for pipe in pipes:
            if not pipe.poll(300):
                raise RuntimeError("a worker process did not answer")
            results += pipe.recv()
        return results

    def close(self) -> None:
        for pipe in self.pipes:
            pipe.send(None)
            pipe.close()
        for process in self.processes:
            process.join(20)
            if process.is_alive():
                process.terminate()
                process.join()
            process.close()
