"""The URLconf of the middleware's tests: views that use ``request.coolsms``, and the app's."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

from coolsms_oauth_django.exceptions import NotConnected, ReconnectRequired


def balance_view(request: HttpRequest) -> HttpResponse:
    if not request.coolsms:  # type: ignore[attr-defined]
        raise NotConnected("no connection")
    return JsonResponse({"account": request.coolsms.account_pk})  # type: ignore[attr-defined]


def reconnect_view(request: HttpRequest) -> HttpResponse:
    raise ReconnectRequired("gone")


def plain_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    path("balance/", balance_view),
    path("reconnect/", reconnect_view),
    path("plain/", plain_view),
    path("coolsms/", include("coolsms_oauth_django.urls")),
]
