"""URLs of the example site."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from notices import bulk, views
from notices.demo_users import DEMO_USERS

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("send/", views.send_sms, name="send_sms"),
    # A notice to many, and the groups sent.
    path("notices/new/", bulk.new_notice, name="notice_new"),
    path("notices/groups/", bulk.notice_groups, name="notice_groups"),
    path("notices/groups/<str:group_id>/", bulk.notice_group, name="notice_group"),
    path("notices/groups/<str:group_id>/cancel/", bulk.cancel_notice, name="cancel_notice"),
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
