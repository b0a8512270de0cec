"""A local CoolSMS-compatible OAuth2 provider and API for development and tests.

It needs only the standard library, ``pyjwt`` and ``cryptography``: it never imports Django, so
it runs beside any site::

    from coolsms_oauth_django.sandbox import Sandbox

    with Sandbox(auto_approve=True) as sandbox:
        print(sandbox.base_url, sandbox.client_id, sandbox.client_secret)
"""

from __future__ import annotations

from .provider import Sandbox
from .scopes import APP_SCOPES
from .users import SandboxUser, default_users

__all__ = ["APP_SCOPES", "Sandbox", "SandboxUser", "default_users"]
