"""``manage.py coolsms_rotate_keys``: re-encrypt every stored token with the first key.

Put the new key first in ``COOLSMS_OAUTH['ENCRYPTION_KEYS']`` (keeping the old ones after
it), deploy, run this command, then drop the old keys. Rows are read as raw ciphertext and
rewritten in batches by primary key, each batch in its own transaction with its rows locked,
so memory stays flat and a refresh running meanwhile is never lost.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, router, transaction
from django.db.models.functions import Cast

from coolsms_oauth_django.exceptions import DecryptionError
from coolsms_oauth_django.fields import rotate
from coolsms_oauth_django.models import CoolSMSAccount

DEFAULT_BATCH_SIZE = 500
TOKEN_FIELDS = ("access_token", "refresh_token")


def _raw(value: str | None) -> Any:
    """Return ``value`` as an expression written to the column as it is (no encryption)."""
    return models.Value(value, output_field=models.TextField())


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
                for pk, *ciphertexts in batch:
                    try:
                        values = {
                            name: _raw(rotate(text) if text is not None else None)
                            for name, text in zip(TOKEN_FIELDS, ciphertexts, strict=True)
                        }
                    except DecryptionError:
                        unreadable += 1
                        self.stderr.write(f"Account {pk}: no configured key opens its tokens.")
                        continue
                    CoolSMSAccount.objects.using(using).filter(pk=pk).update(**values)
                    rotated += 1
            if len(batch) < batch_size:
                break
            last_pk = batch[-1][0]
        self.stdout.write(f"Re-encrypted {rotated} account(s); {unreadable} unreadable.")

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
