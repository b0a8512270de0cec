"""Access tokens: HS256 JWTs signed with a key that lives as long as the sandbox."""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

import jwt


class ExpiredToken(Exception):
    """The access token's ``exp`` has passed."""


class BadToken(Exception):
    """The access token is not a JWT this sandbox signed."""


def iso_timestamp(epoch: float) -> str:
    """Format an epoch time the way CoolSMS writes dates (ISO 8601, UTC, milliseconds)."""
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class TokenSigner:
    """Mint and check the sandbox's access tokens."""

    algorithm = "HS256"

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)

    def mint(
        self,
        *,
        now: float,
        ttl: int,
        scopes: list[str],
        member_id: str,
        account_id: str,
        client_id: str,
    ) -> tuple[str, str]:
        """Return a new signed access token and its unique ``jti``."""
        expires = int(now) + ttl
        jti = secrets.token_hex(16)
        claims = {
            # CoolSMS's documented sample payload starts with expireAt.
            "expireAt": iso_timestamp(expires),
            "exp": expires,
            "iat": int(now),
            "jti": jti,
            "scope": " ".join(scopes),
            "memberId": member_id,
            "accountId": account_id,
            "clientId": client_id,
        }
        return jwt.encode(claims, self._key, algorithm=self.algorithm), jti

    def verify(self, token: str, *, now: float) -> dict[str, Any]:
        """Return the claims of a token this sandbox signed, checking ``exp`` against ``now``."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[self.algorithm],
                # The sandbox's clock may be moved by tests, so time is checked here, not by pyjwt.
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.InvalidTokenError as err:
            raise BadToken(str(err)) from err
        exp, jti = claims.get("exp"), claims.get("jti")
        if not isinstance(exp, int) or not isinstance(jti, str):
            raise BadToken("token lacks exp or jti")
        if exp <= now:
            raise ExpiredToken("token expired")
        return claims
