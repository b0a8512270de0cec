"""``CoolSMSMiddleware``: ``request.coolsms`` for views, and a way back when a connection is gone.

Add it after ``AuthenticationMiddleware``; it works as that one does for ``request.user``.
``request.coolsms`` is Django's ``SimpleLazyObject`` over a getter that looks the session up
once per request: a view that never touches it costs no query. Touched, it is the user's
:class:`CoolSMSSession`, or a lazy ``None`` (falsy; test it with ``if request.coolsms:``)
when the user is anonymous, not connected or must connect again. Async views use
``await request.acoolsms()``, the same getter run in a thread.

A view that raises :class:`NotConnected` or :class:`ReconnectRequired` sends a browser to the
connect page with ``next`` pointing back; a JSON or API request gets a 401 JSON answer.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import urlencode

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from .exceptions import CoolSMSOAuthError, NotConnected, ReconnectRequired
from .session import CoolSMSSession, get_coolsms_session

CONNECT_URL_NAME = "coolsms_oauth:connect"

#: The ``error`` value of the 401 JSON answer for each exception.
JSON_ERRORS: dict[type[CoolSMSOAuthError], str] = {
    NotConnected: "coolsms_not_connected",
    ReconnectRequired: "coolsms_reconnect_required",
}


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


#: Where a request keeps the session it looked up (``None``: there is none to use).
CACHE_ATTRIBUTE = "_cached_coolsms"


def get_session(request: HttpRequest) -> CoolSMSSession | None:
    """Return the session of the request's user, or ``None`` when there is none to use.

    Looked up once per request, on first use; the answer is kept on the request.
    """
    if not hasattr(request, CACHE_ATTRIBUTE):
        try:
            session: CoolSMSSession | None = get_coolsms_session(getattr(request, "user", None))
        except (NotConnected, ReconnectRequired):
            session = None
        setattr(request, CACHE_ATTRIBUTE, session)
    return getattr(request, CACHE_ATTRIBUTE)  # type: ignore[no-any-return]


async def aget_session(request: HttpRequest) -> CoolSMSSession | None:
    """Return :func:`get_session`'s answer from async code (the lookup runs in a thread)."""
    return await sync_to_async(get_session)(request)


def attach(request: HttpRequest) -> None:
    """Give ``request`` a lazy ``coolsms`` and an ``acoolsms()``, both via :func:`get_session`."""
    request.coolsms = SimpleLazyObject(partial(get_session, request))  # type: ignore[attr-defined]
    request.acoolsms = partial(aget_session, request)  # type: ignore[attr-defined]


def release(request: HttpRequest) -> None:
    """Close the session the request looked up, if any, releasing its connections."""
    session = getattr(request, CACHE_ATTRIBUTE, None)
    if session is not None:
        session.close()


class CoolSMSMiddleware:
    """Give each request a lazy ``request.coolsms`` and answer lost connections."""

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
        attach(request)
        try:
            return self.get_response(request)
        finally:
            release(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        attach(request)
        try:
            response: HttpResponse = await self.get_response(request)
        finally:
            release(request)
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
