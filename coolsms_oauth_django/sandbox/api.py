"""The CoolSMS APIs the sandbox serves to bearer tokens, each behind its scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..endpoints import BALANCE_PATH, MEMBER_PATH, SEND_MESSAGE_PATH, USERPROFILE_PATH
from .errors import unauthorized
from .messages import parse_message
from .state import SandboxState
from .users import SandboxUser
from .web import Request, Response, json_response, method_not_allowed

#: When every sandbox member joined and last changed, as CoolSMS formats dates.
MEMBER_CREATED = "2024-01-02T09:00:00.000Z"
MEMBER_UPDATED = "2024-06-01T09:00:00.000Z"

Handler = Callable[[Request, SandboxState, SandboxUser], Any]


@dataclass(frozen=True)
class ApiRoute:
    """An API path: its method, the scope it needs and the function that answers."""

    method: str
    scope: str
    handler: Handler


def bearer_token(request: Request) -> str:
    """Return the access token from the ``Authorization`` header (scheme in any case)."""
    header = request.header("authorization")
    if not header:
        raise unauthorized("an Authorization header with a Bearer access token is required")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise unauthorized("the Authorization header must be 'Bearer <access token>'")
    return token


def _profile(request: Request, state: SandboxState, user: SandboxUser) -> dict[str, Any]:
    return {
        "memberId": user.member_id,
        "accountId": user.account_id,
        "name": user.name,
        "email": user.email,
        "phoneNumber": user.phone_number,
    }


def _member(request: Request, state: SandboxState, user: SandboxUser) -> dict[str, Any]:
    return {
        "memberId": user.member_id,
        "name": user.name,
        "email": user.email,
        "phoneNumber": user.phone_number,
        "status": "ACTIVE",
        "selectedAccountId": user.account_id,
        "dateCreated": MEMBER_CREATED,
        "dateUpdated": MEMBER_UPDATED,
    }


def _balance(request: Request, state: SandboxState, user: SandboxUser) -> dict[str, Any]:
    with state.lock:
        return {
            "accountId": user.account_id,
            "balance": user.balance,
            "point": user.point,
            "deposit": 0,
            "autoRecharge": 0,
            "minimumCash": 0,
            "rechargeTo": 0,
        }


def _send(request: Request, state: SandboxState, user: SandboxUser) -> dict[str, Any]:
    return state.send_message(user, parse_message(request.json()))


API_ROUTES: dict[str, ApiRoute] = {
    USERPROFILE_PATH: ApiRoute("GET", "users:read", _profile),
    MEMBER_PATH: ApiRoute("GET", "users:read", _member),
    BALANCE_PATH: ApiRoute("GET", "cash:read", _balance),
    SEND_MESSAGE_PATH: ApiRoute("POST", "message:write", _send),
}


def handle_api(request: Request, state: SandboxState, route: ApiRoute) -> Response:
    """Authenticate the bearer token, check the route's scope and answer."""
    if request.method != route.method:
        raise method_not_allowed(route.method)
    user, scopes = state.authenticate(bearer_token(request))
    if route.scope not in scopes:
        raise unauthorized(f"the access token lacks the {route.scope} scope", status=403)
    return json_response(route.handler(request, state, user))
