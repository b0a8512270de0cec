"""``CoolSMSMiddleware``: ``request.coolsms`` for views, and a way back when a connection is gone.

Add it after ``AuthenticationMiddleware``. ``request.coolsms`` is lazy: a view that never
touches it costs no query. Touched, it is the user's :class:`CoolSMSSession`, or a lazy
``None`` (falsy; test it with ``if request.coolsms:``) when the user is anonymous, not
connected or must connect again. Async views use ``await request.acoolsms()``.

A view that raises :class:`NotConnected` or :class:`ReconnectRequired` sends a browser to the
connect page with ``next`` pointing back; a JSON or API request gets a 401 JSON answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from .exceptions import CoolSMSOAuthError, NotConnected, ReconnectRequired
from .session import CoolSMSSession, get_coolsms_session

CONNECT_URL_NAME = "coolsms_oauth:connect"

#: The ``error`` value of the 401 JSON answer for each exception.
JSON_ERRORS: dict[type[CoolSMSOAuthError], str] = {
    NotConnected: "coolsms_not_connected",
    ReconnectRequired: "coolsms_reconnect_required",
}


def session_or_none(request: HttpRequest) -> CoolSMSSession | None:
    """Return the session of the request's user, or ``None`` when there is none to use."""
    try:
        return get_coolsms_session(getattr(request, "user", None))
    except (NotConnected, ReconnectRequired):
        return None


def wants_json(request: HttpRequest) -> bool:
    """Tell whether the client expects a JSON answer rather than a page."""
    if request.content_type == "application/json":
        return True
    if request.headers.get("X-Requested-With") == "XMLHttpRequest":
        return True
    if "HTTP_ACCEPT" not in request.META:
        return False
    preferred = request.get_preferred_type(["text/html", "application/json"])
    return preferred == "application/json"


def connect_url(request: HttpRequest) -> str:
    """Return the connect page's URL with ``next`` set to the current path."""
    return reverse(CONNECT_URL_NAME) + "?" + urlencode({"next": request.get_full_path()})


_UNSET: Any = object()


class LazyCoolSMS:
    """``request.coolsms``: the user's :class:`CoolSMSSession`, looked up on first use.

    It stands for the session (attributes, ``isinstance``) or for ``None`` (falsy) when the
    user is anonymous, not connected, or must connect again. Creating one costs a single
    small object and no query: every request gets one, most never touch it.
    """

    __slots__ = ("_request", "_session")

    def __init__(self, request: HttpRequest) -> None:
        self._request = request
        self._session: CoolSMSSession | None = _UNSET

    def _get(self) -> CoolSMSSession | None:
        if self._session is _UNSET:
            self._session = session_or_none(self._request)
        return self._session

    async def resolve(self) -> CoolSMSSession | None:
        """Return the session (or ``None``), looking it up in a thread if not done yet."""
        if self._session is _UNSET:
            await sync_to_async(self._get)()
        return self._session

    def close(self) -> None:
        """Close the session if one was looked up, releasing its connections."""
        if isinstance(self._session, CoolSMSSession):
            self._session.close()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in self.__slots__:
            raise AttributeError(name)
        return getattr(self._get(), name)

    def __bool__(self) -> bool:
        return self._get() is not None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyCoolSMS):
            other = other._get()
        return self._get() == other

    def __hash__(self) -> int:
        return hash(self._get())

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # isinstance() sees what it stands for
        return type(self._get())

    def __repr__(self) -> str:
        if self._session is _UNSET:
            return "<LazyCoolSMS: not looked up>"
        return f"<LazyCoolSMS: {self._session!r}>"


class CoolSMSMiddleware:
    """Give each request a lazy ``request.coolsms`` and handle lost connections."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        lazy = request.coolsms = LazyCoolSMS(request)  # type: ignore[attr-defined]
        request.acoolsms = lazy.resolve  # type: ignore[attr-defined]
        try:
            response: HttpResponse = self.get_response(request)
        finally:
            lazy.close()
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        lazy = request.coolsms = LazyCoolSMS(request)  # type: ignore[attr-defined]
        request.acoolsms = lazy.resolve  # type: ignore[attr-defined]
        try:
            get_response: Callable[[HttpRequest], Awaitable[HttpResponse]] = self.get_response
            response = await get_response(request)
        finally:
            lazy.close()
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Answer a lost connection: 401 JSON for API clients, the connect page for browsers."""
        if not isinstance(exception, (NotConnected, ReconnectRequired)):
            return None
        url = connect_url(request)
        if wants_json(request):
            code = JSON_ERRORS[
                ReconnectRequired if isinstance(exception, ReconnectRequired) else NotConnected
            ]
            return JsonResponse({"error": code, "connect_url": url}, status=401)
        return HttpResponseRedirect(url)
