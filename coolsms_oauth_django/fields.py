"""A model field that stores text encrypted with Fernet (AES-128-CBC + HMAC-SHA256).

Keys come from ``COOLSMS_OAUTH['ENCRYPTION_KEYS']``: the first key encrypts, every key
decrypts, so a new key is added first and old rows still read. Without that setting a key is
derived from ``SECRET_KEY`` (and each of ``SECRET_KEY_FALLBACKS`` decrypts), and a system check
warns. Decryption fails closed: a value no key opens raises :class:`DecryptionError`, never
returns the ciphertext.
"""

from __future__ import annotations

import base64
import functools
import logging
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.signals import setting_changed
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Expression
from django.dispatch import receiver
from django.utils.encoding import force_bytes

from .conf import SETTING_NAME, app_settings
from .exceptions import DecryptionError

_DERIVATION_INFO = b"coolsms_oauth_django.fields.EncryptedTextField"

logger = logging.getLogger("coolsms_oauth_django")


def derive_key(secret: str) -> bytes:
    """Return a Fernet key derived from a Django ``SECRET_KEY`` with HKDF-SHA256."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVATION_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(force_bytes(secret)))


@functools.lru_cache(maxsize=1)
def get_fernet() -> MultiFernet:
    """Return the MultiFernet built from the configured (or derived) keys."""
    keys: list[str | bytes] = list(app_settings().encryption_keys)
    if not keys:
        secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
        keys = [derive_key(secret) for secret in secrets]
    return MultiFernet([Fernet(key) for key in keys])


@receiver(setting_changed)
def _clear_key_cache(*, setting: str, **kwargs: Any) -> None:
    if setting in (SETTING_NAME, "SECRET_KEY", "SECRET_KEY_FALLBACKS"):
        get_fernet.cache_clear()


def encrypt(plaintext: str) -> str:
    """Encrypt ``plaintext`` with the first key."""
    return get_fernet().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(ciphertext: str) -> str:
    """Decrypt with any configured key; raise :class:`DecryptionError` if none opens it."""
    try:
        return get_fernet().decrypt(ciphertext.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as err:
        raise DecryptionError(
            "A stored CoolSMS token cannot be decrypted with any key in "
            "COOLSMS_OAUTH['ENCRYPTION_KEYS'] (or the keys derived from SECRET_KEY and "
            "SECRET_KEY_FALLBACKS). Add the key it was written with back to the list."
        ) from err


def can_decrypt(ciphertext: str) -> bool:
    """Return whether a configured key opens ``ciphertext``."""
    try:
        decrypt(ciphertext)
    except DecryptionError:
        return False
    return True


def rotate(ciphertext: str) -> str:
    """Re-encrypt ``ciphertext`` with the first key (it must open with one of the keys)."""
    try:
        return get_fernet().rotate(ciphertext.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as err:
        raise DecryptionError("A stored CoolSMS token cannot be decrypted with any key.") from err


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A ``TextField`` whose value is encrypted in the database and plain text in Python.

    The encryption is randomized, so the column cannot be filtered or indexed on.
    """

    description = "Text encrypted with Fernet"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt(str(value))

    def from_db_value(
        self, value: str | None, expression: Expression, connection: BaseDatabaseWrapper
    ) -> str | None:
        if value is None:
            return None
        try:
            return decrypt(value)
        except DecryptionError:
            logger.warning(
                "A stored CoolSMS token cannot be decrypted with the configured keys; "
                "'manage.py check --database default' lists the connections holding one."
            )
            raise

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name not in ("isnull",):
            return None
        return super().get_lookup(lookup_name)
