"""``manage.py coolsms_rotate_keys``: re-encrypt every stored token with the first key.

Put the new key first in ``COOLSMS_OAUTH['ENCRYPTION_KEYS']`` (keeping the old ones after
it), deploy, run this command, then drop the old keys.

Rows are read as raw ciphertext in batches by primary key, without locks, and re-encrypted in
Python; each batch is then written in its own short transaction with one ``executemany`` of
compare-and-set updates: a row is rewritten only if both its ciphertexts are still the ones
read. A row a refresh changed meanwhile is left as the refresh wrote it (already with the
first key), so a rotation never puts back a token a refresh replaced, and the site's
refreshes never wait for the encryption work. On a database server, the next batch is read
and encrypted while the previous one is written, on a second connection; inside a caller's
transaction, or on SQLite, everything runs on the caller's connection in turn. Memory stays
flat: at most a few batches are held at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, models, router, transaction
from django.db.models.functions import Cast

from coolsms_oauth_django.exceptions import DecryptionError
from coolsms_oauth_django.fields import rotate
from coolsms_oauth_django.models import TOKEN_FIELDS, CoolSMSAccount

DEFAULT_BATCH_SIZE = 500
#: Batches read ahead of the writer at most.
READ_AHEAD = 2
#: Seconds a thread waits on the other before it looks again whether that one has stopped.
WAIT = 0.1
WRITER_THREAD = "coolsms_rotate_keys writer"


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
        connection = connections[using]
        tally = Tally()
        batches = self._rotated_batches(using, batch_size, tally)
        if connection.features.has_select_for_update and not connection.in_atomic_block:
            self._write_alongside(using, batches, tally)
        else:
            for batch in batches:
                self._write(using, batch, tally)
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

    def _rotated_batches(self, using: str, size: int, tally: Tally) -> Iterator[list[Rotated]]:
        """Read the table batch by batch and yield each batch re-encrypted."""
        last_pk: Any = None
        while True:
            rows = self._read(using, last_pk, size)
            batch: list[Rotated] = []
            for pk, access, refresh in rows:
                try:
                    written = (rotate(access), None if refresh is None else rotate(refresh))
                except DecryptionError:
                    tally.unreadable += 1
                    self.stderr.write(f"Account {pk}: no configured key opens its tokens.")
                    continue
                batch.append(Rotated(pk, (access, refresh), written))
            yield batch
            if len(rows) < size:
                return
            last_pk = rows[-1][0]

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

    def _write_alongside(self, using: str, batches: Iterator[list[Rotated]], tally: Tally) -> None:
        """Write each batch on a second connection while the next one is read and encrypted.

        However the reading ends (done, an error, Ctrl-C), the writer writes what was handed
        to it, closes its connection and is joined; an error of the writer stops the reading
        and is raised here.
        """
        pending: queue.Queue[list[Rotated]] = queue.Queue(maxsize=READ_AHEAD)
        failures: list[BaseException] = []
        reading_done = threading.Event()
        writer_stopped = threading.Event()

        def writer() -> None:
            try:
                while True:
                    try:
                        batch = pending.get(timeout=WAIT)
                    except queue.Empty:
                        if reading_done.is_set():
                            return
                        continue
                    self._write(using, batch, tally)
            except BaseException as err:  # raised in the reading thread
                failures.append(err)
            finally:
                writer_stopped.set()
                connections[using].close()

        thread = threading.Thread(target=writer, name=WRITER_THREAD, daemon=True)
        thread.start()
        try:
            for batch in batches:
                while not writer_stopped.is_set():
                    try:
                        pending.put(batch, timeout=WAIT)
                        break
                    except queue.Full:
                        continue
                if writer_stopped.is_set():
                    break
        finally:
            reading_done.set()
            thread.join()
        if failures:
            raise failures[0]
