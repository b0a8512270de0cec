"""Encrypted storage and leak-free representations (SECURITY-CHECKLIST 21–22)."""

from __future__ import annotations

import logging
import pickle
from datetime import timedelta
from typing import Any

import pytest
import responses
from cryptography.fernet import Fernet
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import FieldError
from django.test import Client

from coolsms_oauth_django import clock, fields
from coolsms_oauth_django.exceptions import DecryptionError
from coolsms_oauth_django.models import TOKEN_FIELDS, CoolSMSAccount, fingerprint

from .helpers.accounts import put_new_key_first, raw_columns
from .helpers.coolsms import ACCESS_TOKEN, REFRESH_TOKEN, TOKEN_URL
from .helpers.flows import callback, start_flow

pytestmark = pytest.mark.django_db


def make_account(user: AbstractBaseUser, **extra: Any) -> CoolSMSAccount:
    now = clock.now()
    return CoolSMSAccount.objects.create(
        user=user,
        member_id="MEM1",
        access_token=ACCESS_TOKEN,
        refresh_token=REFRESH_TOKEN,
        expires_at=now + timedelta(hours=1),
        connected_at=now,
        **extra,
    )


def test_sc21_the_raw_columns_hold_no_plaintext_token(user: AbstractBaseUser) -> None:
    account = make_account(user)
    access, refresh = raw_columns(account)
    assert ACCESS_TOKEN not in access and REFRESH_TOKEN not in refresh
    assert access.startswith("gAAAAA")  # a Fernet token
    account.refresh_from_db()
    assert (account.access_token, account.refresh_token) == (ACCESS_TOKEN, REFRESH_TOKEN)


def test_sc21_encryption_is_randomized(user: AbstractBaseUser) -> None:
    assert fields.encrypt("same") != fields.encrypt("same")


def test_sc21_a_wrong_key_fails_closed_with_a_clear_error(
    user: AbstractBaseUser, settings: Any
) -> None:
    account = make_account(user)
    settings.COOLSMS_OAUTH = {
        **settings.COOLSMS_OAUTH,
        "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
    }
    with pytest.raises(DecryptionError, match="ENCRYPTION_KEYS") as info:
        CoolSMSAccount.objects.get(pk=account.pk)
    assert "gAAAAA" not in str(info.value)


def test_sc21_rows_written_with_an_older_key_still_read_after_a_new_key_is_added(
    user: AbstractBaseUser, settings: Any
) -> None:
    account = make_account(user)
    new_key = put_new_key_first(settings)
    assert CoolSMSAccount.objects.get(pk=account.pk).access_token == ACCESS_TOKEN
    # New writes use the new key alone.
    rotated = fields.rotate(raw_columns(account)[0])
    assert Fernet(new_key.encode()).decrypt(rotated.encode()).decode() == ACCESS_TOKEN


def test_rotate_refuses_a_value_no_key_opens() -> None:
    foreign = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    with pytest.raises(DecryptionError):
        fields.rotate(foreign)


def test_without_encryption_keys_a_key_is_derived_from_secret_key(
    user: AbstractBaseUser, settings: Any
) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "ENCRYPTION_KEYS": None}
    account = make_account(user)
    derived = Fernet(fields.derive_key(settings.SECRET_KEY))
    assert derived.decrypt(raw_columns(account)[0].encode()).decode() == ACCESS_TOKEN


def test_secret_key_fallbacks_decrypt_after_secret_key_changes(
    user: AbstractBaseUser, settings: Any
) -> None:
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "ENCRYPTION_KEYS": None}
    account = make_account(user)
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-secret-key-for-this-site"
    with pytest.raises(DecryptionError):
        CoolSMSAccount.objects.get(pk=account.pk)
    settings.SECRET_KEY_FALLBACKS = [old]
    assert CoolSMSAccount.objects.get(pk=account.pk).access_token == ACCESS_TOKEN


def test_encrypted_columns_cannot_be_filtered_on(user: AbstractBaseUser) -> None:
    make_account(user)
    with pytest.raises(FieldError):
        list(CoolSMSAccount.objects.filter(access_token=ACCESS_TOKEN))
    assert CoolSMSAccount.objects.filter(refresh_token__isnull=False).count() == 1


def test_a_missing_refresh_token_is_stored_as_null(user: AbstractBaseUser) -> None:
    now = clock.now()
    account = CoolSMSAccount.objects.create(
        user=user, access_token="a", expires_at=now, connected_at=now
    )
    assert raw_columns(account)[1] is None
    assert CoolSMSAccount.objects.get().refresh_token is None


def test_sc22_str_and_repr_never_show_a_token(user: AbstractBaseUser) -> None:
    account = make_account(user)
    for text in (str(account), repr(account)):
        assert ACCESS_TOKEN not in text and REFRESH_TOKEN not in text
    assert "MEM1" in str(account)


def test_sc22_fingerprints_are_short_and_not_the_token() -> None:
    value = fingerprint(ACCESS_TOKEN)
    assert value.startswith("sha256:") and len(value) < 25
    assert ACCESS_TOKEN[:10] not in value
    assert fingerprint(None) == "—"


def test_sc22_a_full_flow_logs_no_token_code_or_secret(
    logged_in: Client, coolsms: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    params = start_flow(logged_in)
    callback(logged_in, code="the-authorization-code", state=params["state"])
    coolsms.replace(responses.POST, TOKEN_URL, status=403, json={"errorCode": "InvalidGrant"})
    params = start_flow(logged_in)
    callback(logged_in, code="the-authorization-code", state=params["state"])
    assert CoolSMSAccount.objects.count() == 1
    for secret in (ACCESS_TOKEN, REFRESH_TOKEN, "the-authorization-code", "test-client-secret"):
        assert secret not in caplog.text


def test_expires_within(user: AbstractBaseUser) -> None:
    account = make_account(user)
    assert not account.expires_within(60)
    assert account.expires_within(3601)


def test_h09_a_pickled_account_holds_no_plaintext_token(
    user: AbstractBaseUser, django_assert_num_queries: Any
) -> None:
    loaded = CoolSMSAccount.objects.get(pk=make_account(user).pk)
    assert loaded.access_token == ACCESS_TOKEN  # decrypted in memory
    data = pickle.dumps(loaded)
    assert ACCESS_TOKEN.encode() not in data and REFRESH_TOKEN.encode() not in data
    restored = pickle.loads(data)
    assert restored.get_deferred_fields() == set(TOKEN_FIELDS)
    with django_assert_num_queries(1):  # read again from the database when used
        assert restored.access_token == ACCESS_TOKEN
    assert restored.refresh_token == REFRESH_TOKEN


def test_h09_a_user_pickled_with_its_account_holds_no_plaintext_token(
    user: AbstractBaseUser,
) -> None:
    make_account(user)
    fetched = type(user).objects.get(pk=user.pk)
    assert fetched.coolsms_account.refresh_token == REFRESH_TOKEN  # type: ignore[attr-defined]
    data = pickle.dumps(fetched)  # what a cache or a pickling session stores
    assert REFRESH_TOKEN.encode() not in data and ACCESS_TOKEN.encode() not in data
    assert pickle.loads(data).coolsms_account.access_token == ACCESS_TOKEN
