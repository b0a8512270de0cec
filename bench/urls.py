"""URLs of the benchmarks: a view that never touches ``request.coolsms``, and the connect flow."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def plain(request: HttpRequest) -> HttpResponse:
    """Answer without touching the user, the session or ``request.coolsms``."""
    return HttpResponse("ok")


urlpatterns = [
    path("plain/", plain, name="plain"),
    path("done/", plain, name="done"),
    path("coolsms/", include("coolsms_oauth_django.urls")),
]
