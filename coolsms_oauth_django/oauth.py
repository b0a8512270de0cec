"""The OAuth2 protocol with CoolSMS: authorize URL, code exchange, refresh, token parsing.

Nothing here imports Django, as with Authlib's protocol code: each call takes a
:class:`ClientConfig` (which :func:`~coolsms_oauth_django.conf.oauth_config` builds from the
``COOLSMS_OAUTH`` setting) and a ``requests.Session``, so it is tested without a web request or
settings, and the Django-free sandbox shares it. Where CoolSMS's documentation is silent,
RFC 6749 decides.

The functions that send a code, a token or the client secret let their errors out detached
(:func:`~coolsms_oauth_django.errors.detach_errors`): an error report never reaches the
frames that held them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, TypeGuard
from urllib.parse import quote, quote_plus, urlencode, urlsplit, urlunsplit

import jwt
import requests

from .endpoints import DOCUMENTED_ACCESS_TOKEN_LIFETIME, GRANT_GONE_ERRORS, parse_date
from .errors import (
    InvalidGrant,
    TokenError,
    TokenRefreshError,
    detach_errors,
    exception_chain,
    failure_reason,
)

logger = logging.getLogger("coolsms_oauth_django")

#: Answers larger than this are refused unread (a token response is a few KB at most).
MAX_RESPONSE_BYTES = 1024 * 1024
#: An expiry further away than this is not believed.
MAX_LIFETIME = timedelta(days=366)


@dataclass(frozen=True)
class ClientConfig:
    """What the protocol needs to know of the client; its repr never shows the secret."""

    client_id: str
    client_secret: str = field(repr=False)
    authorize_url: str
    token_url: str
    #: The scopes to ask for.
    scopes: tuple[str, ...]
    #: ``"json"`` (as CoolSMS documents) or ``"form"`` (RFC 6749).
    token_request_format: str = "json"
    #: ``"body"`` (client id and secret in the body) or ``"basic"`` (HTTP Basic).
    token_auth_method: str = "body"
    #: Seconds each call to the token endpoint may take.
    timeout: float = 10
    #: Lifetime assumed when neither ``expires_in`` nor the token's claims say.
    access_token_lifetime: int = DOCUMENTED_ACCESS_TOKEN_LIFETIME
    #: The expected ``iss`` of a callback; ``None`` derives it from ``authorize_url``.
    issuer: str | None = None


@dataclass(frozen=True)
class TokenSet:
    """A validated token response. Its repr never shows a token."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    token_type: str
    expires_at: datetime
    scopes: tuple[str, ...]
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def member_id(self) -> str | None:
        """Return the CoolSMS member id the access token names, if it is a JWT that does."""
        value = self.claims.get("memberId")
        return value if isinstance(value, str) and value else None


# --- PKCE (RFC 7636), for the client and the sandbox ---------------------------------------

#: A code verifier: 43 to 128 unreserved characters (section 4.1).
CODE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
#: An S256 code challenge: a SHA-256 digest in base64url without padding, 43 characters.
S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")


def new_code_verifier() -> str:
    """Return a PKCE code verifier: 43 characters from 32 random bytes."""
    return secrets.token_urlsafe(32)


def code_challenge(verifier: str) -> str:
    """Return the S256 code challenge of ``verifier`` (section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verifier_matches(verifier: str, challenge: str) -> bool:
    """Tell whether ``verifier`` is well formed and its S256 challenge is ``challenge``.

    The server's side of PKCE (section 4.6), compared in constant time.
    """
    return CODE_VERIFIER.fullmatch(verifier) is not None and hmac.compare_digest(
        code_challenge(verifier).encode("ascii"), challenge.encode("utf-8")
    )


# --- Authorize ---------------------------------------------------------------------------


def authorize_url(
    config: ClientConfig, *, redirect_uri: str, state: str, code_verifier: str | None = None
) -> str:
    """Return the URL that sends the user to CoolSMS to approve this site."""
    params = [
        ("client_id", config.client_id),
        ("response_type", "code"),
        ("scope", " ".join(config.scopes)),
        ("redirect_uri", redirect_uri),
        ("state", state),
    ]
    if code_verifier is not None:
        params += [("code_challenge", code_challenge(code_verifier))]
        params += [("code_challenge_method", "S256")]
    parts = urlsplit(config.authorize_url)
    query = urlencode(params, quote_via=quote)
    if parts.query:
        query = parts.query + "&" + query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def issuer_matches(config: ClientConfig, issuer: str) -> bool:
    """Tell whether a callback's ``iss`` names the server the user was sent to (RFC 9207).

    With ``ISSUER`` set, ``iss`` must equal it. Without, it must be the authorize URL's
    origin, or that origin with a leading part of the authorize URL's path (a server at
    ``https://id.example/realms/a/auth`` may call itself ``https://id.example/realms/a``).
    Strings are compared as they are, but for a trailing slash.
    """
    issuer = issuer.rstrip("/")
    if config.issuer is not None:
        return issuer == config.issuer
    expected = urlsplit(config.authorize_url)
    given = urlsplit(issuer)
    if (given.scheme, given.netloc) != (expected.scheme, expected.netloc):
        return False
    if given.query or given.fragment or issuer.endswith(("?", "#")):
        return False
    return not given.path or (expected.path + "/").startswith(given.path + "/")


# --- Token endpoint ----------------------------------------------------------------------


@detach_errors()
def exchange_code(
    config: ClientConfig,
    http: requests.Session,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str | None = None,
    now: datetime,
) -> TokenSet:
    """Exchange an authorization code for tokens."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier is not None:
        data["code_verifier"] = code_verifier
    return _token_request(config, http, data, requested_scopes=config.scopes, now=now)


@detach_errors()
def refresh_tokens(
    config: ClientConfig,
    http: requests.Session,
    *,
    refresh_token: str,
    scopes: tuple[str, ...],
    now: datetime,
) -> TokenSet:
    """Use a refresh token for a new access token (and possibly a new refresh token)."""
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _token_request(config, http, data, requested_scopes=scopes, now=now)


def _token_request(
    config: ClientConfig,
    http: requests.Session,
    data: dict[str, str],
    *,
    requested_scopes: tuple[str, ...],
    now: datetime,
) -> TokenSet:
    grant = data["grant_type"]
    body = dict(data)
    auth: tuple[str, str] | None = None
    if config.token_auth_method == "basic":
        # RFC 6749 §2.3.1: form-encode both before Basic encoding.
        auth = (quote_plus(config.client_id), quote_plus(config.client_secret))
    else:
        body["client_id"] = config.client_id
        body["client_secret"] = config.client_secret
    payload: dict[str, Any] = (
        {"json": body} if config.token_request_format == "json" else {"data": body}
    )
    try:
        response = http.post(
            config.token_url,
            auth=auth,
            headers={"Accept": "application/json"},
            timeout=config.timeout,
            allow_redirects=False,
            stream=True,
            **payload,
        )
        with response:
            content = read_limited(response)
    except requests.RequestException as err:
        logger.warning("CoolSMS token endpoint unreachable (%s): %s", grant, type(err).__name__)
        _, message = network_error("The CoolSMS token endpoint", err, config.timeout)
        raise TokenRefreshError(message) from err
    logger.debug("CoolSMS token endpoint answered %s to %s", response.status_code, grant)
    if not 200 <= response.status_code < 300:
        raise _token_error(response.status_code, content)
    return parse_token_response(
        content,
        requested_scopes=requested_scopes,
        now=now,
        fallback_lifetime=config.access_token_lifetime,
    )


def read_limited(response: requests.Response, limit: int = MAX_RESPONSE_BYTES) -> bytes | None:
    """Return the body of a streamed response, or ``None`` when it is longer than ``limit``.

    Nothing past ``limit`` is read (a body that claims to be longer is not read at all). A
    failed read raises ``requests``' error.
    """
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def network_error(what: str, err: requests.RequestException, timeout: float) -> tuple[str, str]:
    """Return the error code and message for a call to ``what`` that failed in the network.

    A timeout (connecting, or the answer missing its deadline) is ``"Timeout"``; anything
    else is named by the error's type, and the message says what the network said.
    """
    if any(isinstance(error, (TimeoutError, requests.Timeout)) for error in exception_chain(err)):
        return "Timeout", f"{what} did not answer within {timeout:g} s."
    return type(err).__name__, f"{what} could not be reached ({failure_reason(err)})."


def parse_error_body(content: bytes | None) -> tuple[str, str]:
    """Return ``(error_code, message)`` from a CoolSMS, RFC 6749 or non-JSON error body."""
    data = decode_object(content)
    if data is not None:
        code = data.get("errorCode") or data.get("error")
        message = data.get("errorMessage") or data.get("error_description") or ""
        if isinstance(code, str) and code:
            return code[:100], str(message)[:500]
    return "", ""


def _token_error(status: int, content: bytes | None) -> TokenError:
    code, message = parse_error_body(content)
    text = f"The CoolSMS token endpoint answered {status}" + (f" {code}" if code else "") + "."
    if code in GRANT_GONE_ERRORS:
        return InvalidGrant(text, status=status, error_code=code, description=message)
    if status >= 500 or status == 429:
        return TokenRefreshError(text, status=status, error_code=code, description=message)
    return TokenError(text, status=status, error_code=code, description=message)


def decode_object(content: bytes | None) -> dict[str, Any] | None:
    """Return the JSON object ``content`` holds, or ``None`` for anything else."""
    if not content:
        return None
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _sendable(token: Any) -> TypeGuard[str]:
    """Tell whether ``token`` is a non-empty run of printable ASCII (RFC 6749's VSCHAR).

    Anything else (a line break, a leading space, a non-ASCII letter) could not be sent in a
    header: ``requests`` would refuse it with an error whose message is the header itself.
    """
    return (
        isinstance(token, str)
        and token.isascii()
        and token.isprintable()
        and bool(token.strip())
        and token == token.strip()
    )


def parse_token_response(
    content: bytes | None,
    *,
    requested_scopes: tuple[str, ...],
    now: datetime,
    fallback_lifetime: int,
) -> TokenSet:
    """Validate a successful token response body and return its :class:`TokenSet`."""
    data = decode_object(content)
    if data is None:
        raise TokenError("The CoolSMS token endpoint answered with something other than JSON.")
    access_token = data.get("access_token")
    if not isinstance(access_token, str) or not access_token.strip():
        raise TokenError("The CoolSMS token response has no access_token.")
    if not _sendable(access_token):
        raise TokenError(
            "The CoolSMS token response has an access_token that is not printable ASCII."
        )
    token_type = data.get("token_type", "Bearer")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise TokenError("The CoolSMS token response has a token_type other than Bearer.")
    refresh_token = data.get("refresh_token")
    if refresh_token is not None and not _sendable(refresh_token):
        raise TokenError("The CoolSMS token response has an invalid refresh_token.")
    claims = unverified_claims(access_token)
    return TokenSet(
        access_token=access_token,
        refresh_token=refresh_token,
        token_type="Bearer",
        expires_at=_expiry(data.get("expires_in"), claims, now, fallback_lifetime),
        scopes=_granted_scopes(data.get("scope"), claims, requested_scopes),
        claims=claims,
    )


def _expiry(
    expires_in: Any, claims: Mapping[str, Any], now: datetime, fallback_lifetime: int
) -> datetime:
    if expires_in is not None:
        seconds = _as_seconds(expires_in)
        if seconds is None:
            raise TokenError("The CoolSMS token response has an invalid expires_in.")
        # Capped before timedelta() sees it: a huge expires_in would overflow it.
        return now + timedelta(seconds=min(seconds, int(MAX_LIFETIME.total_seconds())))
    claimed = claimed_expiry(claims)
    if claimed is not None:
        # Clamped both ways: a date far in the past or future does not fit every database.
        return max(min(claimed, now + MAX_LIFETIME), now - MAX_LIFETIME)
    return now + timedelta(seconds=fallback_lifetime)


def _as_seconds(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    # isdigit() alone lets "²" and other digits int() refuses through.
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


def unverified_claims(token: str) -> dict[str, Any]:
    """Return a JWT's payload without verifying it, or ``{}`` for an opaque token.

    The claims only schedule refreshes and fill in what CoolSMS leaves out of its token
    response; they never decide who may do what (RFC 9068 §6).
    """
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, TypeError, UnicodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def claimed_expiry(claims: Mapping[str, Any]) -> datetime | None:
    """Return the expiry a JWT claims (``exp`` or CoolSMS's ``expireAt``), if readable."""
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and not isinstance(exp, bool):
        try:
            return datetime.fromtimestamp(exp, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            pass
    expire_at = claims.get("expireAt")
    if isinstance(expire_at, str):
        try:
            # In UTC now: "0001-01-01T00:00+01:00" has no UTC equivalent and would overflow later.
            return parse_date(expire_at).astimezone(timezone.utc)
        except (ValueError, OverflowError):
            return None
    return None


def _granted_scopes(
    scope: Any, claims: Mapping[str, Any], requested: tuple[str, ...]
) -> tuple[str, ...]:
    for value in (scope, claims.get("scope"), claims.get("scopes")):
        if isinstance(value, str) and value.strip():
            return tuple(value.split())
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return tuple(value)
    return tuple(requested)
