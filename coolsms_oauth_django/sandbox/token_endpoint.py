"""``POST /oauth2/v1/access_token``: client authentication and the two grants."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from .config import SandboxConfig
from .errors import SandboxError, json_object, validation_error
from .memory import SandboxState, same_secret
from .web import (
    FORM_TYPE,
    Request,
    Response,
    json_response,
    method_not_allowed,
    required_param,
)


def _invalid_client(message: str) -> SandboxError:
    return SandboxError(400, "InvalidClient", message)


def token_params(request: Request) -> dict[str, str]:
    """Return the token request's parameters from a JSON or form body."""
    if request.content_type == FORM_TYPE:
        return request.form()
    if request.content_type != "application/json":
        raise validation_error(f"Content-Type must be application/json or {FORM_TYPE}")
    data = json_object(request.json())
    params: dict[str, str] = {}
    for key, value in data.items():
        if value is None:
            continue
        if not isinstance(value, str):
            raise validation_error(f"{key} must be a string")
        params[key] = value
    return params


def peek_grant_type(request: Request) -> str | None:
    """Return the grant type a token request names, or None when it cannot be read."""
    try:
        return token_params(request).get("grant_type")
    except SandboxError:
        return None


def _basic_credentials(header: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(header.split(None, 1)[1], validate=True).decode("utf-8")
    except (IndexError, binascii.Error, UnicodeDecodeError) as err:
        raise _invalid_client("the Basic Authorization header is malformed") from err
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        raise _invalid_client("the Basic Authorization header is malformed")
    # RFC 6749 §2.3.1: both parts are form-encoded before they are joined.
    return unquote_plus(client_id), unquote_plus(secret)


def authenticate_client(request: Request, params: dict[str, str], config: SandboxConfig) -> str:
    """Return the client id once the client has proven its secret."""
    header = request.header("authorization") or ""
    if header[:6].lower() == "basic ":
        if "client_secret" in params:
            raise _invalid_client("use one client authentication method, not two")
        client_id, secret = _basic_credentials(header)
        if params.get("client_id", client_id) != client_id:
            raise _invalid_client("client_id in the body differs from the Authorization header")
    else:
        client_id, secret = params.get("client_id", ""), params.get("client_secret", "")
        if not client_id or not secret:
            raise _invalid_client("client_id and client_secret are required")
    matches = [same_secret(client_id, config.client_id), same_secret(secret, config.client_secret)]
    if not all(matches):
        raise _invalid_client("client authentication failed")
    return client_id


def handle_token(request: Request, state: SandboxState) -> Response:
    """Answer a token request with tokens or the documented error."""
    if request.method != "POST":
        raise method_not_allowed("POST")
    params = token_params(request)
    client_id = authenticate_client(request, params, state.config)
    grant_type = required_param(params, "grant_type")
    if grant_type == "authorization_code":
        body = state.exchange_code(
            client_id=client_id,
            code=required_param(params, "code"),
            redirect_uri=params.get("redirect_uri") or None,
            code_verifier=params.get("code_verifier"),
        )
    elif grant_type == "refresh_token":
        body = state.refresh(
            client_id=client_id,
            refresh_token=required_param(params, "refresh_token"),
            scope=params.get("scope"),
        )
    else:
        raise validation_error(f"grant_type {grant_type} is not supported")
    response = json_response(body)
    response.headers.append(("Pragma", "no-cache"))
    return response
