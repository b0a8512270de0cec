"""The adapter: the one class a site subclasses to change what the app does.

Subclass :class:`CoolSMSAdapter`, override what your site needs, and name the subclass in
the ``ADAPTER`` setting::

    COOLSMS_OAUTH = {..., "ADAPTER": "myapp.adapter.MyAdapter"}

The app asks :func:`get_adapter` each time it needs one of these decisions, so
``override_settings`` works in tests. As with django-allauth's adapter and django-anymail's
``create_session()``, each method is the one place its decision is made.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import requests
from django.db import models
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.module_loading import import_string

from .conf import app_settings
from .http import create_session

if TYPE_CHECKING:
    from .models import CoolSMSAccount

__all__ = ["PROFILE_FIELDS", "CoolSMSAdapter", "get_adapter"]

#: Profile keys CoolSMS documents for ``/users/v1/member``, and the fields they fill.
PROFILE_FIELDS = {
    "name": "name",
    "email": "email",
    "phoneNumber": "phone_number",
    "selectedAccountId": "account_id",
}


class CoolSMSAdapter:
    """What a site may change about the app; subclass it and name it in ``ADAPTER``.

    Each method is called where the app makes its decision, with a new instance each time
    (keep no state on it).
    """

    def http_session(self) -> requests.Session:
        """Return the ``requests.Session`` for calls to CoolSMS outside a user's session.

        That is the code exchange and the profile read of the connect flow, and every
        refresh. The app closes it after use. The default (:func:`.http.create_session`)
        sends this app's User-Agent and keeps TLS verification on; override it to add a
        proxy, a CA bundle or a header, starting from ``super().http_session()``.
        A :class:`~coolsms_oauth_django.session.CoolSMSSession` is itself a
        ``requests.Session``: mount adapters on it for the API calls it makes.
        """
        return create_session()

    def populate_account(self, account: CoolSMSAccount, profile: Mapping[str, Any]) -> None:
        """Copy what the site keeps of the member ``profile`` onto ``account``.

        Called when a connection is saved, after the app has set its member id and tokens
        and before it saves the row (do not save it here). By default each field of
        :data:`PROFILE_FIELDS` takes the profile's value (empty when missing), cut to the
        field's length, so a reconnect replaces what the connection held.
        """
        for key, field_name in PROFILE_FIELDS.items():
            value = profile.get(key)
            column = account._meta.get_field(field_name)
            limit = column.max_length if isinstance(column, models.Field) else None
            setattr(account, field_name, value[:limit] if isinstance(value, str) else "")

    def connect_redirect_url(self, request: HttpRequest, account: CoolSMSAccount | None) -> str:
        """Return where the user goes when a connect flow ends without a valid ``next``.

        ``account`` is the user's connection as it now stands: the one just saved, or, when
        the flow failed or its link was used already, the one they had (``None``: none). By
        default: the ``CONNECT_REDIRECT_URL`` setting (a URL or a URL name).
        """
        return resolve_url(app_settings().connect_redirect_url)


@functools.lru_cache(maxsize=8)
def _adapter_class(path: str) -> type[CoolSMSAdapter]:
    adapter: type[CoolSMSAdapter] = import_string(path)
    return adapter


def get_adapter() -> CoolSMSAdapter:
    """Return an instance of the adapter the ``ADAPTER`` setting names."""
    return _adapter_class(app_settings().adapter)()
