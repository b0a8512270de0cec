"""The reliability suite's tools: sandbox-backed flows, fault lists, secret scans, outages.

The functions that run in child processes import Django inside themselves, so
``multiprocessing`` can start them with ``spawn`` before Django is configured.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

#: The client-side timeout the fault tests use, in seconds.
FAULT_TIMEOUT = 0.5

#: Loggers the leak checks open up to DEBUG (Django's own config caps ``django`` at INFO).
DEBUG_LOGGERS = (
    "",
    "django",
    "django.db.backends",
    "django.request",
    "django.security",
    "urllib3",
    "coolsms_oauth_django",
    "coolsms_oauth_django.sandbox",
)


def fault_kinds(timeout: float = FAULT_TIMEOUT) -> dict[str, dict[str, Any]]:
    """Return the faults every operation is tried with, as ``Sandbox.inject_fault`` options."""
    return {
        "500": {
            "status": 500,
            "body": {"errorCode": "InternalError", "errorMessage": "internal error"},
        },
        "502-html": {
            "status": 502,
            "body": "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>",
            "content_type": "text/html",
        },
        "503": {"status": 503, "body": "Service Unavailable", "content_type": "text/plain"},
        # The server holds the request far longer than the client waits.
        "timeout": {"delay": timeout * 6},
        "dropped-connection": {"drop": True},
        "malformed-json": {"status": 200, "body": '{"access_token": "x", "token_type": '},
        # The real answer comes, but just after the client stopped waiting.
        "slow-answer": {"delay": timeout * 1.6},
    }


#: Faults after which a second try may succeed (``malformed-json`` is a protocol error).
PASSING_FAULTS = frozenset(
    {"500", "502-html", "503", "timeout", "dropped-connection", "slow-answer"}
)


def debug_logging(caplog: pytest.LogCaptureFixture) -> None:
    """Capture every log record at DEBUG, SQL statements included."""
    from django.db import connections

    for name in DEBUG_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    for connection in connections.all():
        connection.force_debug_cursor = True


def reset_debug_cursors() -> None:
    """Undo :func:`debug_logging`'s SQL logging."""
    from django.db import connections

    for connection in connections.all():
        connection.force_debug_cursor = False


@contextmanager
def sandbox_at_debug(caplog: pytest.LogCaptureFixture, **overrides: Any) -> Iterator[Any]:
    """Run an auto-approving sandbox with the app pointed at it and every log at DEBUG."""
    from django.test import override_settings

    from coolsms_oauth_django.sandbox import Sandbox

    from .accounts import sandbox_settings

    with (
        Sandbox(auto_approve=True) as running,
        override_settings(COOLSMS_OAUTH=sandbox_settings(running, **overrides)),
    ):
        debug_logging(caplog)
        try:
            yield running
        finally:
            reset_debug_cursors()


def exception_texts(error: BaseException | None) -> list[str]:
    """Return ``str()`` and ``repr()`` of an exception and of every exception behind it."""
    texts: list[str] = []
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        texts += [str(error), repr(error)]
        for name in ("description", "error_code", "error_message"):
            value = getattr(error, name, None)
            if isinstance(value, str):
                texts.append(value)
        error = error.__cause__ or error.__context__
    return texts


def leaked(secrets: Iterable[str | None], texts: Iterable[str | bytes]) -> list[str]:
    """Return a description of every secret found in any of ``texts`` (empty when clean)."""
    wanted = [secret for secret in secrets if secret]
    found: list[str] = []
    for index, text in enumerate(texts):
        haystack = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        for secret in wanted:
            if secret in haystack:
                found.append(f"text #{index} holds a secret beginning {secret[:6]!r}")
    return found


def code_of(location: str) -> str:
    """Return the ``code`` parameter of a redirect back from the provider."""
    return parse_qs(urlsplit(location).query)["code"][0]


def site_path(location: str) -> str:
    """Return the path and query of an absolute callback URL, for Django's test client."""
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def authorize(sandbox: Any, params: dict[str, str]) -> str:
    """Send the authorize request to an auto-approving sandbox; return the redirect location."""
    import requests

    with requests.get(
        sandbox.base_url + "/oauth2/v1/authorize", params=params, allow_redirects=False, timeout=10
    ) as answer:
        assert answer.status_code == 302, answer.text
        return str(answer.headers["Location"])


@contextmanager
def failing_writes(
    table: str, *, statements: tuple[str, ...] = ("INSERT", "UPDATE")
) -> Iterator[list[str]]:
    """Make every ``statements`` query on ``table`` fail as if the database went away.

    Yield the list of refused statements' first words (their SQL may hold ciphertext only,
    but nothing else is kept).
    """
    from django.db import OperationalError, connection

    refused: list[str] = []

    def wrapper(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        words = sql.lstrip().split(None, 1)
        verb = words[0].upper() if words else ""
        if verb in statements and table in sql:
            refused.append(verb)
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield refused


@contextmanager
def unreachable_table(table: str) -> Iterator[list[str]]:
    """Make every query that names ``table`` fail, as if the database were unreachable."""
    with failing_writes(table, statements=("SELECT", "INSERT", "UPDATE", "DELETE")) as refused:
        yield refused


# --- Child processes -------------------------------------------------------------------------


#: The site users (each with a CoolSMS member of their own) of the parallel connect flows.
USERS = 16

#: The Redis database of the multi-process test's cache sessions.
SESSION_REDIS_URL = "redis://127.0.0.1:6379/13"


def members() -> list[Any]:
    """Return ``USERS`` sandbox members, one for each site user of the parallel flows."""
    from coolsms_oauth_django.sandbox import SandboxUser

    return [
        SandboxUser(
            member_id=f"MEM0PARALLEL{number:04d}",
            login=f"member{number}@sandbox.coolsms.test",
            password=f"pw-{number}",
            name=f"Member {number}",
            phone_number=f"0100000{number:04d}",
            email=f"member{number}@sandbox.coolsms.test",
            account_id=f"ACC0PARALLEL{number:04d}",
        )
        for number in range(USERS)
    ]


def setup_django_child(database: str, db_name: str, coolsms: dict[str, Any]) -> None:
    """Configure Django in a spawned child against the parent's test database."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    os.environ["COOLSMS_TEST_DATABASE"] = database
    import django
    from django.conf import settings

    django.setup()
    settings.DATABASES["default"]["NAME"] = db_name
    settings.COOLSMS_OAUTH = coolsms


def refresh_then_die(database: str, db_name: str, coolsms: dict[str, Any], account_pk: int) -> None:
    """Refresh ``account_pk`` and kill this process once the token endpoint has answered.

    The process ends with ``os._exit`` between the token response and the commit: no
    ``finally`` block, no rollback, no atexit handler runs; the database sees its
    connection drop in the middle of the transaction.
    """
    setup_django_child(database, db_name, coolsms)
    from coolsms_oauth_django import oauth, refresh

    real = oauth.refresh_tokens

    def answer_then_die(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        os._exit(17)

    oauth.refresh_tokens = answer_then_die  # type: ignore[assignment]
    refresh.refresh_account(account_pk, force=True)
    os._exit(0)  # not reached: the hook ends the process first


def report_of(call: Callable[[], Any]) -> tuple[BaseException, list[str]]:
    """Run ``call``; return what it raised and Django's HTML and text reports of it."""
    try:
        call()
    except Exception as err:
        error: BaseException = err
    else:
        raise AssertionError("the call did not fail")
    from django.views.debug import ExceptionReporter

    reporter = ExceptionReporter(None, type(error), error, error.__traceback__)
    return error, [reporter.get_traceback_html(), reporter.get_traceback_text()]
