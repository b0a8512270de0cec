"""``/_sandbox/``: the control and inspection calls, over HTTP for other processes.

Only a test or a script may make them: :func:`.guard.check_control_call` refuses what a web
page could send.
"""

from __future__ import annotations

from typing import Any

from .errors import SandboxError, validation_error
from .faults import make_fault
from .guard import check_control_call
from .memory import SandboxState
from .web import Request, Response, json_response, method_not_allowed

CONTROL_PREFIX = "/_sandbox/"


def _member_id(data: dict[str, Any]) -> str | None:
    member_id = data.get("memberId", data.get("member_id"))
    if member_id is not None and not isinstance(member_id, str):
        raise validation_error("memberId must be a string")
    return member_id


def _add_fault(data: dict[str, Any], state: SandboxState) -> dict[str, Any]:
    path = data.get("path")
    if not isinstance(path, str):
        raise validation_error("path is required")
    if "contentType" in data:
        data = {**data, "content_type": data["contentType"]}
    options: dict[str, Any] = {}
    for name, kinds in (
        ("status", (int,)),
        ("body", (str, dict, list)),
        ("content_type", (str,)),
        ("delay", (int, float)),
        ("drop", (bool,)),
        ("count", (int,)),
    ):
        value = data.get(name)
        if value is None:
            continue
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise validation_error(f"{name} has the wrong type")
        options[name] = value
    try:
        fault = make_fault(path, **options)
        state.add_fault(fault)
    except ValueError as err:
        raise validation_error(str(err)) from err
    return {"ok": True}


def _reset(state: SandboxState) -> dict[str, Any]:
    state.reset()
    return {"ok": True}


def _clear_faults(state: SandboxState) -> dict[str, Any]:
    state.clear_faults()
    return {"ok": True}


def handle_control(request: Request, state: SandboxState) -> Response:
    """Answer a control or inspection call."""
    check_control_call(request)
    name = request.path[len(CONTROL_PREFIX) :]
    method = request.method
    answer: Any
    if name == "faults" and method == "DELETE":
        answer = _clear_faults(state)
    elif name == "deliver":
        if method != "POST":
            raise method_not_allowed("POST")
        answer = {"attempted": state.webhooks.pump()}
    elif name in ("revoke", "faults", "expire", "reset"):
        if method != "POST":
            raise method_not_allowed(*(("POST", "DELETE") if name == "faults" else ("POST",)))
        data = request.json_object()
        if name == "revoke":
            answer = {"revoked": state.revoke(_member_id(data))}
        elif name == "faults":
            answer = _add_fault(data, state)
        elif name == "expire":
            answer = {"expired": state.expire_access_tokens(_member_id(data))}
        else:
            answer = _reset(state)
    elif name in ("token-calls", "requests", "messages", "grants", "deliveries"):
        if method != "GET":
            raise method_not_allowed("GET")
        answer = {
            "token-calls": state.token_calls,
            "requests": state.requests_seen,
            "messages": state.messages,
            "grants": state.live_grants,
            "deliveries": state.webhooks.delivery_views,
        }[name]()
    else:
        raise SandboxError(404, "NotFound", f"no sandbox control at {request.path}")
    return json_response(answer)
