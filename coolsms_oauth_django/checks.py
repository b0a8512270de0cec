"""System checks ``coolsms_oauth.E001``… for the ``COOLSMS_OAUTH`` setting, and every check id.

The ids of the whole app are here. :mod:`.conf` declares which check reports a wrong value
of each setting and builds the :class:`Problem`; this module turns them into Django's
messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError
from django.urls import NoReverseMatch, reverse

from .exceptions import ConfigurationError

#: ``COOLSMS_OAUTH`` is not a dict.
E000 = "coolsms_oauth.E000"
#: ``CLIENT_ID`` is not set.
E001 = "coolsms_oauth.E001"
#: ``CLIENT_SECRET`` is not set.
E002 = "coolsms_oauth.E002"
#: ``ENCRYPTION_KEYS`` is not a list of Fernet keys.
E003 = "coolsms_oauth.E003"
#: An endpoint uses plain HTTP outside ``DEBUG`` and loopback.
E004 = "coolsms_oauth.E004"
#: Django's session middleware is missing.
E005 = "coolsms_oauth.E005"
#: An endpoint URL is malformed.
E006 = "coolsms_oauth.E006"
#: An unknown token request format or client authentication method.
E007 = "coolsms_oauth.E007"
#: ``SCOPES`` is not a list of strings.
E008 = "coolsms_oauth.E008"
#: ``POOL_SIZE`` is not a positive whole number.
E009 = "coolsms_oauth.E009"
#: The site's URLconf does not include the app's URLs.
E010 = "coolsms_oauth.E010"
#: ``ADAPTER`` does not name a subclass of ``CoolSMSAdapter``.
E011 = "coolsms_oauth.E011"
#: ``REPORT_SECRETS`` is not a list of long enough secrets.
E012 = "coolsms_oauth.E012"
#: ``MAX_RESPONSE_SIZE`` is not a positive whole number.
E013 = "coolsms_oauth.E013"
#: ``ENCRYPTION_KEYS`` is not set (a key is derived from ``SECRET_KEY``).
W001 = "coolsms_oauth.W001"
#: Stored tokens that no configured key opens (a database check).
W002 = "coolsms_oauth.W002"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the configuration, as a system check reports it."""

    id: str
    msg: str
    hint: str


SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"
#: The line a site's URLconf needs; the connect button and every page of the app use it.
URL_INCLUDE = 'path("coolsms/", include("coolsms_oauth_django.urls"))'


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Report every configuration error, each with a hint that says the fix."""
    # Imported here: conf declares its settings with this module's ids.
    from .conf import SETTING_NAME, collect_problems, raw_settings

    try:
        raw = raw_settings()
    except ConfigurationError as err:
        return [Error(str(err), hint="Set it to a dict.", id=E000)]
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
                id=W001,
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
                id=E005,
            )
        ]
    return []


@register(Tags.urls)
def check_urls(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Require the app's URLs under their ``coolsms_oauth`` namespace in the site's URLconf."""
    root = getattr(settings, "ROOT_URLCONF", None)
    if not root:
        return []  # Django itself reports a project without a URLconf, where it matters.
    try:
        reverse("coolsms_oauth:connect", urlconf=root)
    except NoReverseMatch:
        return [
            Error(
                f"The URLconf {root!r} does not include coolsms_oauth_django's URLs, so the "
                "connect button and the app's pages fail with 'coolsms_oauth' is not a "
                "registered namespace.",
                hint=f"Add {URL_INCLUDE} to urlpatterns in {root!r} "
                "(from django.urls import include, path).",
                id=E010,
            )
        ]
    return []


#: Unreadable connections a check message names at most (it counts them all).
LISTED_UNREADABLE = 20


@register(Tags.database)
def check_unreadable_tokens(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """List the connections whose tokens no configured key opens (``check --database``)."""
    from .accounts import unreadable_account_pks
    from .conf import SETTING_NAME

    messages: list[CheckMessage] = []
    for alias in databases or ():
        try:
            pks = unreadable_account_pks(using=alias)
        except (DatabaseError, ConfigurationError):
            continue  # no table there yet, or a setting check_settings reports
        if not pks:
            continue
        listed = ", ".join(str(pk) for pk in pks[:LISTED_UNREADABLE])
        more = f" and {len(pks) - LISTED_UNREADABLE} more" if len(pks) > LISTED_UNREADABLE else ""
        messages.append(
            Warning(
                f"{len(pks)} CoolSMS connection(s) in database {alias!r} hold tokens that no "
                f"configured key opens (CoolSMS accounts {listed}{more}); their users are "
                "asked to connect again.",
                hint=f"Add the key they were written with back to {SETTING_NAME}"
                "['ENCRYPTION_KEYS'] (or SECRET_KEY_FALLBACKS). Otherwise each user's next "
                "connection replaces the tokens; nothing is deleted on its own.",
                id=W002,
            )
        )
    return messages
