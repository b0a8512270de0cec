"""The CoolSMS APIs the sandbox serves to bearer tokens, each behind its scope."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..endpoints import (
    ACTIVE_SENDER_NUMBERS_PATH,
    BALANCE_PATH,
    GROUPS_PATH,
    MEMBER_PATH,
    MESSAGE_LIST_PATH,
    SEND_MANY_PATH,
    SEND_MESSAGE_PATH,
    SENDER_NUMBERS_PATH,
    STORAGE_FILES_PATH,
    USERPROFILE_PATH,
    WEBHOOKS_PATH,
)
from .errors import unauthorized
from .memory import SandboxState
from .messages import parse_message, parse_send_many
from .token_signer import iso_timestamp
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
    #: The routes of the same path for other methods.
    other_methods: tuple[ApiRoute, ...] = ()


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


# The two profile answers repeat the member's fields on purpose: each is written out in the
# shape CoolSMS documents for its endpoint (/oauth2/v1/userprofile, /users/v1/member).
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
    outbox = state.outbox
    return outbox.send_one(user, parse_message(request.json(), user, outbox.image_ids(user)))


def _send_many(request: Request, state: SandboxState, user: SandboxUser) -> dict[str, Any]:
    return state.outbox.send_many(user, parse_send_many(request.json()))


def _active_senders(request: Request, state: SandboxState, user: SandboxUser) -> list[str]:
    return list(user.sender_numbers)


def _senders(request: Request, state: SandboxState, user: SandboxUser) -> dict[str, Any]:
    return {
        "limit": 20,
        "accountId": user.account_id,
        "senderIds": [
            {
                "phoneNumber": number,
                "status": "ACTIVE",
                "method": "ARS",
                "expireAt": iso_timestamp(state.now() + 3 * 365 * 24 * 3600),
                "dateCreated": MEMBER_CREATED,
                "dateUpdated": MEMBER_CREATED,
            }
            for number in user.sender_numbers
        ],
    }


def _upload(request: Request, state: SandboxState, user: SandboxUser) -> dict[str, Any]:
    return state.outbox.upload(user, request.json())


def _groups(request: Request, state: SandboxState, user: SandboxUser) -> dict[str, Any]:
    return state.outbox.groups_page(user, request.query())


def _message_list(request: Request, state: SandboxState, user: SandboxUser) -> dict[str, Any]:
    return state.outbox.messages_page(user, request.query())


def _group_id(request: Request) -> str:
    return request.path[len(GROUPS_PATH) + 1 :].split("/")[0]


def _group(request: Request, state: SandboxState, user: SandboxUser) -> dict[str, Any]:
    return state.outbox.group(user, _group_id(request))


def _cancel(request: Request, state: SandboxState, user: SandboxUser) -> dict[str, Any]:
    return state.outbox.cancel(user, _group_id(request))


def _webhooks(request: Request, state: SandboxState, user: SandboxUser) -> dict[str, Any]:
    return state.webhooks.listing(user)


def _register_webhook(request: Request, state: SandboxState, user: SandboxUser) -> dict[str, Any]:
    return state.webhooks.register(user, request.json())


def _remove_webhook(request: Request, state: SandboxState, user: SandboxUser) -> dict[str, Any]:
    return state.webhooks.remove(user, request.path[len(WEBHOOKS_PATH) + 1 :])


API_ROUTES: dict[str, ApiRoute] = {
    USERPROFILE_PATH: ApiRoute("GET", "users:read", _profile),
    MEMBER_PATH: ApiRoute("GET", "users:read", _member),
    BALANCE_PATH: ApiRoute("GET", "cash:read", _balance),
    SEND_MESSAGE_PATH: ApiRoute("POST", "message:write", _send),
    SEND_MANY_PATH: ApiRoute("POST", "message:write", _send_many),
    ACTIVE_SENDER_NUMBERS_PATH: ApiRoute("GET", "senderid:read", _active_senders),
    SENDER_NUMBERS_PATH: ApiRoute("GET", "senderid:read", _senders),
    STORAGE_FILES_PATH: ApiRoute("POST", "storage:write", _upload),
    GROUPS_PATH: ApiRoute("GET", "message:read", _groups),
    MESSAGE_LIST_PATH: ApiRoute("GET", "message:read", _message_list),
    WEBHOOKS_PATH: ApiRoute(
        "GET",
        "webhook:read",
        _webhooks,
        (ApiRoute("POST", "webhook:write", _register_webhook),),
    ),
}
#: ``/messages/v4/groups/{groupId}`` and ``.../{groupId}/schedule``.
GROUP_ROUTE = ApiRoute("GET", "message:read", _group)
GROUP_SCHEDULE_ROUTE = ApiRoute("DELETE", "message:write", _cancel)
_GROUP_PATH = re.compile(re.escape(GROUPS_PATH) + r"/[A-Za-z0-9_-]+(/schedule)?")
#: ``/webhook/v1/outgoing/{webhookId}``.
WEBHOOK_ROUTE = ApiRoute("DELETE", "webhook:write", _remove_webhook)
_WEBHOOK_PATH = re.compile(re.escape(WEBHOOKS_PATH) + r"/[A-Za-z0-9_-]+")


def find_route(path: str) -> ApiRoute | None:
    """Return the API route serving ``path``, path parameters included, or ``None``."""
    route = API_ROUTES.get(path)
    if route is not None:
        return route
    if _WEBHOOK_PATH.fullmatch(path):
        return WEBHOOK_ROUTE
    match = _GROUP_PATH.fullmatch(path)
    if match is None:
        return None
    return GROUP_SCHEDULE_ROUTE if match.group(1) else GROUP_ROUTE


def handle_api(request: Request, state: SandboxState, route: ApiRoute) -> Response:
    """Authenticate the bearer token, check the route's scope and answer."""
    if request.method != route.method:
        routes = [route, *route.other_methods]
        chosen = next((other for other in routes if other.method == request.method), None)
        if chosen is None:
            raise method_not_allowed(*(other.method for other in routes))
        route = chosen
    user, scopes = state.authenticate(bearer_token(request))
    if route.scope not in scopes:
        raise unauthorized(f"the access token lacks the {route.scope} scope", status=403)
    return json_response(route.handler(request, state, user))
