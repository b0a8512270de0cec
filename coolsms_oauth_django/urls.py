"""``path("coolsms/", include("coolsms_oauth_django.urls"))`` gives the ``coolsms_oauth``
namespace with ``connect``, ``callback``, ``disconnect`` and ``reports`` (delivery reports)."""

from __future__ import annotations

from django.urls import path

from . import report_endpoint, views

app_name = "coolsms_oauth"

urlpatterns = [
    path("connect/", views.ConnectView.as_view(), name="connect"),
    path("callback/", views.CallbackView.as_view(), name="callback"),
    path("disconnect/", views.DisconnectView.as_view(), name="disconnect"),
    path(
        "reports/<str:member>/<str:token>/",
        report_endpoint.ReportView.as_view(),
        name="reports",
    ),
]
