"""URLs of the benchmarks: a view that never touches ``request.coolsms``, a view that writes
the session, and the connect flow."""

from __future__ import annotations

import json
import secrets

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


def plain(request: HttpRequest) -> HttpResponse:
    """Answer without touching the user, the session or ``request.coolsms``."""
    return HttpResponse("ok")


def remember(request: HttpRequest) -> HttpResponse:
    """Store a random value in the user's session and redirect: the connect flow's baseline."""
    request.session["bench_value"] = secrets.token_urlsafe(32)
    return HttpResponseRedirect("/done/")


def bare_reports(request: HttpRequest) -> HttpResponse:
    """Read and parse a report body, and nothing else: the report benchmark's baseline."""
    json.loads(request.read())
    return HttpResponse('{"ok": true}', content_type="application/json")


urlpatterns = [
    path("bare-reports/", csrf_exempt(bare_reports)),
    path("plain/", plain, name="plain"),
    path("remember/", remember),
    path("done/", plain, name="done"),
    path("coolsms/", include("coolsms_oauth_django.urls")),
]
