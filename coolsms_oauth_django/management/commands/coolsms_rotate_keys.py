"""``manage.py coolsms_rotate_keys``: re-encrypt every stored token with the first key.

Put the new key first in ``COOLSMS_OAUTH['ENCRYPTION_KEYS']`` (keeping the old ones after
it), deploy, run this command, then drop the old keys.

Rows are read as raw ciphertext in batches by primary key, without locks, and re-encrypted in
Python; each batch is then written in its own short transaction with one ``executemany`` of
compare-and-set updates: a row is rewritten only if both its ciphertexts are still the ones
read (both queries live in :mod:`coolsms_oauth_django.accounts`). A row a refresh changed
meanwhile is left as the refresh wrote it (already with the first key), so a rotation never
puts back a token a refresh replaced, and the site's refreshes never wait for the encryption
work. One worker thread encrypts the next batch while this thread writes the last one (all
queries stay on this thread's connection); memory stays flat: two batches at most are held.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import router

from coolsms_oauth_django import accounts
from coolsms_oauth_django.exceptions import DecryptionError
from coolsms_oauth_django.fields import rotate
from coolsms_oauth_django.models import CoolSMSAccount

#: Larger batches cost fewer commits and round trips; each holds its rows for tens of ms.
DEFAULT_BATCH_SIZE = 2000


@dataclass
class Tally:
    rotated: int = 0
    changed: int = 0
    unreadable: int = 0


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored CoolSMS token with the first key of "
        "COOLSMS_OAUTH['ENCRYPTION_KEYS']. Safe to run while the site serves."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Rows per transaction (default {DEFAULT_BATCH_SIZE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        using = router.db_for_write(CoolSMSAccount)
        tally = Tally()
        # The next batch is encrypted in a worker thread while this one is written: the
        # database work and the encryption overlap, on the one connection of this thread.
        with ThreadPoolExecutor(max_workers=1) as encryptor:
            rows = accounts.ciphertext_batch(None, batch_size, using=using)
            pending: Future[list[accounts.Reencrypted]] | None = encryptor.submit(
                self._rotated, rows, tally
            )
            while pending is not None:
                batch = pending.result()
                pending = None
                if len(rows) == batch_size:
                    rows = accounts.ciphertext_batch(rows[-1][0], batch_size, using=using)
                    pending = encryptor.submit(self._rotated, rows, tally)
                written = accounts.replace_ciphertexts(batch, using=using)
                tally.rotated += written
                tally.changed += len(batch) - written
        self.stdout.write(
            f"Re-encrypted {tally.rotated} account(s); {tally.unreadable} unreadable"
            + (f"; {tally.changed} changed meanwhile (left as written)" if tally.changed else "")
            + "."
        )

    def _rotated(self, rows: list[tuple[Any, ...]], tally: Tally) -> list[accounts.Reencrypted]:
        """Return the rows' tokens encrypted with the first key; report rows no key opens."""
        batch: list[accounts.Reencrypted] = []
        for pk, access, refresh in rows:
            try:
                written = (rotate(access), None if refresh is None else rotate(refresh))
            except DecryptionError:
                tally.unreadable += 1
                self.stderr.write(f"Account {pk}: no configured key opens its tokens.")
                continue
            batch.append(accounts.Reencrypted(pk, (access, refresh), written))
        return batch
