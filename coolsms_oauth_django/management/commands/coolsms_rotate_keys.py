"""``manage.py coolsms_rotate_keys``: re-encrypt every stored token with the first key.

Put the new key first in ``COOLSMS_OAUTH['ENCRYPTION_KEYS']`` (keeping the old ones after
it), deploy, run this command, then drop the old keys.

Rows are read as raw ciphertext in batches by primary key, without locks, and re-encrypted in
Python; each batch is then written in its own short transaction with one ``executemany`` of
compare-and-set updates: a row is rewritten only if both its ciphertexts are still the ones
read. A row a refresh changed meanwhile is left as the refresh wrote it (already with the
first key), so a rotation never puts back a token a refresh replaced, and the site's
refreshes never wait for the encryption work. Memory stays flat: one batch is held at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, models, router, transaction
from django.db.models.functions import Cast

from coolsms_oauth_django.exceptions import DecryptionError
from coolsms_oauth_django.fields import rotate
from coolsms_oauth_django.models import TOKEN_FIELDS, CoolSMSAccount

DEFAULT_BATCH_SIZE = 500


def _column(name: str) -> str:
    model_field = CoolSMSAccount._meta.get_field(name)
    assert isinstance(model_field, models.Field) and model_field.column
    return model_field.column


@dataclass(frozen=True)
class Rotated:
    """One row's ciphertexts as read, and the same tokens encrypted with the first key."""

    pk: Any
    read: tuple[str, str | None]
    written: tuple[str, str | None]


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
        last_pk: Any = None
        while True:
            rows = self._read(using, last_pk, batch_size)
            self._write(using, self._rotated(rows, tally), tally)
            if len(rows) < batch_size:
                break
            last_pk = rows[-1][0]
        self.stdout.write(
            f"Re-encrypted {tally.rotated} account(s); {tally.unreadable} unreadable"
            + (f"; {tally.changed} changed meanwhile (left as written)" if tally.changed else "")
            + "."
        )

    @staticmethod
    def _read(using: str, last_pk: Any, size: int) -> list[tuple[Any, ...]]:
        """Return the next ``size`` rows after ``last_pk`` as raw ciphertext (no lock)."""
        rows = CoolSMSAccount.objects.using(using).order_by("pk")
        if last_pk is not None:
            rows = rows.filter(pk__gt=last_pk)
        # Cast to a plain TextField so the ciphertext is not decrypted on the way out.
        raw = rows.annotate(
            **{f"raw_{name}": Cast(name, models.TextField()) for name in TOKEN_FIELDS}
        )
        return list(raw.values_list("pk", *(f"raw_{name}" for name in TOKEN_FIELDS))[:size])

    def _rotated(self, rows: list[tuple[Any, ...]], tally: Tally) -> list[Rotated]:
        """Return the rows' tokens encrypted with the first key; report rows no key opens."""
        batch: list[Rotated] = []
        for pk, access, refresh in rows:
            try:
                written = (rotate(access), None if refresh is None else rotate(refresh))
            except DecryptionError:
                tally.unreadable += 1
                self.stderr.write(f"Account {pk}: no configured key opens its tokens.")
                continue
            batch.append(Rotated(pk, (access, refresh), written))
        return batch

    @staticmethod
    def _write(using: str, batch: list[Rotated], tally: Tally) -> None:
        """Write a batch's new ciphertexts where the row still holds the ones read.

        The values go in as they are (no encryption on the way in): one transaction, one
        ``executemany`` per shape of row (with and without a refresh token).
        """
        if not batch:
            return
        connection = connections[using]
        quote = connection.ops.quote_name
        table = quote(CoolSMSAccount._meta.db_table)
        pk = quote(CoolSMSAccount._meta.pk.column)
        access, refresh = (quote(_column(name)) for name in TOKEN_FIELDS)
        # Only quoted identifiers from the model are interpolated; the values are parameters.
        update = (
            f"UPDATE {table} SET {access} = %s, {refresh} = %s "  # noqa: S608
            f"WHERE {pk} = %s AND {access} = %s"
        )
        with_refresh = [row for row in batch if row.read[1] is not None]
        without_refresh = [row for row in batch if row.read[1] is None]
        written = 0
        with transaction.atomic(using=using), connection.cursor() as cursor:
            if with_refresh:
                cursor.executemany(
                    f"{update} AND {refresh} = %s",
                    [[*row.written, row.pk, *row.read] for row in with_refresh],
                )
                written += cursor.rowcount
            if without_refresh:
                cursor.executemany(
                    f"{update} AND {refresh} IS NULL",
                    [[*row.written, row.pk, row.read[0]] for row in without_refresh],
                )
                written += cursor.rowcount
        tally.rotated += written
        tally.changed += len(batch) - written
