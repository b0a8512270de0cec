"""The adapter a site names in ``ADAPTER``: each method decides where the app says it does."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from django.http import HttpRequest
from django.test import Client

from coolsms_oauth_django import bulk_refresh, refresh
from coolsms_oauth_django.adapter import CoolSMSAdapter, get_adapter
from coolsms_oauth_django.checks import E011, check_settings
from coolsms_oauth_django.models import CoolSMSAccount

from .helpers.accounts import make_account, make_user
from .helpers.coolsms import PROFILE, PROFILE_URL, TOKEN_URL, calls_to, token_body
from .helpers.flows import callback, start_flow

pytestmark = pytest.mark.django_db

HERE = __name__
EXAMPLE_PROJECT = Path(__file__).resolve().parent.parent / "example_project"
#: The header :class:`MarkedSessionAdapter`'s sessions send.
MARK = ("X-Site-Adapter", "marked")
#: Every session :class:`MarkedSessionAdapter` handed out.
handed_out: list[requests.Session] = []


class MarkedSessionAdapter(CoolSMSAdapter):
    """Sessions that carry :data:`MARK`."""

    def http_session(self) -> requests.Session:
        session = super().http_session()
        session.headers[MARK[0]] = MARK[1]
        handed_out.append(session)
        return session


class NameOnlyAdapter(CoolSMSAdapter):
    """Keep the member's name and nothing else of the profile."""

    def populate_account(self, account: CoolSMSAccount, profile: Mapping[str, Any]) -> None:
        account.name = str(profile.get("name", ""))


class MemberPageAdapter(CoolSMSAdapter):
    """Land on a page named after the connection's member (or ``/none/``)."""

    def connect_redirect_url(self, request: HttpRequest, account: CoolSMSAccount | None) -> str:
        return f"/member/{account.member_id}/" if account is not None else "/none/"


def use(settings: Any, adapter: Any) -> None:
    """Name ``adapter`` (a class of this module, or the setting's raw value) in ``ADAPTER``."""
    path = f"{HERE}.{adapter.__name__}" if isinstance(adapter, type) else adapter
    settings.COOLSMS_OAUTH = {**settings.COOLSMS_OAUTH, "ADAPTER": path}


# --- the setting --------------------------------------------------------------------------


def test_get_adapter_returns_the_default_adapter_without_the_setting() -> None:
    assert type(get_adapter()) is CoolSMSAdapter


def test_get_adapter_returns_the_class_the_setting_names(settings: Any) -> None:
    use(settings, NameOnlyAdapter)
    assert type(get_adapter()) is NameOnlyAdapter


@pytest.mark.parametrize(
    "path",
    [f"{HERE}.NoSuchAdapter", "no_such_module.Adapter", f"{HERE}.use", f"{HERE}.HERE", 42],
)
def test_an_adapter_that_is_not_an_importable_subclass_fails_check_e011(
    settings: Any, path: Any
) -> None:
    use(settings, path)
    [message] = check_settings()
    assert message.id == E011
    assert "ADAPTER" in message.msg
    assert "CoolSMSAdapter" in (message.hint or "")


# --- http_session -------------------------------------------------------------------------


def test_the_code_exchange_and_the_profile_read_use_the_adapters_session(
    settings: Any, logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    use(settings, MarkedSessionAdapter)
    handed_out.clear()
    params = start_flow(logged_in, next_url="/back/")
    response = callback(logged_in, code="code-1", state=params["state"])
    assert response["Location"] == "/back/"
    [exchange] = calls_to(coolsms, TOKEN_URL)
    [profile] = calls_to(coolsms, PROFILE_URL)
    assert exchange.request.headers[MARK[0]] == MARK[1]
    assert profile.request.headers[MARK[0]] == MARK[1]
    assert len(handed_out) == 1


@responses.activate
def test_a_refresh_uses_the_adapters_session(settings: Any) -> None:
    use(settings, MarkedSessionAdapter)
    handed_out.clear()
    account = make_account(make_user(), expires_in=-10)
    responses.post(TOKEN_URL, json=token_body("access-2", refresh_token=None, expires_in=3600))
    assert refresh.refresh_account(account.pk) == "access-2"
    assert responses.calls[0].request.headers[MARK[0]] == MARK[1]
    assert len(handed_out) == 1


@responses.activate
def test_a_bulk_refresh_uses_the_adapters_session(settings: Any) -> None:
    use(settings, MarkedSessionAdapter)
    handed_out.clear()
    account = make_account(make_user(), expires_in=-10)
    responses.post(TOKEN_URL, json=token_body("access-2"))
    tally = bulk_refresh.refresh_many([account.pk], leeway=60)
    assert tally.refreshed == 1
    assert responses.calls[0].request.headers[MARK[0]] == MARK[1]
    assert len(handed_out) == 1


# --- populate_account ---------------------------------------------------------------------


def test_populate_account_decides_what_is_kept_of_the_profile(
    settings: Any, logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    use(settings, NameOnlyAdapter)
    params = start_flow(logged_in)
    callback(logged_in, code="code-1", state=params["state"])
    account = CoolSMSAccount.objects.get()
    assert account.member_id == PROFILE["memberId"]
    assert account.name == PROFILE["name"]
    assert (account.email, account.phone_number, account.account_id) == ("", "", "")


def test_the_default_adapter_keeps_the_documented_profile_fields(
    logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    params = start_flow(logged_in)
    callback(logged_in, code="code-1", state=params["state"])
    account = CoolSMSAccount.objects.get()
    kept = (account.name, account.email, account.phone_number, account.account_id)
    assert kept == (
        PROFILE["name"],
        PROFILE["email"],
        PROFILE["phoneNumber"],
        PROFILE["selectedAccountId"],
    )


def test_the_example_sites_adapter_keeps_no_phone_number(
    settings: Any, monkeypatch: pytest.MonkeyPatch, logged_in: Client, coolsms: Any
) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLE_PROJECT))
    example = importlib.import_module("example_site.settings")
    use(settings, example.COOLSMS_OAUTH["ADAPTER"])
    assert check_settings() == []
    params = start_flow(logged_in)
    callback(logged_in, code="code-1", state=params["state"])
    account = CoolSMSAccount.objects.get()
    assert account.phone_number == ""
    assert (account.name, account.email) == (PROFILE["name"], PROFILE["email"])


# --- connect_redirect_url -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [
        ("", f"/member/{PROFILE['memberId']}/"),
        ("//evil.example/", f"/member/{PROFILE['memberId']}/"),
        ("/back/", "/back/"),
    ],
)
def test_a_flow_without_a_valid_next_lands_where_the_adapter_says_for_the_saved_account(
    settings: Any, logged_in: Client, coolsms: responses.RequestsMock, next_url: str, landing: str
) -> None:
    use(settings, MemberPageAdapter)
    params = start_flow(logged_in, next_url=next_url)
    response = callback(logged_in, code="code-1", state=params["state"])
    assert response["Location"] == landing


def test_a_failed_flow_without_next_lands_where_the_adapter_says_for_no_connection(
    settings: Any, logged_in: Client, coolsms_down: responses.RequestsMock
) -> None:
    use(settings, MemberPageAdapter)
    params = start_flow(logged_in, next_url="")
    response = callback(logged_in, code="code-1", state=params["state"])
    assert response["Location"] == "/none/"
    assert not CoolSMSAccount.objects.exists()


def test_a_used_link_of_a_connected_user_leads_where_the_adapter_says(
    settings: Any, logged_in: Client, coolsms: responses.RequestsMock
) -> None:
    use(settings, MemberPageAdapter)
    params = start_flow(logged_in, next_url="/back/")
    callback(logged_in, code="code-1", state=params["state"])
    again = callback(logged_in, code="code-1", state=params["state"])
    assert again.status_code == 400
    assert f'href="/member/{PROFILE["memberId"]}/"' in again.content.decode()


def test_the_confirmation_page_carries_no_default_next(logged_in: Client) -> None:
    page = logged_in.get("/coolsms/connect/").content.decode()
    assert 'name="next" value=""' in page
    page = logged_in.get("/coolsms/connect/?next=/send/").content.decode()
    assert 'name="next" value="/send/"' in page
