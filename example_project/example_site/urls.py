"""URLs of the example site."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from notices import views
from notices.demo_users import DEMO_USERS

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("send/", views.send_sms, name="send_sms"),
    # The login page lists the demo logins; a real site leaves extra_context out.
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(extra_context={"demo_users": DEMO_USERS}),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    # Django's set_language view, for the language switcher in base.html.
    path("i18n/", include("django.conf.urls.i18n")),
    # The connect, callback and disconnect views, namespaced "coolsms_oauth".
    path("coolsms/", include("coolsms_oauth_django.urls")),
    path("admin/", admin.site.urls),
]
