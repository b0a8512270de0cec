"""``manage.py coolsms_refresh_tokens``: refresh tokens ahead of expiry, for cron."""

from __future__ import annotations

import itertools
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, router

from coolsms_oauth_django import accounts
from coolsms_oauth_django.bulk_refresh import DEFAULT_WINDOW, Tally, refresh_many
from coolsms_oauth_django.models import CoolSMSAccount

#: Worker threads: each mostly waits for the token endpoint, so a few keep it busy.
DEFAULT_CONCURRENCY = 8
DEFAULT_BATCH_SIZE = 500


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Refresh the access token of every active CoolSMS connection that expires within "
        "the given number of seconds, soonest expiry first, with several worker threads. "
        "One failure does not stop the others."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expiring-within",
            type=int,
            default=DEFAULT_WINDOW,
            metavar="SECONDS",
            help=f"Refresh tokens expiring within this many seconds (default {DEFAULT_WINDOW}).",
        )
        parser.add_argument(
            "--concurrency",
            type=_positive,
            default=None,
            metavar="N",
            help=(
                f"Refresh with N worker threads on kept-alive connections (default "
                f"{DEFAULT_CONCURRENCY}; 1 on SQLite, which takes one writer at a time)."
            ),
        )
        parser.add_argument(
            "--batch-size",
            type=_positive,
            default=DEFAULT_BATCH_SIZE,
            metavar="N",
            help=f"Read the due connections N at a time (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument(
            "--limit",
            type=_positive,
            default=None,
            metavar="N",
            help=(
                "Refresh at most N connections, the soonest to expire; the next run goes on "
                "with the rest (default: all that are due)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        window: int = options["expiring_within"]
        concurrency: int = options["concurrency"] or self.default_concurrency()
        if concurrency > 1 and connections[router.db_for_write(CoolSMSAccount)].vendor == "sqlite":
            raise CommandError("SQLite takes one writer at a time: use --concurrency 1.")
        batches = accounts.due_batches(
            window, batch_size=options["batch_size"], limit=options["limit"]
        )
        tty = self.stdout.isatty()
        tally = refresh_many(
            itertools.chain.from_iterable(batches),
            leeway=window,
            concurrency=concurrency,
            on_failure=lambda pk, message: self.stderr.write(f"Account {pk}: {message}"),
            on_progress=self.show_progress if tty else None,
        )
        if tty:
            self.stdout.write("\r\033[K", ending="")
        self.stdout.write(tally.summary())
        if tally.failed:
            self.stdout.write(f"Failed by reason: {tally.reasons()}.")

    def default_concurrency(self) -> int:
        using = router.db_for_write(CoolSMSAccount)
        return 1 if connections[using].vendor == "sqlite" else DEFAULT_CONCURRENCY

    def show_progress(self, tally: Tally) -> None:
        """Rewrite one line on the terminal with the counts so far."""
        self.stdout.write(f"\r\033[K{tally.done} done: {tally.summary()}", ending="")
        self.stdout.flush()
