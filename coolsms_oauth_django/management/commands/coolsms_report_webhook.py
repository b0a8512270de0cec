"""``manage.py coolsms_report_webhook USERNAME --site-url URL``: have CoolSMS report to this site.

Registers the user's report URL (``coolsms_oauth:reports``) as a ``SINGLE-REPORT`` webhook of
their CoolSMS account, and removes the account's webhooks that point at an older report URL
of the same member on this site (after ``REPORT_SECRETS`` was rotated). ``--remove`` removes
them all instead. Needs the scopes ``webhook:read`` and ``webhook:write``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import accounts, get_coolsms_session
from ...exceptions import CoolSMSOAuthError
from ...report_endpoint import register_report_url, report_url


class Command(BaseCommand):
    help = "Register (or remove) a connected user's delivery report URL with CoolSMS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the site user whose CoolSMS account reports")
        parser.add_argument(
            "--site-url",
            required=True,
            help="this site's address as CoolSMS reaches it, such as https://example.com",
        )
        parser.add_argument(
            "--remove", action="store_true", help="remove this site's report URLs instead"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        try:
            user = user_model.objects.get(**{user_model.USERNAME_FIELD: options["username"]})
        except user_model.DoesNotExist as err:
            raise CommandError(f"No user {options['username']!r}.") from err
        account = accounts.account_of(user)
        if account is None or not account.member_id:
            raise CommandError(f"{options['username']!r} has not connected a CoolSMS account.")
        try:
            url = report_url(account.member_id, options["site_url"])
            with get_coolsms_session(user) as session:
                registered, removed = register_report_url(
                    session, account.member_id, options["site_url"], remove=options["remove"]
                )
        except ValueError as err:
            raise CommandError(str(err)) from err
        except CoolSMSOAuthError as err:
            raise CommandError(f"CoolSMS refused: {err}") from err
        if options["remove"]:
            self.stdout.write(f"Removed {removed} report URL(s).")
            return
        self.stdout.write(f"Registered {url}" if registered else f"Already registered: {url}")
        if removed:
            self.stdout.write(f"Removed {removed} older report URL(s).")
