"""``CoolSMSSession``: a ``requests.Session`` that calls CoolSMS as one connected user.

The session holds the account's primary key and the access token it last read (never the
refresh token; never in its repr). It sends that token while it is fresh; when it expires
within ``REFRESH_LEEWAY`` the bearer auth reads the database again, refreshing first when
the stored token is due too (single-flight, see :mod:`.refresh`), and puts the token in the
``Authorization`` header of that one request. If CoolSMS still answers 401, the token is
refreshed once (or the one another worker saved is taken) and the request sent again.

``request()`` (and so ``get()``, ``post()``, ...) returns the response as ``requests`` does;
:meth:`CoolSMSSession.call` and the helpers built on it (the messaging helpers come from
:class:`~.messaging.MessagingMixin`) return the decoded JSON and raise
:class:`CoolSMSAPIError` for any error answer (:func:`api_error`). The connect flow reads the
member profile with :func:`fetch_profile` before a connection, and so a session, exists.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from . import endpoints, oauth, refresh
from .accounts import connection_row
from .conf import AppSettings, app_settings
from .exceptions import (
    CoolSMSAPIError,
    CoolSMSOAuthError,
    NotConnected,
    ReconnectRequired,
    detach_errors,
)
from .http import USER_AGENT, api_adapter
from .messaging import MessagingMixin, json_object
from .models import CoolSMSAccount, token_is_due

__all__ = [
    "CoolSMSBearerAuth",
    "CoolSMSSession",
    "api_error",
    "fetch_profile",
    "get_coolsms_session",
]


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class CoolSMSBearerAuth(requests.auth.AuthBase):
    """Attach the account's current access token as ``Authorization: Bearer``.

    The token goes only in the header, and only to CoolSMS's own origin: a request the
    session sends elsewhere leaves without it.
    """

    def __init__(self, session: CoolSMSSession) -> None:
        self._session = session

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if request.url is None or _origin(request.url) != self._session.origin:
            return request
        request.headers["Authorization"] = f"Bearer {self._session.usable_token()}"
        return request

    def __repr__(self) -> str:
        return f"<CoolSMSBearerAuth account={self._session.account_pk}>"


def _bearer(request: requests.PreparedRequest) -> str | None:
    header = request.headers.get("Authorization")
    if not isinstance(header, str) or not header.startswith("Bearer "):
        return None
    return header[len("Bearer ") :]


def _replayable(kwargs: Mapping[str, Any]) -> bool:
    """Tell whether the request body can be sent a second time."""
    if kwargs.get("files"):
        return False
    data = kwargs.get("data")
    return data is None or isinstance(data, (str, bytes, dict, list, tuple))


class CoolSMSSession(MessagingMixin, requests.Session):
    """A ``requests.Session`` bound to one user's CoolSMS connection.

    Relative URLs resolve against ``BASE_URL``; every request gets the ``TIMEOUT`` setting
    unless it names its own timeout.
    """

    def __init__(self, account: CoolSMSAccount | int, *, sleep: refresh.Sleep | None = None):
        super().__init__()
        config = app_settings()
        #: The connection row's primary key (``CoolSMSAccount.account_id`` is CoolSMS's own
        #: account ID, a different thing).
        self.account_pk: int = account if isinstance(account, int) else account.pk
        self.base_url: str = config.base_url
        #: CoolSMS's scheme and host: the only origin that gets the token.
        self.origin: tuple[str, str] = _origin(config.base_url)
        self.timeout: float = config.timeout
        #: The most bytes :meth:`call` reads of an answer (``MAX_RESPONSE_SIZE``).
        self.max_response_size: int = config.max_response_size
        self.app_id: str | None = config.app_id
        self.profile_path: str = config.profile_path
        #: How refresh retries wait; tests pass a function that does not.
        self.sleep = sleep
        #: Seconds before expiry when the token is due for a refresh.
        self.leeway: float = config.refresh_leeway
        self.headers["User-Agent"] = USER_AGENT
        self.headers["Accept"] = "application/json"
        self.auth = CoolSMSBearerAuth(self)
        # Connections to CoolSMS come from the process's pool (see .http): closing this
        # session leaves them open for the next one.
        self.mount("{}://{}/".format(*self.origin), api_adapter())
        # The token last read, kept until it is due for a refresh or CoolSMS rejects it.
        self._token: str | None = None
        self._token_expires: datetime | None = None

    def remember_token(self, token: str | None, expires_at: datetime | None) -> None:
        """Keep ``token`` for the next requests until ``expires_at`` nears (``None``: reread)."""
        self._token, self._token_expires = token, expires_at

    def usable_token(self) -> str:
        """Return an access token to send: the kept one while it is fresh, else the database's.

        The database read refreshes the token first when it is due (single-flight).
        """
        if (
            self._token is not None
            and self._token_expires is not None
            and not token_is_due(self._token_expires, self.leeway)
        ):
            return self._token
        token, expires_at = refresh.token_and_expiry(self.account_pk, sleep=self.sleep)
        self.remember_token(token, expires_at)
        return token

    def __repr__(self) -> str:
        return f"<CoolSMSSession account={self.account_pk} base_url={self.base_url!r}>"

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path``, resolved against ``BASE_URL``."""
        if urlsplit(path).scheme:
            return path
        return urljoin(self.base_url + "/", path.lstrip("/"))

    @detach_errors(CoolSMSOAuthError, requests.RequestException)
    def request(  # type: ignore[override]
        self, method: str | bytes, url: str | bytes, **kwargs: Any
    ) -> requests.Response:
        """Send a request; refresh and send it once more if CoolSMS answers 401.

        Errors are raised without the frames of ``requests`` and urllib3, which hold the
        ``Authorization`` header (see :func:`~coolsms_oauth_django.exceptions.detach_errors`).
        """
        return self._send(method, url, **kwargs)

    def _send(self, method: str | bytes, url: str | bytes, **kwargs: Any) -> requests.Response:
        target = self.url(url.decode() if isinstance(url, bytes) else url)
        kwargs.setdefault("timeout", self.timeout)
        response = super().request(method, target, **kwargs)
        if (
            response.status_code != 401
            or not _replayable(kwargs)
            or self._rejected_token(response) is None
        ):
            return response
        response.close()
        self.remember_token(None, None)
        # No token is kept in a local variable: an error report shows this frame's locals.
        self.remember_token(
            refresh.refresh_account(
                self.account_pk, rejected_token=self._rejected_token(response), sleep=self.sleep
            ),
            None,
        )
        return super().request(method, target, **kwargs)

    def _rejected_token(self, response: requests.Response) -> str | None:
        """Return the token CoolSMS refused with this 401; ``None`` if another host answered.

        A 401 from any other host is that host's answer about its own credentials.
        """
        if _origin(response.url) != self.origin:
            return None
        return _bearer(response.request)

    @detach_errors()
    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request and return its decoded JSON; raise :class:`CoolSMSAPIError`.

        Network failures become a ``CoolSMSAPIError`` with status 0 and the error's type
        as ``error_code`` (``"Timeout"`` for a timeout); the message says what failed
        ("Connection refused", ...). At most ``MAX_RESPONSE_SIZE`` bytes of the answer are
        read: a longer one is ``"ResponseTooLarge"``, JSON nested too deeply to decode
        ``"InvalidResponse"``.
        """
        kwargs["stream"] = True
        try:
            response = self._send(method, path, **kwargs)
            with response:
                content = oauth.read_limited(response, self.max_response_size)
        except requests.RequestException as err:
            raise CoolSMSAPIError(0, *oauth.network_error("CoolSMS", err, self.timeout)) from err
        if content is None:
            raise CoolSMSAPIError(
                response.status_code,
                "ResponseTooLarge",
                f"CoolSMS answered with more than {self.max_response_size} bytes.",
            )
        if not 200 <= response.status_code < 300:
            raise api_error(response, content)
        try:
            return json.loads(content)
        except (ValueError, UnicodeDecodeError, RecursionError) as err:
            raise CoolSMSAPIError(
                response.status_code,
                "InvalidResponse",
                "CoolSMS answered with something other than JSON.",
            ) from err

    def get_profile(self) -> dict[str, Any]:
        """Return the member profile (``PROFILE_PATH``, by default ``/users/v1/member``)."""
        return json_object(self.call("GET", self.profile_path))

    def get_balance(self) -> dict[str, Any]:
        """Return the account's balance: ``balance``, ``point``, ``accountId``, ..."""
        return json_object(self.call("GET", endpoints.BALANCE_PATH))


def api_error(response: requests.Response, content: bytes | None) -> CoolSMSAPIError:
    """Return the :class:`CoolSMSAPIError` for a failed API answer."""
    code, message = oauth.parse_error_body(content)
    return CoolSMSAPIError(
        response.status_code, code or f"HTTP{response.status_code}", message or response.reason
    )


@detach_errors()
def fetch_profile(config: AppSettings, http: requests.Session, access_token: str) -> dict[str, Any]:
    """Return the member profile at ``PROFILE_PATH`` read with ``access_token``.

    The connect flow reads it before the connection exists (no session yet); raise
    :class:`CoolSMSAPIError` on any failure.
    """
    try:
        response = http.get(
            config.api_url(config.profile_path),
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            timeout=config.timeout,
            allow_redirects=False,
            stream=True,
        )
        with response:
            content = oauth.read_limited(response)
    except requests.RequestException as err:
        raise CoolSMSAPIError(0, *oauth.network_error("CoolSMS", err, config.timeout)) from err
    if not 200 <= response.status_code < 300:
        raise api_error(response, content)
    data = oauth.decode_object(content)
    if data is None:
        raise CoolSMSAPIError(response.status_code, "InvalidResponse", "The profile is not JSON.")
    return data


def get_coolsms_session(
    user: AbstractBaseUser | AnonymousUser | None, *, sleep: refresh.Sleep | None = None
) -> CoolSMSSession:
    """Return a :class:`CoolSMSSession` for ``user``'s connection; no request needed.

    Raise :class:`NotConnected` when the user has no connection and
    :class:`ReconnectRequired` when it needs the user to connect again.
    """
    if user is None or not user.is_authenticated:
        raise NotConnected("Only a signed-in user can have a CoolSMS connection.")
    row = connection_row(user.pk)
    if row is None:
        raise NotConnected("This user has not connected a CoolSMS account.")
    if not row.is_active:
        raise ReconnectRequired("This user's CoolSMS connection must be connected again.")
    session = CoolSMSSession(row.pk, sleep=sleep)
    # One query for the session and its first request.
    session.remember_token(row.access_token, row.expires_at)
    return session
