"""The ``COOLSMS_OAUTH`` setting: defaults, validation and one cached accessor.

Nothing here reads settings at import time. :func:`app_settings` merges the site's dict with
:data:`DEFAULTS`, validates it once and caches the result until a setting changes, so
``override_settings`` works in tests.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from . import endpoints
from .exceptions import ConfigurationError

SETTING_NAME = "COOLSMS_OAUTH"

DEFAULTS: dict[str, Any] = {
    "CLIENT_ID": "",
    "CLIENT_SECRET": "",
    "SCOPES": list(endpoints.DEFAULT_SCOPES),
    "BASE_URL": endpoints.DEFAULT_BASE_URL,
    "AUTHORIZE_URL": None,
    "TOKEN_URL": None,
    "PROFILE_PATH": endpoints.MEMBER_PATH,
    "REDIRECT_URI": None,
    "TOKEN_REQUEST_FORMAT": "json",
    "TOKEN_AUTH_METHOD": "body",
    "USE_PKCE": False,
    "ENCRYPTION_KEYS": None,
    "STATE_TTL": 600,
    "MAX_PENDING_STATES": 5,
    "ACCESS_TOKEN_LIFETIME": endpoints.DOCUMENTED_ACCESS_TOKEN_LIFETIME,
    "REFRESH_LEEWAY": 60,
    "REFRESH_RETRIES": 2,
    "REFRESH_BACKOFF": 0.5,
    "TIMEOUT": 10,
    "POOL_SIZE": 10,
    "CONNECT_REDIRECT_URL": "/",
    "ISSUER": None,
    "APP_ID": None,
}

TOKEN_REQUEST_FORMATS = ("json", "form")
TOKEN_AUTH_METHODS = ("body", "basic")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the configuration, as a system check reports it."""

    id: str
    msg: str
    hint: str


@dataclass(frozen=True)
class AppSettings:
    """The validated ``COOLSMS_OAUTH`` setting."""

    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    base_url: str
    authorize_url: str
    token_url: str
    profile_path: str
    redirect_uri: str | None
    token_request_format: str
    token_auth_method: str
    use_pkce: bool
    encryption_keys: tuple[str, ...]
    state_ttl: int
    max_pending_states: int
    access_token_lifetime: int
    refresh_leeway: int
    refresh_retries: int
    refresh_backoff: float
    timeout: float
    pool_size: int
    connect_redirect_url: str
    #: The expected ``iss`` of a callback; ``None`` derives it from ``authorize_url``.
    issuer: str | None
    app_id: str | None

    def __repr__(self) -> str:
        # The dataclass repr would print the client secret.
        return f"AppSettings(client_id={self.client_id!r}, base_url={self.base_url!r})"

    def api_url(self, path: str) -> str:
        """Return the absolute URL of a CoolSMS API path."""
        return self.base_url + "/" + path.lstrip("/")


def raw_settings() -> dict[str, Any]:
    """Return the user's ``COOLSMS_OAUTH`` dict merged over :data:`DEFAULTS`."""
    user = getattr(settings, SETTING_NAME, None) or {}
    if not isinstance(user, dict):
        raise ConfigurationError(f"settings.{SETTING_NAME} must be a dict.")
    return {**DEFAULTS, **user}


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _endpoint_problems(name: str, url: Any) -> list[Problem]:
    """Check one endpoint URL: absolute, no userinfo, https unless DEBUG or loopback."""
    where = f"{SETTING_NAME}['{name}']"
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return [Problem("coolsms_oauth.E006", f"{where} must be an absolute URL.", _URL_HINT)]
    if "@" in parts.netloc:
        return [
            Problem(
                "coolsms_oauth.E006",
                f"{where} must not contain user information ('user@host').",
                "Remove everything before '@' in the host part of the URL.",
            )
        ]
    if parts.scheme != "https" and not settings.DEBUG and not _is_loopback(parts.hostname):
        return [
            Problem(
                "coolsms_oauth.E004",
                f"{where} uses plain HTTP outside DEBUG.",
                "Use an https:// URL. Plain HTTP is allowed only with DEBUG=True or for a "
                "sandbox provider on a loopback address.",
            )
        ]
    return []


_URL_HINT = "Give a URL such as 'https://api.coolsms.co.kr'."


def _key_problems(keys: Any) -> list[Problem]:
    from cryptography.fernet import Fernet

    if keys is None:
        return []
    if isinstance(keys, str) or not isinstance(keys, (list, tuple)) or not keys:
        return [
            Problem(
                "coolsms_oauth.E003",
                f"{SETTING_NAME}['ENCRYPTION_KEYS'] must be a non-empty list of Fernet keys.",
                _KEY_HINT,
            )
        ]
    for index, key in enumerate(keys):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            return [
                Problem(
                    "coolsms_oauth.E003",
                    f"{SETTING_NAME}['ENCRYPTION_KEYS'][{index}] is not a valid Fernet key.",
                    _KEY_HINT,
                )
            ]
    return []


_KEY_HINT = (
    'Generate a key with: python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"'
)


def collect_problems(raw: dict[str, Any] | None = None) -> list[Problem]:
    """Return every configuration error, for the system checks and the accessor."""
    raw = raw_settings() if raw is None else raw
    problems: list[Problem] = []
    for name, check_id in (("CLIENT_ID", "E001"), ("CLIENT_SECRET", "E002")):
        if not raw.get(name) or not isinstance(raw[name], str):
            problems.append(
                Problem(
                    f"coolsms_oauth.{check_id}",
                    f"{SETTING_NAME}['{name}'] is not set.",
                    f"Add '{name}' to settings.{SETTING_NAME} with the value CoolSMS gave "
                    "when you registered your app (for local work, run the sandbox: "
                    "python -m coolsms_oauth_django.sandbox).",
                )
            )
    problems += _endpoint_problems("BASE_URL", raw["BASE_URL"])
    for name in ("AUTHORIZE_URL", "TOKEN_URL"):
        if raw[name] is not None:
            problems += _endpoint_problems(name, raw[name])
    problems += _key_problems(raw["ENCRYPTION_KEYS"])
    for name, allowed in (
        ("TOKEN_REQUEST_FORMAT", TOKEN_REQUEST_FORMATS),
        ("TOKEN_AUTH_METHOD", TOKEN_AUTH_METHODS),
    ):
        if raw[name] not in allowed:
            problems.append(
                Problem(
                    "coolsms_oauth.E007",
                    f"{SETTING_NAME}['{name}'] is {raw[name]!r}.",
                    "Use one of: " + ", ".join(repr(value) for value in allowed) + ".",
                )
            )
    scopes = raw["SCOPES"]
    if isinstance(scopes, str) or not all(isinstance(scope, str) for scope in scopes):
        problems.append(
            Problem(
                "coolsms_oauth.E008",
                f"{SETTING_NAME}['SCOPES'] must be a list of scope strings.",
                "For example: ['users:read', 'cash:read', 'message:write'].",
            )
        )
    pool_size = raw["POOL_SIZE"]
    if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
        problems.append(
            Problem(
                "coolsms_oauth.E009",
                f"{SETTING_NAME}['POOL_SIZE'] must be a positive whole number.",
                "Give the number of connections to CoolSMS a process keeps for reuse, such as "
                "10, or your web worker's thread count if it is larger.",
            )
        )
    return problems


def _build(raw: dict[str, Any]) -> AppSettings:
    base_url = raw["BASE_URL"].rstrip("/")
    return AppSettings(
        client_id=raw["CLIENT_ID"],
        client_secret=raw["CLIENT_SECRET"],
        scopes=tuple(raw["SCOPES"]),
        base_url=base_url,
        authorize_url=raw["AUTHORIZE_URL"] or base_url + endpoints.AUTHORIZE_PATH,
        token_url=raw["TOKEN_URL"] or base_url + endpoints.TOKEN_PATH,
        profile_path=raw["PROFILE_PATH"],
        redirect_uri=raw["REDIRECT_URI"] or None,
        token_request_format=raw["TOKEN_REQUEST_FORMAT"],
        token_auth_method=raw["TOKEN_AUTH_METHOD"],
        use_pkce=bool(raw["USE_PKCE"]),
        encryption_keys=tuple(raw["ENCRYPTION_KEYS"] or ()),
        state_ttl=int(raw["STATE_TTL"]),
        max_pending_states=int(raw["MAX_PENDING_STATES"]),
        access_token_lifetime=int(raw["ACCESS_TOKEN_LIFETIME"]),
        refresh_leeway=int(raw["REFRESH_LEEWAY"]),
        refresh_retries=int(raw["REFRESH_RETRIES"]),
        refresh_backoff=float(raw["REFRESH_BACKOFF"]),
        timeout=float(raw["TIMEOUT"]),
        pool_size=int(raw["POOL_SIZE"]),
        connect_redirect_url=raw["CONNECT_REDIRECT_URL"],
        issuer=raw["ISSUER"].rstrip("/") if raw["ISSUER"] else None,
        app_id=raw["APP_ID"] or None,
    )


@functools.lru_cache(maxsize=1)
def app_settings() -> AppSettings:
    """Return the validated settings; raise :class:`ConfigurationError` naming the problem."""
    raw = raw_settings()
    problems = collect_problems(raw)
    if problems:
        first = problems[0]
        raise ConfigurationError(f"{first.msg} {first.hint}")
    return _build(raw)


@receiver(setting_changed)
def _clear_cache(*, setting: str, **kwargs: Any) -> None:
    if setting in (SETTING_NAME, "DEBUG"):
        app_settings.cache_clear()
