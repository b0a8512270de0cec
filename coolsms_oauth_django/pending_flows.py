"""Pending connect flows, kept in the Django session.

Each flow is keyed by its random ``state`` and remembers who started it, when, where to go
afterwards, the redirect URI and the PKCE verifier. The state value itself carries nothing:
everything else lives only in the session record.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare

from . import clock
from .exceptions import StateMismatch

SESSION_KEY = "_coolsms_oauth_flows"
#: 32 random bytes: 256 bits, well above RFC 6749 §10.10's 128.
STATE_BYTES = 32
#: A state longer than this is not looked at.
MAX_STATE_LENGTH = 128


@dataclass(frozen=True)
class PendingFlow:
    """What a connect flow remembers between the connect view and the callback.

    Its repr leaves out the state and the PKCE verifier, which only the session may hold.
    """

    state: str = field(repr=False)
    user_pk: str
    #: Where to go afterwards; empty when the user gave no valid ``next`` (the adapter's
    #: ``connect_redirect_url`` decides).
    next_url: str
    redirect_uri: str
    created: float
    code_verifier: str | None = field(default=None, repr=False)


def _flows(session: SessionBase) -> list[dict[str, Any]]:
    stored = session.get(SESSION_KEY)
    return stored if isinstance(stored, list) else []


def begin(
    session: SessionBase,
    *,
    user_pk: object,
    next_url: str,
    redirect_uri: str,
    code_verifier: str | None,
    ttl: int,
    limit: int,
) -> PendingFlow:
    """Store a new flow with a fresh state; forget expired flows and the oldest past ``limit``."""
    now = clock.timestamp()
    flow = PendingFlow(
        state=secrets.token_urlsafe(STATE_BYTES),
        user_pk=str(user_pk),
        next_url=next_url,
        redirect_uri=redirect_uri,
        created=now,
        code_verifier=code_verifier,
    )
    live = [f for f in _flows(session) if now - float(f.get("created", 0)) < ttl]
    live.append(asdict(flow))
    session[SESSION_KEY] = live[-max(1, limit) :]
    return flow


def consume(session: SessionBase, state: str | None, *, ttl: int) -> PendingFlow:
    """Remove the flow named by ``state`` from the session and return it.

    The flow is removed before anything is checked, so a callback URL works once at most.
    Raise :class:`StateMismatch` when the state is missing, unknown or expired.
    """
    if not state or len(state) > MAX_STATE_LENGTH:
        raise StateMismatch("The callback has no valid state parameter.")
    flows = _flows(session)
    found: dict[str, Any] | None = None
    remaining = []
    for record in flows:
        # Compare against every record, in constant time, so timing says nothing.
        if constant_time_compare(str(record.get("state", "")), state) and found is None:
            found = record
        else:
            remaining.append(record)
    if found is None:
        raise StateMismatch("The callback's state does not match a connect flow of this session.")
    session[SESSION_KEY] = remaining
    try:
        flow = PendingFlow(**found)
    except TypeError as err:
        raise StateMismatch("The stored connect flow is unreadable.") from err
    if clock.timestamp() - flow.created >= ttl:
        raise StateMismatch("The connect flow expired; start again.")
    return flow


def pending_count(session: SessionBase) -> int:
    """Return how many flows this session has open."""
    return len(_flows(session))
