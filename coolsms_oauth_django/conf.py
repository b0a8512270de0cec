"""The ``COOLSMS_OAUTH`` setting: each key declared once, validated, read through one accessor.

:data:`SETTINGS` declares every key: its default, how a value is checked (and the system check
that reports it), how it is read, and the line the README's settings table shows for it.
:data:`DEFAULTS`, the validation, :class:`AppSettings` and the README table all follow it
(tests hold the last two to it).

Nothing here reads settings at import time. :func:`app_settings` merges the site's dict with
:data:`DEFAULTS`, validates it once and caches the result until a setting changes, so
``override_settings`` works in tests.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from . import checks, endpoints
from .checks import Problem
from .exceptions import ConfigurationError
from .oauth import ClientConfig

SETTING_NAME = "COOLSMS_OAUTH"

TOKEN_REQUEST_FORMATS = ("json", "form")
TOKEN_AUTH_METHODS = ("body", "basic")

#: Return what is wrong with a setting's value (nothing: it is valid).
Validator = Callable[[str, Any], list[Problem]]
#: Return the value :class:`AppSettings` holds, given the merged dict.
Reader = Callable[[Any, Mapping[str, Any]], Any]


def _where(name: str) -> str:
    return f"{SETTING_NAME}['{name}']"


def _valid(name: str, value: Any) -> list[Problem]:
    return []


def _required(check_id: str) -> Validator:
    def validate(name: str, value: Any) -> list[Problem]:
        if value and isinstance(value, str):
            return []
        hint = (
            f"Add '{name}' to settings.{SETTING_NAME} with the value CoolSMS gave when you "
            "registered your app (for local work, run the sandbox: "
            "python -m coolsms_oauth_django.sandbox)."
        )
        return [Problem(check_id, f"{_where(name)} is not set.", hint)]

    return validate


def _is_loopback(host: str) -> bool:
    """Tell whether ``host`` is ``localhost``, in ``127.0.0.0/8`` or ``::1``.

    Names under ``.localhost`` are not taken: whether they stay on this machine depends on
    the resolver.
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_URL_HINT = "Give a URL such as 'https://api.coolsms.co.kr'."


def _endpoint(name: str, url: Any) -> list[Problem]:
    """Check one endpoint URL: absolute, no userinfo, https unless DEBUG or loopback."""
    where = _where(name)
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return [Problem(checks.E006, f"{where} must be an absolute URL.", _URL_HINT)]
    if "@" in parts.netloc:
        return [
            Problem(
                checks.E006,
                f"{where} must not contain user information ('user@host').",
                "Remove everything before '@' in the host part of the URL.",
            )
        ]
    if parts.scheme != "https" and not settings.DEBUG and not _is_loopback(parts.hostname):
        return [
            Problem(
                checks.E004,
                f"{where} uses plain HTTP outside DEBUG.",
                "Use an https:// URL. Plain HTTP is allowed only with DEBUG=True or for a "
                "sandbox provider on a loopback address.",
            )
        ]
    return []


def _optional_endpoint(name: str, url: Any) -> list[Problem]:
    return [] if url is None else _endpoint(name, url)


_KEY_HINT = (
    'Generate a key with: python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"'
)


def _keys(name: str, keys: Any) -> list[Problem]:
    from cryptography.fernet import Fernet

    if keys is None:
        return []
    if isinstance(keys, str) or not isinstance(keys, (list, tuple)) or not keys:
        return [
            Problem(
                checks.E003, f"{_where(name)} must be a non-empty list of Fernet keys.", _KEY_HINT
            )
        ]
    for index, key in enumerate(keys):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            return [
                Problem(
                    checks.E003, f"{_where(name)}[{index}] is not a valid Fernet key.", _KEY_HINT
                )
            ]
    return []


def _one_of(allowed: tuple[str, ...]) -> Validator:
    def validate(name: str, value: Any) -> list[Problem]:
        if value in allowed:
            return []
        hint = "Use one of: " + ", ".join(repr(choice) for choice in allowed) + "."
        return [Problem(checks.E007, f"{_where(name)} is {value!r}.", hint)]

    return validate


def _scopes(name: str, scopes: Any) -> list[Problem]:
    if (
        isinstance(scopes, Iterable)
        and not isinstance(scopes, str)
        and all(isinstance(scope, str) for scope in scopes)
    ):
        return []
    return [
        Problem(
            checks.E008,
            f"{_where(name)} must be a list of scope strings.",
            "For example: ['users:read', 'cash:read', 'message:write'].",
        )
    ]


def _positive_whole(check_id: str, hint: str) -> Validator:
    def validate(name: str, value: Any) -> list[Problem]:
        if not isinstance(value, bool) and isinstance(value, int) and value >= 1:
            return []
        return [Problem(check_id, f"{_where(name)} must be a positive whole number.", hint)]

    return validate


def _adapter(name: str, path: Any) -> list[Problem]:
    # Imported here: the adapter module reads these settings.
    from django.utils.module_loading import import_string

    from .adapter import CoolSMSAdapter

    hint = (
        "Give the dotted path of a subclass of coolsms_oauth_django.adapter.CoolSMSAdapter, "
        "such as 'myapp.adapter.MyAdapter'."
    )
    if not isinstance(path, str):
        return [Problem(checks.E011, f"{_where(name)} must be a dotted path.", hint)]
    try:
        found = import_string(path)
    except ImportError as err:
        return [Problem(checks.E011, f"{_where(name)} cannot be imported: {err}", hint)]
    if not (isinstance(found, type) and issubclass(found, CoolSMSAdapter)):
        return [Problem(checks.E011, f"{_where(name)} is not a CoolSMSAdapter subclass.", hint)]
    return []


#: The fewest characters a report secret may have.
MIN_REPORT_SECRET_LENGTH = 32


def _report_secrets(name: str, secrets: Any) -> list[Problem]:
    if not isinstance(secrets, (list, tuple)) or not all(
        isinstance(secret, str) and len(secret) >= MIN_REPORT_SECRET_LENGTH for secret in secrets
    ):
        return [
            Problem(
                checks.E012,
                f"{_where(name)} must be a list of secrets of at least "
                f"{MIN_REPORT_SECRET_LENGTH} characters.",
                'Generate one with: python -c "import secrets; print(secrets.token_urlsafe(32))"',
            )
        ]
    return []


def _as(convert: Callable[[Any], Any]) -> Reader:
    return lambda value, raw: convert(value)


def _or_none(value: Any, raw: Mapping[str, Any]) -> Any:
    return value or None


def _base_url(value: Any, raw: Mapping[str, Any]) -> str:
    return str(value).rstrip("/")


def _under_base_url(path: str) -> Reader:
    return lambda value, raw: value or _base_url(raw["BASE_URL"], raw) + path


@dataclass(frozen=True)
class Setting:
    """One key of ``COOLSMS_OAUTH``, declared once."""

    name: str
    default: Any
    #: The README table's "Default" cell.
    shown_default: str
    #: The README table's "What it does" cell.
    doc: str
    read: Reader
    validate: Validator = _valid

    @property
    def attribute(self) -> str:
        """Return the name of the :class:`AppSettings` field that holds the value."""
        return self.name.lower()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "CLIENT_ID",
        "",
        "— (required)",
        "Your CoolSMS app's client id.",
        _as(str),
        _required(checks.E001),
    ),
    Setting(
        "CLIENT_SECRET",
        "",
        "— (required)",
        "Your CoolSMS app's client secret. Never logged or shown.",
        _as(str),
        _required(checks.E002),
    ),
    Setting(
        "SCOPES",
        list(endpoints.DEFAULT_SCOPES),
        '`["users:read"]`',
        "Scopes to ask for, sent space-separated.",
        _as(tuple),
        _scopes,
    ),
    Setting(
        "BASE_URL",
        endpoints.DEFAULT_BASE_URL,
        "`https://api.coolsms.co.kr`",
        "CoolSMS API host. The same paths are served by `https://api.solapi.com` and (older) "
        "`https://rest.coolsms.co.kr`.",
        _base_url,
        _endpoint,
    ),
    Setting(
        "AUTHORIZE_URL",
        None,
        "`BASE_URL` + `/oauth2/v1/authorize`",
        "Any absolute URL (also for a standard RFC 6749 server).",
        _under_base_url(endpoints.AUTHORIZE_PATH),
        _optional_endpoint,
    ),
    Setting(
        "TOKEN_URL",
        None,
        "`BASE_URL` + `/oauth2/v1/access_token`",
        "Any absolute URL.",
        _under_base_url(endpoints.TOKEN_PATH),
        _optional_endpoint,
    ),
    Setting(
        "PROFILE_PATH",
        endpoints.MEMBER_PATH,
        "`/users/v1/member`",
        "Read after connecting to learn the member id (`memberId`, or `sub` on a standard "
        "server) and profile (`/oauth2/v1/userprofile` on older hosts). It must answer (scope "
        "`users:read`): without a member id nothing is stored.",
        _as(str),
    ),
    Setting(
        "REDIRECT_URI",
        None,
        "built from the request and the `callback` route",
        "Set it when your site runs behind a proxy, so it matches the URI registered with "
        "CoolSMS exactly.",
        _or_none,
    ),
    Setting(
        "TOKEN_REQUEST_FORMAT",
        "json",
        '`"json"`',
        '`"json"` (as CoolSMS documents) or `"form"` (RFC 6749).',
        _as(str),
        _one_of(TOKEN_REQUEST_FORMATS),
    ),
    Setting(
        "TOKEN_AUTH_METHOD",
        "body",
        '`"body"`',
        '`"body"` (client id and secret in the body) or `"basic"` (HTTP Basic).',
        _as(str),
        _one_of(TOKEN_AUTH_METHODS),
    ),
    Setting(
        "USE_PKCE",
        False,
        "`False`",
        "Send S256 PKCE parameters (CoolSMS does not document PKCE).",
        _as(bool),
    ),
    Setting(
        "ENCRYPTION_KEYS",
        None,
        "derived from `SECRET_KEY`",
        "List of Fernet keys: the first encrypts, all decrypt. Without it a key is derived "
        "from `SECRET_KEY` (`SECRET_KEY_FALLBACKS` still decrypt) and a system check warns.",
        lambda value, raw: tuple(value or ()),
        _keys,
    ),
    Setting("STATE_TTL", 600, "`600`", "Seconds a connect flow may take.", _as(int)),
    Setting(
        "MAX_PENDING_STATES",
        5,
        "`5`",
        "Connect flows one session may have open at once (several tabs).",
        _as(int),
    ),
    Setting(
        "ACCESS_TOKEN_LIFETIME",
        endpoints.DOCUMENTED_ACCESS_TOKEN_LIFETIME,
        "`86400`",
        "Lifetime assumed when neither `expires_in` nor the token's JWT claims say.",
        _as(int),
    ),
    Setting(
        "REFRESH_LEEWAY",
        60,
        "`60`",
        "Refresh this many seconds before the access token expires.",
        _as(int),
    ),
    Setting(
        "REFRESH_RETRIES",
        2,
        "`2`",
        "Retries of a refresh that failed with 5xx, a timeout or a network error. A refresh "
        "with its retries ends within `(REFRESH_RETRIES + 1) × TIMEOUT` plus the waits "
        "(31.5 s with the defaults); the row is locked only during each attempt.",
        _as(int),
    ),
    Setting(
        "REFRESH_BACKOFF",
        0.5,
        "`0.5`",
        "First retry delay in seconds; doubles each retry.",
        _as(float),
    ),
    Setting(
        "TIMEOUT",
        10,
        "`10`",
        "Seconds for every HTTP call to CoolSMS: a deadline for the whole call (connecting "
        "and reading all of the answer), not for each read.",
        _as(float),
    ),
    Setting(
        "POOL_SIZE",
        10,
        "`10`",
        "Keep-alive connections to CoolSMS a process keeps for reuse (the sessions of a "
        "process share them). Raise it to your worker's thread count when more threads call "
        "CoolSMS at once.",
        _as(int),
        _positive_whole(
            checks.E009,
            "Give the number of connections to CoolSMS a process keeps for reuse, such as "
            "10, or your web worker's thread count if it is larger.",
        ),
    ),
    Setting(
        "MAX_RESPONSE_SIZE",
        10 * 1024 * 1024,
        "`10485760` (10 MiB)",
        "Bytes of an API answer that `session.call()` and the helpers read at most; a longer "
        "answer is a `CoolSMSAPIError` (`ResponseTooLarge`), read no further. Answers of the "
        "token endpoint and the connect flow's profile stop at 1 MiB.",
        _as(int),
        _positive_whole(
            checks.E013, "Give a size in bytes, such as 10485760 (10 MiB, the default)."
        ),
    ),
    Setting(
        "CONNECT_REDIRECT_URL",
        "/",
        '`"/"`',
        "Where to go after connecting when there is no valid `next`.",
        _as(str),
    ),
    Setting(
        "ISSUER",
        None,
        "the server at `AUTHORIZE_URL`",
        "When a callback carries `iss` (RFC 9207), on success or error, it must equal "
        "`ISSUER`; unset, it must be `AUTHORIZE_URL`'s scheme and host, optionally with a "
        "leading part of its path (`https://id.example/realms/a` for "
        "`https://id.example/realms/a/auth`). Anything else is refused with a 400.",
        lambda value, raw: value.rstrip("/") if value else None,
    ),
    Setting(
        "APP_ID",
        None,
        "`None`",
        "Your CoolSMS app id, sent as `agent.appId` with messages (credits your app).",
        _or_none,
    ),
    Setting(
        "ADAPTER",
        "coolsms_oauth_django.adapter.CoolSMSAdapter",
        '`"coolsms_oauth_django.adapter.CoolSMSAdapter"`',
        "Dotted path of your subclass of `CoolSMSAdapter`: the session for token calls, what "
        "is kept of the profile, where a connect flow lands (see [the adapter](#the-adapter)).",
        _as(str),
        _adapter,
    ),
    Setting(
        "REPORT_SECRETS",
        [],
        "`[]`",
        "Secrets of the delivery report URLs: the first makes the URLs, all are accepted (to "
        "rotate, put a new one first and register the URLs again). Empty: no reports are "
        "taken (404).",
        _as(tuple),
        _report_secrets,
    ),
    Setting(
        "REPORT_CONFIRM",
        False,
        "`False`",
        "Before `message_report` is sent, read each reported message back through its "
        "user's session (scope `message:read`) and pass on CoolSMS's own status.",
        _as(bool),
    ),
    Setting(
        "REPORT_MAX_BYTES",
        10 * 1024 * 1024,
        "`10485760`",
        "Largest report body taken (10 MiB, about 25,000 events); a larger one gets a 413.",
        _as(int),
    ),
)

#: Every key's default.
DEFAULTS: dict[str, Any] = {setting.name: setting.default for setting in SETTINGS}


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
    max_response_size: int
    connect_redirect_url: str
    #: The expected ``iss`` of a callback; ``None`` derives it from ``authorize_url``.
    issuer: str | None
    app_id: str | None
    #: The dotted path of the site's :class:`~.adapter.CoolSMSAdapter`.
    adapter: str
    report_secrets: tuple[str, ...]
    report_confirm: bool
    report_max_bytes: int

    def __repr__(self) -> str:
        # The dataclass repr would print the client secret and the report secrets.
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


def collect_problems(raw: dict[str, Any] | None = None) -> list[Problem]:
    """Return every configuration error, for the system checks and the accessor."""
    raw = raw_settings() if raw is None else raw
    return [
        problem
        for setting in SETTINGS
        for problem in setting.validate(setting.name, raw[setting.name])
    ]


def _build(raw: dict[str, Any]) -> AppSettings:
    return AppSettings(
        **{setting.attribute: setting.read(raw[setting.name], raw) for setting in SETTINGS}
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


@functools.lru_cache(maxsize=1)
def oauth_config() -> ClientConfig:
    """Return what the protocol layer (:mod:`.oauth`) needs of the validated settings."""
    config = app_settings()
    return ClientConfig(
        client_id=config.client_id,
        client_secret=config.client_secret,
        authorize_url=config.authorize_url,
        token_url=config.token_url,
        scopes=config.scopes,
        token_request_format=config.token_request_format,
        token_auth_method=config.token_auth_method,
        timeout=config.timeout,
        access_token_lifetime=config.access_token_lifetime,
        issuer=config.issuer,
    )


@receiver(setting_changed)
def _clear_cache(*, setting: str, **kwargs: Any) -> None:
    if setting in (SETTING_NAME, "DEBUG"):
        app_settings.cache_clear()
        oauth_config.cache_clear()
