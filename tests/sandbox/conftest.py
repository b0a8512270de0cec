"""Fixtures for the sandbox's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from coolsms_oauth_django.sandbox import Sandbox
from coolsms_oauth_django.testing import coolsms_sandbox, coolsms_sandbox_settings

from ..helpers.sandbox import REGISTERED, Api, FakeClock, tokens

# The plugin is registered through an entry point once the package is installed; importing
# its fixtures here makes them available when the tests run from a plain checkout too.
__all__ = ["coolsms_sandbox", "coolsms_sandbox_settings"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture
def sandbox(clock: FakeClock) -> Iterator[Sandbox]:
    """A sandbox with login and consent pages, on a hand-moved clock."""
    with Sandbox(clock=clock) as running:
        yield running


@pytest.fixture
def auto_sandbox(clock: FakeClock) -> Iterator[Sandbox]:
    """A sandbox that approves at once, on a hand-moved clock."""
    with Sandbox(auto_approve=True, clock=clock) as running:
        yield running


@pytest.fixture
def registered_sandbox(clock: FakeClock) -> Iterator[Sandbox]:
    """An auto-approving sandbox with registered redirect URIs, so authorize may omit one."""
    with Sandbox(auto_approve=True, redirect_uris=REGISTERED, clock=clock) as running:
        yield running


@pytest.fixture
def access_token(auto_sandbox: Sandbox, http: requests.Session) -> str:
    """An access token of ``auto_sandbox``'s default member."""
    return str(tokens(auto_sandbox, http)["access_token"])


@pytest.fixture
def api(auto_sandbox: Sandbox, http: requests.Session) -> Api:
    """A messaging API client of ``auto_sandbox``'s default member."""
    return Api(auto_sandbox, http)
