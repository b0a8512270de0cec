"""The HTTP client used for the token endpoint and the profile call."""

from __future__ import annotations

import requests

from . import __version__

USER_AGENT = f"coolsms-oauth-django/{__version__}"


def create_session() -> requests.Session:
    """Return a ``requests.Session`` with this app's User-Agent; TLS verification stays on."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session
