"""The read on the request path: a user's connection row, with its query compiled once.

:func:`~coolsms_oauth_django.session.get_coolsms_session` runs in views, often on every
request, and reads one row. Building that query with the ORM costs more than running it, so
the ORM compiles it once per database connection and later calls only execute the SQL. The
SQL, its parameter and the value converters (decryption of the token, time zones) all come
from the ORM, so routers, table names and the encrypted field behave exactly as with a
queryset. The parameter is checked against the one the ORM itself sends; where it differs,
or where the ORM cannot compile the query this way, the queryset runs as usual.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper

from .models import CoolSMSAccount

__all__ = ["ConnectionRow", "connection_row"]

#: The columns read, in order.
FIELDS = ("pk", "status", "access_token", "expires_at")


class ConnectionRow(NamedTuple):
    """What a session needs of a connection: its key, status, access token and expiry."""

    pk: int
    status: str
    access_token: str
    expires_at: datetime


Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    #: Column position -> (converters, expression), as the ORM applies them.
    converters: dict[int, tuple[list[Converter], Any]]


_NOT_COMPILABLE: Any = object()
#: Per database connection (each thread has its own): the compiled query or _NOT_COMPILABLE.
_compiled: weakref.WeakKeyDictionary[BaseDatabaseWrapper, Any] = weakref.WeakKeyDictionary()


def _queryset(user_pk: Any, using: str) -> Any:
    return (
        CoolSMSAccount._default_manager.using(using)
        .filter(user_id=user_pk)
        .values_list(*FIELDS)
        .order_by()[:1]
    )


def _parameter(user_pk: Any, connection: BaseDatabaseWrapper) -> Any:
    """Return ``user_pk`` as the database receives it in ``user_id = %s``."""
    return CoolSMSAccount._meta.get_field("user").get_db_prep_value(user_pk, connection)


def _compile(user_pk: Any, using: str, connection: BaseDatabaseWrapper) -> Any:
    compiler = _queryset(user_pk, using).query.get_compiler(using=using)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        # This user's key cannot match anything (an out-of-range integer, say): the
        # queryset answers for this call, and the next user's key compiles.
        return None
    if tuple(params) != (_parameter(user_pk, connection),):
        return _NOT_COMPILABLE
    columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
    return _Compiled(sql=sql, converters=compiler.get_converters(columns))


def connection_row(user_pk: Any) -> ConnectionRow | None:
    """Return the connection row of the user with primary key ``user_pk``, or ``None``.

    One query, on the database the routers name for reading :class:`CoolSMSAccount`.
    """
    using = router.db_for_read(CoolSMSAccount)
    connection = connections[using]
    compiled = _compiled.get(connection)
    if compiled is None:
        compiled = _compile(user_pk, using, connection)
        if compiled is not None:
            _compiled[connection] = compiled
    if compiled is None or compiled is _NOT_COMPILABLE:
        found = list(_queryset(user_pk, using))
        return ConnectionRow(*found[0]) if found else None
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, (_parameter(user_pk, connection),))
        raw = cursor.fetchone()
    if raw is None:
        return None
    values = list(raw)
    for position, (converters, expression) in compiled.converters.items():
        for convert in converters:
            values[position] = convert(values[position], expression, connection)
    return ConnectionRow(*values)
