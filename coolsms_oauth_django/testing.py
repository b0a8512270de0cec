"""A pytest plugin with fixtures that run a CoolSMS sandbox for a site's tests.

Registered as the ``coolsms_oauth`` pytest plugin, so installing the package makes the fixtures
available everywhere. It imports neither Django nor pytest-django; the settings fixture asks
pytest-django for its ``settings`` fixture only when a test uses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    # Imported inside the fixtures: pytest loads this plugin before coverage starts.
    from coolsms_oauth_django.sandbox import Sandbox

__all__ = ["coolsms_sandbox", "coolsms_sandbox_settings", "oauth_settings_for"]


def oauth_settings_for(
    sandbox: Sandbox, base: dict[str, Any] | None = None, **overrides: Any
) -> dict[str, Any]:
    """Return a ``COOLSMS_OAUTH`` dict pointed at ``sandbox``: ``base`` with its client and URL."""
    return {
        **(base or {}),
        "CLIENT_ID": sandbox.client_id,
        "CLIENT_SECRET": sandbox.client_secret,
        "BASE_URL": sandbox.base_url,
        **overrides,
    }


@pytest.fixture
def coolsms_sandbox() -> Iterator[Sandbox]:
    """Yield a running sandbox that approves every authorization at once, then stop it."""
    from coolsms_oauth_django.sandbox import Sandbox

    with Sandbox(auto_approve=True) as sandbox:
        yield sandbox


@pytest.fixture
def coolsms_sandbox_settings(coolsms_sandbox: Sandbox, request: pytest.FixtureRequest) -> Sandbox:
    """Point ``settings.COOLSMS_OAUTH`` at the sandbox for one test and return the sandbox.

    Needs pytest-django; keeps every other key of ``COOLSMS_OAUTH``.
    """
    try:
        settings: Any = request.getfixturevalue("settings")
    except pytest.FixtureLookupError as err:
        raise pytest.UsageError(
            "coolsms_sandbox_settings needs pytest-django's settings fixture; "
            "install pytest-django or use the coolsms_sandbox fixture alone"
        ) from err
    current = dict(getattr(settings, "COOLSMS_OAUTH", None) or {})
    settings.COOLSMS_OAUTH = oauth_settings_for(coolsms_sandbox, current)
    return coolsms_sandbox
