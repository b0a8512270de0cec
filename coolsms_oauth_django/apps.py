"""The Django app configuration."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoolSMSOAuthConfig(AppConfig):
    name = "coolsms_oauth_django"
    label = "coolsms_oauth"
    verbose_name = _("CoolSMS OAuth")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
