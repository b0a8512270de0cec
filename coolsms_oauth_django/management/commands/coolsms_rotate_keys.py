"""``manage.py coolsms_rotate_keys``: re-encrypt every stored token with the first key.

Put the new key first in ``COOLSMS_OAUTH['ENCRYPTION_KEYS']`` (keeping the old ones after
it), deploy, run this command, then drop the old keys. Rows are read as raw ciphertext and
rewritten in batches by primary key, each batch in its own transaction with its rows locked
and written back in one ``executemany``, so memory stays flat and a refresh running meanwhile is
never lost.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, models, router, transaction
from django.db.models.functions import Cast

from coolsms_oauth_django.exceptions import DecryptionError
from coolsms_oauth_django.fields import rotate
from coolsms_oauth_django.models import CoolSMSAccount

DEFAULT_BATCH_SIZE = 500
TOKEN_FIELDS = ("access_token", "refresh_token")


def _column(name: str) -> str:
    field = CoolSMSAccount._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column
    return field.column


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
        rotated = unreadable = 0
        last_pk: Any = None
        while True:
            with transaction.atomic(using=using):
                batch = self._batch(using, last_pk, batch_size)
                fresh: dict[Any, list[str | None]] = {}
                for pk, *ciphertexts in batch:
                    try:
                        fresh[pk] = [
                            rotate(text) if text is not None else None for text in ciphertexts
                        ]
                    except DecryptionError:
                        unreadable += 1
                        self.stderr.write(f"Account {pk}: no configured key opens its tokens.")
                self._write(using, fresh)
                rotated += len(fresh)
            if len(batch) < batch_size:
                break
            last_pk = batch[-1][0]
        self.stdout.write(f"Re-encrypted {rotated} account(s); {unreadable} unreadable.")

    @staticmethod
    def _write(using: str, fresh: dict[Any, list[str | None]]) -> None:
        """Write a batch's new ciphertexts as they are (no encryption on the way in).

        One ``executemany`` per batch: drivers that pipeline it (psycopg 3) send the whole
        batch in one round trip.
        """
        if not fresh:
            return
        connection = connections[using]
        quote = connection.ops.quote_name
        meta = CoolSMSAccount._meta
        columns = ", ".join(f"{quote(_column(name))} = %s" for name in TOKEN_FIELDS)
        # Only quoted identifiers from the model are interpolated; the values are parameters.
        sql = f"UPDATE {quote(meta.db_table)} SET {columns} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.executemany(sql, [[*texts, pk] for pk, texts in fresh.items()])

    @staticmethod
    def _batch(using: str, last_pk: Any, size: int) -> list[tuple[Any, ...]]:
        """Lock and return the next ``size`` rows after ``last_pk`` as raw ciphertext."""
        rows = CoolSMSAccount.objects.using(using).order_by("pk")
        if last_pk is not None:
            rows = rows.filter(pk__gt=last_pk)
        # Cast to a plain TextField so the ciphertext is not decrypted on the way out.
        raw = rows.select_for_update().annotate(
            **{f"raw_{name}": Cast(name, models.TextField()) for name in TOKEN_FIELDS}
        )
        return list(raw.values_list("pk", *(f"raw_{name}" for name in TOKEN_FIELDS))[:size])
