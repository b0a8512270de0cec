"""``manage.py coolsms_sandbox``: run the CoolSMS sandbox next to a Django project."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from coolsms_oauth_django.sandbox import cli


class Command(BaseCommand):
    """Serve the local CoolSMS sandbox until interrupted."""

    help = (
        "Serve a local CoolSMS-compatible OAuth2 provider and API, print its base URL, "
        "client credentials and users, and run until Ctrl-C."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Add the same options as ``python -m coolsms_oauth_django.sandbox``."""
        cli.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        """Start the sandbox and serve until interrupted."""
        try:
            sandbox = cli.build_sandbox(options)
        except ValueError as err:
            raise CommandError(str(err)) from err
        cli.serve(sandbox, self.stdout, err=self.stderr)
