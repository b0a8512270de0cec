"""``manage.py coolsms_refresh_tokens``: refresh tokens ahead of expiry, for cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from coolsms_oauth_django import accounts, refresh
from coolsms_oauth_django.exceptions import (
    CoolSMSOAuthError,
    DecryptionError,
    ReconnectRequired,
)

DEFAULT_WINDOW = 3600


class Command(BaseCommand):
    help = (
        "Refresh the access token of every active CoolSMS connection that expires within "
        "the given number of seconds. One failure does not stop the others."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expiring-within",
            type=int,
            default=DEFAULT_WINDOW,
            metavar="SECONDS",
            help=f"Refresh tokens expiring within this many seconds (default {DEFAULT_WINDOW}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        window: int = options["expiring_within"]
        refreshed = reconnect = failed = 0
        for account_pk in accounts.due_account_pks(window):
            try:
                # The window is the leeway: a token another worker refreshed meanwhile is kept.
                refresh.refresh_account(account_pk, leeway=window)
            except DecryptionError:
                failed += 1
                self.stderr.write(f"Account {account_pk}: no configured key opens its tokens.")
            except ReconnectRequired:
                reconnect += 1
                self.stderr.write(f"Account {account_pk}: the user must connect again.")
            except CoolSMSOAuthError as err:
                failed += 1
                self.stderr.write(f"Account {account_pk}: {type(err).__name__}: {err}")
            else:
                refreshed += 1
        self.stdout.write(f"Refreshed {refreshed}, needs reconnect {reconnect}, failed {failed}.")
