"""Everything the sandbox remembers: users, sessions, codes, grants, tokens, messages.

Every public method takes the one lock, so the threaded server stays consistent however many
clients call at once.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ..oauth import verifier_matches
from .config import SandboxConfig
from .errors import SandboxError, invalid_grant, unauthorized
from .faults import Fault, FaultPlan
from .outbox import Outbox
from .scopes import parse_scopes
from .token_signer import BadToken, ExpiredToken, TokenSigner
from .users import SandboxUser
from .webhooks import Webhooks

#: How long an authorization code can be exchanged, in seconds (documented: about 300).
CODE_TTL = 300
#: How long a consent page's nonce stays valid, in seconds.
NONCE_TTL = 600
#: How many requests :meth:`SandboxState.requests_seen` remembers (the newest ones).
MAX_REQUESTS_KEPT = 10_000
#: The grant types counted by :meth:`SandboxState.token_calls`.
GRANT_TYPES = ("authorization_code", "refresh_token")


@dataclass
class AuthorizationCode:
    """A code issued by the authorize endpoint, waiting to be exchanged once."""

    client_id: str
    redirect_uri: str
    member_id: str
    scopes: list[str]
    created: float
    code_challenge: str | None
    used: bool = False
    grant_id: str | None = None
    #: Whether the authorize request named ``redirect_uri`` (else the registered one was used).
    redirect_uri_sent: bool = True


@dataclass
class Grant:
    """A member's authorization of the client: the refresh token and what it allows."""

    grant_id: str
    member_id: str
    client_id: str
    scopes: list[str]
    created: float
    refresh_token: str
    revoked: bool = False


@dataclass
class AccessTokenRecord:
    """What the sandbox knows about an access token it minted."""

    grant_id: str
    member_id: str
    forced_expired: bool = False


def same_secret(left: str, right: str) -> bool:
    """Compare two secrets in constant time; any text, not only ASCII."""
    return hmac.compare_digest(left.encode("utf-8"), right.encode("utf-8"))


class SandboxState:
    """The sandbox's memory and the rules of the OAuth2 grants."""

    def __init__(
        self, config: SandboxConfig, users: list[SandboxUser], now: Callable[[], float]
    ) -> None:
        if not users:
            raise ValueError("a sandbox needs at least one user")
        self.config = config
        self.now = now
        self.lock = threading.RLock()
        self.signer = TokenSigner()
        self.faults = FaultPlan()
        self._initial_users = [replace(user) for user in users]
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget grants, codes, tokens, sessions, messages, webhooks, counters, requests and
        faults."""
        with self.lock:
            self.users = {user.member_id: replace(user) for user in self._initial_users}
            self._codes: dict[str, AuthorizationCode] = {}
            self._grants: dict[str, Grant] = {}
            self._refresh_index: dict[str, str] = {}
            self._access: dict[str, AccessTokenRecord] = {}
            self._sessions: dict[str, str] = {}
            self._nonces: dict[str, tuple[str, str, float]] = {}
            self.outbox = Outbox(self.lock, self.now)
            self.webhooks = Webhooks(self.lock, self.now, self.outbox)
            self._requests: deque[dict[str, Any]] = deque(maxlen=MAX_REQUESTS_KEPT)
            self._token_calls = dict.fromkeys(GRANT_TYPES, 0)
            self.faults.clear()

    @property
    def default_user(self) -> SandboxUser:
        """Return the user auto-approval signs in as (the first one)."""
        with self.lock:
            return next(iter(self.users.values()))

    # -- login sessions and consent nonces --------------------------------------------------

    def login(self, login: str, password: str) -> str | None:
        """Return a new session id when ``login`` and ``password`` match a user."""
        with self.lock:
            for user in self.users.values():
                if same_secret(user.login, login) and same_secret(user.password, password):
                    session_id = secrets.token_urlsafe(32)
                    self._sessions[session_id] = user.member_id
                    return session_id
            return None

    def session_user(self, session_id: str | None) -> SandboxUser | None:
        """Return the user signed in with ``session_id``, if any."""
        with self.lock:
            member_id = self._sessions.get(session_id or "")
            return self.users.get(member_id) if member_id else None

    def logout(self, session_id: str | None) -> None:
        """End the login session ``session_id``."""
        with self.lock:
            self._sessions.pop(session_id or "", None)

    def issue_nonce(self, session_id: str, fingerprint: str) -> str:
        """Return a single-use nonce for a consent page shown in ``session_id``."""
        with self.lock:
            now = self.now()
            for stale in [n for n, issued in self._nonces.items() if now - issued[2] > NONCE_TTL]:
                del self._nonces[stale]
            nonce = secrets.token_urlsafe(24)
            self._nonces[nonce] = (session_id, fingerprint, now)
            return nonce

    def consume_nonce(self, nonce: str, session_id: str, fingerprint: str) -> bool:
        """Spend ``nonce``; tell whether it was issued for this session and request."""
        with self.lock:
            issued = self._nonces.pop(nonce, None)
            if issued is None:
                return False
            return (
                same_secret(issued[0], session_id)
                and issued[1] == fingerprint
                and self.now() - issued[2] <= NONCE_TTL
            )

    # -- authorization codes ---------------------------------------------------------------

    def issue_code(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        member_id: str,
        scopes: list[str],
        code_challenge: str | None,
        redirect_uri_sent: bool = True,
    ) -> str:
        """Return a new authorization code for ``member_id``."""
        with self.lock:
            now = self.now()
            for stale in [c for c, rec in self._codes.items() if now - rec.created > 10 * CODE_TTL]:
                del self._codes[stale]
            code = secrets.token_urlsafe(32)
            self._codes[code] = AuthorizationCode(
                client_id,
                redirect_uri,
                member_id,
                list(scopes),
                now,
                code_challenge,
                redirect_uri_sent=redirect_uri_sent,
            )
            return code

    def exchange_code(
        self, *, client_id: str, code: str, redirect_uri: str | None, code_verifier: str | None
    ) -> dict[str, Any]:
        """Exchange an authorization code for tokens, or raise the documented error.

        ``redirect_uri`` is required when the authorize request carried one, and must then be
        identical (RFC 6749 §4.1.3); when it did not, one sent anyway must be the URI used.
        """
        with self.lock:
            record = self._codes.get(code)
            if record is None:
                raise invalid_grant("authorization code is unknown")
            if record.used:
                # RFC 6749 §4.1.2: a replayed code revokes what it was exchanged for.
                if record.grant_id is not None:
                    self._revoke_grant(self._grants[record.grant_id])
                raise invalid_grant("authorization code was already used; its grant is revoked")
            record.used = True
            if not same_secret(record.client_id, client_id):
                raise invalid_grant("authorization code was issued to another client")
            if self.now() - record.created > CODE_TTL:
                raise invalid_grant("authorization code has expired")
            if redirect_uri is None and record.redirect_uri_sent:
                raise invalid_grant("redirect_uri is required: the authorization request had one")
            if redirect_uri is not None and record.redirect_uri != redirect_uri:
                raise invalid_grant("redirect_uri does not match the authorization request")
            self._check_pkce(record.code_challenge, code_verifier)
            grant = Grant(
                grant_id=secrets.token_hex(8),
                member_id=record.member_id,
                client_id=client_id,
                scopes=record.scopes,
                created=self.now(),
                refresh_token=secrets.token_urlsafe(48),
            )
            self._grants[grant.grant_id] = grant
            self._refresh_index[grant.refresh_token] = grant.grant_id
            record.grant_id = grant.grant_id
            return self._token_response(grant, grant.scopes, with_refresh_token=True)

    @staticmethod
    def _check_pkce(challenge: str | None, verifier: str | None) -> None:
        if challenge is None:
            if verifier is not None:
                raise invalid_grant("code_verifier sent but the authorization had no challenge")
            return
        if verifier is None:
            raise invalid_grant("code_verifier is required for this authorization code")
        if not verifier_matches(verifier, challenge):
            raise invalid_grant("code_verifier does not match the code_challenge")

    # -- refresh ---------------------------------------------------------------------------

    def refresh(self, *, client_id: str, refresh_token: str, scope: str | None) -> dict[str, Any]:
        """Answer a ``refresh_token`` grant, rotating the token when configured to."""
        with self.lock:
            grant_id = self._refresh_index.get(refresh_token)
            grant = self._grants.get(grant_id) if grant_id else None
            if grant is None:
                raise SandboxError(400, "InvalidRefreshToken", "refresh token is unknown")
            if grant.revoked:
                raise SandboxError(400, "InvalidRefreshToken", "refresh token has been revoked")
            if not same_secret(grant.client_id, client_id):
                raise invalid_grant("refresh token was issued to another client")
            if refresh_token != grant.refresh_token:
                # RFC 9700 §4.14.2: reuse of a rotated-away token revokes the whole grant.
                self._revoke_grant(grant)
                raise invalid_grant("refresh token was already used; the grant is revoked")
            scopes = grant.scopes
            if scope is not None:
                scopes = parse_scopes(scope)
                if not scopes or not set(scopes) <= set(grant.scopes):
                    raise SandboxError(400, "InvalidScope", "scope exceeds the granted scopes")
            rotate = self.config.rotate_refresh_tokens
            if rotate:
                grant.refresh_token = secrets.token_urlsafe(48)
                self._refresh_index[grant.refresh_token] = grant.grant_id
            return self._token_response(grant, scopes, with_refresh_token=rotate)

    def _token_response(
        self, grant: Grant, scopes: list[str], *, with_refresh_token: bool
    ) -> dict[str, Any]:
        user = self.users[grant.member_id]
        access_token, jti = self.signer.mint(
            now=self.now(),
            ttl=self.config.access_token_ttl,
            scopes=scopes,
            member_id=user.member_id,
            account_id=user.account_id,
            client_id=grant.client_id,
        )
        self._access[jti] = AccessTokenRecord(grant.grant_id, grant.member_id)
        body: dict[str, Any] = {"access_token": access_token}
        if with_refresh_token:
            body["refresh_token"] = grant.refresh_token
        body["token_type"] = "Bearer"
        if self.config.include_expires_in:
            body["expires_in"] = self.config.access_token_ttl
        return body

    # -- access tokens ---------------------------------------------------------------------

    def authenticate(self, token: str) -> tuple[SandboxUser, list[str]]:
        """Return the user and scopes behind a bearer token, or raise ``Unauthorized``."""
        with self.lock:
            try:
                claims = self.signer.verify(token, now=self.now())
            except ExpiredToken as err:
                raise unauthorized("access token has expired") from err
            except BadToken as err:
                raise unauthorized("access token is malformed or its signature is invalid") from err
            record = self._access.get(claims["jti"])
            if record is None or self._grants[record.grant_id].revoked:
                raise unauthorized("access token has been revoked")
            if record.forced_expired:
                raise unauthorized("access token has expired")
            return self.users[record.member_id], parse_scopes(str(claims.get("scope", "")))

    def expire_access_tokens(self, member_id: str | None = None) -> int:
        """Make the access tokens issued so far expired; return how many were touched."""
        with self.lock:
            touched = 0
            for record in self._access.values():
                if member_id is None or record.member_id == member_id:
                    record.forced_expired = True
                    touched += 1
            return touched

    # -- revocation ------------------------------------------------------------------------

    def _revoke_grant(self, grant: Grant) -> None:
        grant.revoked = True

    def revoke(self, member_id: str | None = None) -> int:
        """Destroy every live grant of ``member_id`` (of everyone when None); return the count."""
        with self.lock:
            revoked = 0
            for grant in self._grants.values():
                if not grant.revoked and (member_id is None or grant.member_id == member_id):
                    self._revoke_grant(grant)
                    revoked += 1
            return revoked

    # -- inspection ------------------------------------------------------------------------

    def count_token_call(self, grant_type: str) -> None:
        """Count one call to the token endpoint with ``grant_type``."""
        with self.lock:
            if grant_type in self._token_calls:
                self._token_calls[grant_type] += 1

    def token_calls(self) -> dict[str, int]:
        """Return the number of token-endpoint calls by grant type."""
        with self.lock:
            return dict(self._token_calls)

    def add_fault(self, fault: Fault) -> None:
        """Queue ``fault`` for the requests it matches."""
        with self.lock:
            self.faults.add(fault)

    def clear_faults(self) -> None:
        """Forget every queued fault."""
        with self.lock:
            self.faults.clear()

    def take_fault(self, path: str) -> Fault | None:
        """Return the fault for a request to ``path`` (using it up), or ``None``."""
        with self.lock:
            return self.faults.take(path)

    def record_request(self, record: dict[str, Any]) -> None:
        """Remember a (redacted) request."""
        with self.lock:
            self._requests.append(record)

    def requests_seen(self) -> list[dict[str, Any]]:
        """Return the redacted requests seen so far, oldest first."""
        with self.lock:
            return [dict(record) for record in self._requests]

    def messages(self) -> list[dict[str, Any]]:
        """Return the messages sent so far, oldest first."""
        return self.outbox.records()

    def live_grants(self) -> list[dict[str, Any]]:
        """Return every grant issued since the last reset, with its ``revoked`` flag."""
        with self.lock:
            return [
                {
                    "grant_id": grant.grant_id,
                    "member_id": grant.member_id,
                    "client_id": grant.client_id,
                    "scopes": list(grant.scopes),
                    "created": grant.created,
                    "revoked": grant.revoked,
                }
                for grant in self._grants.values()
            ]

    def balance(self, member_id: str) -> float:
        """Return the current balance of ``member_id``."""
        with self.lock:
            return self.users[member_id].balance
