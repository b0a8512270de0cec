"""The faked CoolSMS of the ``responses`` tests: its URLs, its answers, the calls it received."""

from __future__ import annotations

import time
from typing import Any

import jwt
import responses

from coolsms_oauth_django import endpoints

BASE_URL = endpoints.DEFAULT_BASE_URL
TOKEN_URL = BASE_URL + endpoints.TOKEN_PATH
PROFILE_URL = BASE_URL + endpoints.MEMBER_PATH
BALANCE_URL = BASE_URL + endpoints.BALANCE_PATH

PROFILE = {
    "memberId": "MEM0000000000001",
    "name": "홍길동",
    "email": "gildong@example.com",
    "phoneNumber": "01012345678",
    "status": "ACTIVE",
    "selectedAccountId": "ACC0000000000001",
    "dateCreated": "2024-01-01T00:00:00.000Z",
    "dateUpdated": "2024-01-01T00:00:00.000Z",
}


def make_jwt(**claims: Any) -> str:
    """Return an HS256 JWT such as CoolSMS issues (signed with a key the client never knows)."""
    payload = {
        "exp": int(time.time()) + 86400,
        "scope": "users:read cash:read message:write",
        "memberId": PROFILE["memberId"],
        **claims,
    }
    return jwt.encode(payload, "provider-signing-key-unknown-to-clients", algorithm="HS256")


ACCESS_TOKEN = make_jwt()
REFRESH_TOKEN = "refresh-token-value-4f1c9a7e2b"

#: The tokens of ``good_account``, which no answer of the token endpoint may replace.
GOOD_ACCESS = "good-access-token-kept-7d1e"
GOOD_REFRESH = "good-refresh-token-kept-3b9a"

#: A standard OAuth server on another origin than the API, as Keycloak serves one realm.
REALM = "https://id.example.com/realms/sms"


def token_body(
    access_token: Any = ACCESS_TOKEN, refresh_token: Any = REFRESH_TOKEN, **overrides: Any
) -> dict[str, Any]:
    """Return the documented token response, with overrides (``None`` removes a key)."""
    body: dict[str, Any] = {
        "access_token": access_token,
        "refresh_token": refresh_token,
        "token_type": "Bearer",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def calls_to(mock: responses.RequestsMock, url: str) -> list[Any]:
    """Return the calls the fake CoolSMS received for ``url``."""
    return [call for call in mock.calls if call.request.url.split("?")[0] == url]
