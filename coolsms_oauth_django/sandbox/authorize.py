"""``/oauth2/v1/authorize``: validate the request, log the user in, ask for consent."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from urllib.parse import urlencode

from ..endpoints import AUTHORIZE_PATH
from ..oauth import S256_CHALLENGE
from .config import SandboxConfig, redirect_uri_problem
from .errors import SandboxError, validation_error
from .memory import SandboxState
from .pages import consent_page, login_page
from .scopes import parse_scopes, unknown_scopes
from .users import SandboxUser
from .web import (
    Request,
    Response,
    append_query,
    html_response,
    method_not_allowed,
    redirect,
    required_param,
)

#: The parameters the authorize endpoint understands; others are ignored.
AUTHORIZE_PARAMS = (
    "client_id",
    "response_type",
    "scope",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
)
SESSION_COOKIE = "coolsms_sandbox_session"


@dataclass(frozen=True)
class AuthorizeRequest:
    """A validated authorization request."""

    params: dict[str, str]
    client_id: str
    scopes: list[str]
    redirect_uri: str
    state: str
    code_challenge: str | None

    def fingerprint(self) -> str:
        """Return a digest that ties a consent nonce to exactly this request."""
        encoded = json.dumps(self.params, sort_keys=True).encode("utf-8")
        return hashlib.sha256(encoded).hexdigest()

    def back_to_client(self, **params: str) -> Response:
        """Return the redirect to the client's ``redirect_uri`` carrying ``params`` and state."""
        return redirect(append_query(self.redirect_uri, {**params, "state": self.state}))


def _redirect_uri(params: dict[str, str], config: SandboxConfig) -> str:
    uri = params.get("redirect_uri") or config.default_redirect_uri
    if not uri:
        raise validation_error("redirect_uri is required")
    problem = redirect_uri_problem(uri)
    if problem:
        raise validation_error(problem)
    if not config.redirect_host_allowed(uri):
        raise SandboxError(400, "InvalidHostName", "redirect_uri host is not registered")
    return uri


def _code_challenge(params: dict[str, str]) -> str | None:
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if not challenge:
        if method:
            raise validation_error("code_challenge_method needs a code_challenge")
        return None
    if method != "S256":
        raise validation_error("code_challenge_method must be S256")
    if not S256_CHALLENGE.fullmatch(challenge):
        raise validation_error("code_challenge must be 43 base64url characters")
    return challenge


def validate(params: dict[str, str], config: SandboxConfig) -> AuthorizeRequest:
    """Check an authorization request in the documented order and return it, validated."""
    client_id = required_param(params, "client_id")
    if client_id != config.client_id:
        raise SandboxError(400, "InvalidClientId", "client_id is not a registered client")
    if required_param(params, "response_type") != "code":
        raise validation_error("response_type must be code")
    scopes = parse_scopes(required_param(params, "scope"))
    if not scopes:
        raise validation_error("scope is required")
    unknown = unknown_scopes(scopes)
    if unknown:
        raise SandboxError(400, "InvalidScope", f"unknown scope: {' '.join(unknown)}")
    state = required_param(params, "state")
    redirect_uri = _redirect_uri(params, config)
    challenge = _code_challenge(params)
    kept = {name: params[name] for name in AUTHORIZE_PARAMS if name in params}
    return AuthorizeRequest(kept, client_id, scopes, redirect_uri, state, challenge)


def _approve(request: AuthorizeRequest, user: SandboxUser, state: SandboxState) -> Response:
    code = state.issue_code(
        client_id=request.client_id,
        redirect_uri=request.redirect_uri,
        redirect_uri_sent="redirect_uri" in request.params,
        member_id=user.member_id,
        scopes=request.scopes,
        code_challenge=request.code_challenge,
    )
    return request.back_to_client(code=code)


def _consent(
    request: AuthorizeRequest, user: SandboxUser, session_id: str, state: SandboxState
) -> Response:
    nonce = state.issue_nonce(session_id, request.fingerprint())
    page = consent_page(
        request.params,
        user=user,
        client_id=request.client_id,
        redirect_uri=request.redirect_uri,
        scopes=request.scopes,
        nonce=nonce,
    )
    return html_response(page)


def _cookie(value: str, *, max_age: int | None = None) -> tuple[str, str]:
    expiry = f"; Max-Age={max_age}" if max_age is not None else ""
    return ("Set-Cookie", f"{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax{expiry}")


def _post(
    request: AuthorizeRequest, form: dict[str, str], session_id: str | None, state: SandboxState
) -> Response:
    action = form.get("action")
    if action == "login":
        login = form.get("login", "")
        new_session = state.login(login, form.get("password", ""))
        if new_session is None:
            error = "아이디 또는 비밀번호가 올바르지 않습니다. Login or password is incorrect."
            return html_response(login_page(request.params, error=error, login=login))
        response = redirect(f"{AUTHORIZE_PATH}?{urlencode(request.params)}", status=303)
        response.headers.append(_cookie(new_session))
        return response
    if action == "logout":
        state.logout(session_id)
        response = html_response(login_page(request.params))
        response.headers.append(_cookie("", max_age=0))
        return response
    if action != "consent":
        raise validation_error("action must be login, logout or consent")
    user = state.session_user(session_id)
    if user is None or session_id is None:
        return html_response(login_page(request.params))
    if not state.consume_nonce(form.get("nonce", ""), session_id, request.fingerprint()):
        raise validation_error("the consent form is stale or was not issued here; start again")
    decision = form.get("decision")
    if decision == "approve":
        return _approve(request, user, state)
    if decision == "deny":
        return request.back_to_client(error="access_denied")
    raise validation_error("decision must be approve or deny")


def handle_authorize(request: Request, state: SandboxState) -> Response:
    """Answer ``GET`` and ``POST /oauth2/v1/authorize``."""
    if request.method not in ("GET", "POST"):
        raise method_not_allowed("GET", "POST")
    form = request.query() if request.method == "GET" else request.form()
    authorization = validate(form, state.config)
    if state.config.auto_approve:
        return _approve(authorization, state.default_user, state)
    session_id = request.cookie(SESSION_COOKIE)
    if request.method == "POST":
        return _post(authorization, form, session_id, state)
    user = state.session_user(session_id)
    if user is None or session_id is None:
        return html_response(login_page(authorization.params))
    return _consent(authorization, user, session_id, state)
