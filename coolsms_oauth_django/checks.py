"""System checks ``coolsms_oauth.E001``… for the ``COOLSMS_OAUTH`` setting."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from .conf import SETTING_NAME, collect_problems, raw_settings
from .exceptions import ConfigurationError

SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Report every configuration error, each with a hint that says the fix."""
    try:
        raw = raw_settings()
    except ConfigurationError as err:
        return [Error(str(err), hint="Set it to a dict.", id="coolsms_oauth.E000")]
    messages: list[CheckMessage] = [
        Error(problem.msg, hint=problem.hint, id=problem.id) for problem in collect_problems(raw)
    ]
    if not raw["ENCRYPTION_KEYS"]:
        messages.append(
            Warning(
                f"{SETTING_NAME}['ENCRYPTION_KEYS'] is not set; CoolSMS tokens are encrypted "
                "with a key derived from SECRET_KEY.",
                hint="Changing SECRET_KEY without keeping the old one in SECRET_KEY_FALLBACKS "
                "makes stored tokens unreadable. Set ENCRYPTION_KEYS to a list of Fernet keys.",
                id="coolsms_oauth.W001",
            )
        )
    return messages


@register()
def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Require the session middleware, which keeps the state of each connect flow."""
    if SESSION_MIDDLEWARE not in settings.MIDDLEWARE:
        return [
            Error(
                "coolsms_oauth_django needs Django's session middleware.",
                hint=f"Add '{SESSION_MIDDLEWARE}' to MIDDLEWARE.",
                id="coolsms_oauth.E005",
            )
        ]
    return []
