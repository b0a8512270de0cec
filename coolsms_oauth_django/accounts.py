"""The connection row's owner: every read and write of a :class:`CoolSMSAccount`.

The session reads a :class:`ConnectionRow` (by user, or by the row's primary key where the
refresh writes), the refresh locks and saves the row through here, and the connect flow and
a disconnect save and delete it. Whether a token is due is :func:`.models.token_is_due`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, connections, models, transaction
from django.db.models import QuerySet
from django.db.models.functions import Cast
from django.http import HttpRequest

from . import clock, signals
from .adapter import get_adapter
from .exceptions import AccountAlreadyLinked, DecryptionError, MemberNotIdentified
from .fields import can_decrypt
from .models import MAX_ERROR_LENGTH, TOKEN_FIELDS, CoolSMSAccount, token_is_due
from .oauth import TokenSet

logger = logging.getLogger("coolsms_oauth_django")

#: Profile keys that name the member, first found wins: CoolSMS's, then a standard server's.
MEMBER_KEYS = ("memberId", "sub")
#: The longest member id (the column's length); a longer one is not cut, it names no one.
MAX_MEMBER_ID_LENGTH = 64


def member_of(profile: Mapping[str, Any]) -> str | None:
    """Return the member id ``profile`` names (``memberId``, else ``sub``), or ``None``.

    A value that is not a non-blank, printable string of at most
    :data:`MAX_MEMBER_ID_LENGTH` characters names no one.
    """
    for key in MEMBER_KEYS:
        value = profile.get(key)
        if value is None:
            continue
        valid = (
            isinstance(value, str)
            and value.strip()
            and value.isprintable()
            and len(value) <= MAX_MEMBER_ID_LENGTH
        )
        return value if valid else None
    return None


def _first(rows: QuerySet[CoolSMSAccount]) -> CoolSMSAccount | None:
    """Return the first of ``rows``, even when no configured key opens its tokens.

    Such an account comes without its tokens and with ``tokens_readable`` false, so its user
    can still see, disconnect and replace it; nothing in the row is changed here.
    """
    try:
        return rows.first()
    except DecryptionError:
        account = rows.defer(*TOKEN_FIELDS).first()
        if account is not None:
            account.tokens_readable = False
        return account


def account_of(user: object) -> CoolSMSAccount | None:
    """Return the connection of ``user`` (``None`` for anonymous users and users without one).

    A connection whose tokens no configured key opens is returned too, without its tokens
    and not active (``tokens_readable`` is false).
    """
    pk = getattr(user, "pk", None)
    if pk is None or not getattr(user, "is_authenticated", False):
        return None
    return _first(CoolSMSAccount.objects.filter(user_id=pk))


def account_for_member(member_id: str) -> CoolSMSAccount | None:
    """Return the connection of CoolSMS member ``member_id`` (tokens not read), or ``None``."""
    return CoolSMSAccount.objects.defer(*TOKEN_FIELDS).filter(member_id=member_id).first()


def save_connection(
    user: AbstractBaseUser,
    tokens: TokenSet,
    *,
    profile: Mapping[str, Any],
    request: HttpRequest | None = None,
) -> CoolSMSAccount:
    """Create or update ``user``'s connection in one transaction and send ``account_connected``.

    ``profile`` is the member profile read with ``tokens``: the member it names
    (:func:`member_of`) and what the adapter keeps of it (``populate_account``) replace what
    the connection held. A refresh token the exchange did not renew is kept only for the
    same member. Store nothing and raise :class:`MemberNotIdentified` when the profile names
    no member, and :class:`AccountAlreadyLinked` when the member is connected to another user.
    """
    member_id = member_of(profile)
    if member_id is None:
        raise MemberNotIdentified("The CoolSMS profile names no member; nothing was stored.")
    now = clock.now()
    try:
        with transaction.atomic():
            if CoolSMSAccount.objects.filter(member_id=member_id).exclude(user_id=user.pk).exists():
                raise AccountAlreadyLinked(
                    "This CoolSMS account is already connected to another user."
                )
            account = _first(CoolSMSAccount.objects.select_for_update().filter(user_id=user.pk))
            created = account is None
            if account is None:
                account = CoolSMSAccount(user_id=user.pk)
            account.apply_tokens(tokens, now=now)
            if account.member_id != member_id or not account.tokens_readable:
                # Another member's refresh token must not stay with this member's tokens, nor
                # one no key opens with tokens that work.
                if not account.tokens_readable:
                    logger.warning(
                        "CoolSMS account %s: tokens no configured key opens are replaced by "
                        "a new connection of their user.",
                        account.pk,
                    )
                account.refresh_token = tokens.refresh_token
                account.tokens_readable = True
            account.member_id = member_id
            get_adapter().populate_account(account, profile)
            account.connected_at = now
            account.last_refreshed_at = None
            account.last_error = ""
            account.last_error_at = None
            account.save()
    except IntegrityError as err:
        # Two users connecting the same member at the same moment: the unique index decides.
        raise AccountAlreadyLinked(
            "This CoolSMS account is already connected to another user."
        ) from err
    signals.account_connected.send(
        sender=CoolSMSAccount, user=user, account=account, request=request, created=created
    )
    return account


def disconnect(account: CoolSMSAccount, *, request: HttpRequest | None = None) -> None:
    """Delete the connection and its tokens, then send ``account_disconnected``."""
    if not account.tokens_readable:
        logger.warning(
            "CoolSMS account %s: tokens no configured key opens are deleted, as their user "
            "disconnected.",
            account.pk,
        )
    user = account.user
    account.delete()
    _announce_disconnected(account, user, request)


def disconnect_all(
    connections: QuerySet[CoolSMSAccount], *, request: HttpRequest | None = None
) -> int:
    """Delete the connections in ``connections`` and send ``account_disconnected`` for each.

    Two queries however many rows are selected (one read with the users joined, one DELETE
    of exactly the rows read), unless a ``pre_delete``/``post_delete`` receiver for the model
    makes Django fetch and delete the rows in batches. Return how many were deleted.
    """
    with transaction.atomic(using=connections.db):
        chosen = list(connections.select_related("user").only("member_id", "user"))
        CoolSMSAccount.objects.using(connections.db).filter(
            pk__in=[account.pk for account in chosen]
        ).delete()
    for account in chosen:
        _announce_disconnected(account, account.user, request)
    return len(chosen)


def _announce_disconnected(
    account: CoolSMSAccount, user: AbstractBaseUser, request: HttpRequest | None
) -> None:
    signals.account_disconnected.send(
        sender=CoolSMSAccount, user=user, member_id=account.member_id, request=request
    )


class ConnectionRow(NamedTuple):
    """What a session needs of a connection: its key, status, access token and expiry."""

    pk: int
    status: str
    access_token: str
    expires_at: datetime

    @property
    def is_active(self) -> bool:
        """Return whether the connection can be used without the user connecting again."""
        return self.status == CoolSMSAccount.ACTIVE

    def is_due(self, leeway: float) -> bool:
        """Return whether the access token expires within ``leeway`` seconds."""
        return token_is_due(self.expires_at, leeway)

    def __repr__(self) -> str:
        # No token: an error report shows the local variables that hold this row.
        return f"ConnectionRow(pk={self.pk!r}, status={self.status!r})"


#: The columns of a :class:`ConnectionRow`, in order.
CONNECTION_ROW_FIELDS = ConnectionRow._fields


def _connection_row(rows: QuerySet[CoolSMSAccount]) -> ConnectionRow | None:
    """Return the :class:`ConnectionRow` of the first of ``rows`` in one query, or ``None``."""
    found = rows.values_list(*CONNECTION_ROW_FIELDS).first()
    return None if found is None else ConnectionRow(*found)


def connection_row(user_pk: Any) -> ConnectionRow | None:
    """Return the connection row of the user with primary key ``user_pk``, or ``None``.

    One query, on the database the routers name for reading :class:`CoolSMSAccount`.
    """
    return _connection_row(CoolSMSAccount.objects.filter(user_id=user_pk))


def account_row(account_pk: int, *, using: str) -> ConnectionRow | None:
    """Return the connection row with primary key ``account_pk`` on database ``using``."""
    return _connection_row(CoolSMSAccount.objects.using(using).filter(pk=account_pk))


def locked_account(account_pk: int, *, using: str) -> CoolSMSAccount | None:
    """Return the connection with its row locked until the transaction ends (``None``: gone).

    ``SELECT ... FOR UPDATE`` on databases that have it; call inside ``transaction.atomic``.
    """
    # get(), not first(): one row by its key needs no ORDER BY to compile and run.
    try:
        return CoolSMSAccount.objects.using(using).select_for_update().get(pk=account_pk)
    except CoolSMSAccount.DoesNotExist:
        return None


#: The columns :meth:`.models.CoolSMSAccount.apply_tokens` sets, but the refresh token.
REFRESHED_FIELDS = (
    "access_token",
    "token_type",
    "scopes",
    "expires_at",
    "status",
    "last_refreshed_at",
    "updated_at",
)


def save_refreshed(account: CoolSMSAccount, tokens: TokenSet) -> None:
    """Store a refresh's token response on ``account`` (keeping the old refresh token when
    none came), on the database it was read from."""
    account.apply_tokens(tokens, now=clock.now())
    # Only what a refresh changes: an unchanged refresh token is not encrypted again.
    changed = [*REFRESHED_FIELDS, *(["refresh_token"] if tokens.refresh_token else [])]
    account.save(update_fields=changed)


def mark_needs_reconnect(account: CoolSMSAccount, message: str, *, using: str) -> None:
    """Flag the connection as needing the user to connect again; its tokens stay untouched."""
    now = clock.now()
    account.status = CoolSMSAccount.NEEDS_RECONNECT
    account.record_error(message, now=now)
    CoolSMSAccount.objects.using(using).filter(pk=account.pk).update(
        status=account.status,
        last_error=account.last_error,
        last_error_at=now,
        updated_at=now,
    )


def record_error(account_pk: int, message: str, *, using: str | None = None) -> None:
    """Record a failure on the row without touching its tokens or status."""
    now = clock.now()
    CoolSMSAccount.objects.using(using).filter(pk=account_pk).update(
        last_error=message[:MAX_ERROR_LENGTH], last_error_at=now, updated_at=now
    )


def due_batches(
    leeway: float, *, batch_size: int = 500, limit: int | None = None
) -> Iterator[list[int]]:
    """Yield, batch by batch, the primary keys of the active connections due within ``leeway``.

    :func:`.models.token_is_due` as a filter, with the deadline fixed when the first batch is
    read. Soonest expiry first (the ``expires_at`` index), so a ``limit`` leaves the latest for
    the next run; each batch is one query after the last ``(expires_at, pk)`` read, so a row
    a refresh moved out of the window is not met again and memory stays constant.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    deadline = clock.now() + timedelta(seconds=leeway)
    due = CoolSMSAccount.objects.filter(
        status=CoolSMSAccount.ACTIVE, expires_at__lte=deadline
    ).order_by("expires_at", "pk")
    left = limit
    after: tuple[datetime, int] | None = None
    while left is None or left > 0:
        size = batch_size if left is None else min(batch_size, left)
        rows = due
        if after is not None:
            rows = rows.filter(
                models.Q(expires_at__gt=after[0]) | models.Q(expires_at=after[0], pk__gt=after[1])
            )
        page: list[tuple[datetime, int]] = list(rows.values_list("expires_at", "pk")[:size])
        if not page:
            return
        yield [pk for _, pk in page]
        if left is not None:
            left -= len(page)
        if len(page) < size:
            return
        after = page[-1]


# -- raw ciphertexts, for re-encryption with a new key ------------------------------------


@dataclass(frozen=True)
class Reencrypted:
    """One row's ciphertexts as read, and the same tokens encrypted with the first key."""

    pk: Any
    read: tuple[str, str | None]
    written: tuple[str, str | None]


def ciphertext_batch(after_pk: Any, size: int, *, using: str) -> list[tuple[Any, ...]]:
    """Return up to ``size`` rows after ``after_pk`` (``None``: from the first) by primary key,
    as ``(pk, access ciphertext, refresh ciphertext)``: nothing decrypted, nothing locked."""
    rows = CoolSMSAccount.objects.using(using).order_by("pk")
    if after_pk is not None:
        rows = rows.filter(pk__gt=after_pk)
    # Cast to a plain TextField so the ciphertext is not decrypted on the way out.
    raw = rows.annotate(**{f"raw_{name}": Cast(name, models.TextField()) for name in TOKEN_FIELDS})
    return list(raw.values_list("pk", *(f"raw_{name}" for name in TOKEN_FIELDS))[:size])


def unreadable_account_pks(*, using: str, batch_size: int = 500) -> list[Any]:
    """Return the primary keys of the connections whose tokens no configured key opens.

    Reads the stored ciphertexts batch by batch, in constant memory; changes nothing.
    """
    found: list[Any] = []
    after_pk: Any = None
    while True:
        rows = ciphertext_batch(after_pk, batch_size, using=using)
        found += [
            pk
            for pk, *stored in rows
            if not all(can_decrypt(value) for value in stored if value is not None)
        ]
        if len(rows) < batch_size:
            return found
        after_pk = rows[-1][0]


def _column(name: str) -> str:
    model_field = CoolSMSAccount._meta.get_field(name)
    assert isinstance(model_field, models.Field) and model_field.column
    return model_field.column


def replace_ciphertexts(batch: list[Reencrypted], *, using: str) -> int:
    """Write each row's new ciphertexts where it still holds the ones read; return how many.

    A row a refresh changed meanwhile keeps what the refresh wrote. The values go in as they
    are (no encryption on the way in): one transaction, one ``executemany`` per shape of row
    (with and without a refresh token).
    """
    if not batch:
        return 0
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
    return written
