"""``CoolSMSMiddleware``: lazy ``request.coolsms`` and answers to lost connections."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.test import AsyncRequestFactory, RequestFactory

from coolsms_oauth_django.middleware import (
    CoolSMSMiddleware,
    attach,
    connect_url,
    get_session,
    release,
    wants_json,
)
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.session import CoolSMSSession

from .helpers.accounts import make_account, make_user
from .helpers.middleware_urls import plain_view

pytestmark = pytest.mark.django_db


def run(request: HttpRequest, view: Any = plain_view) -> HttpResponse:
    middleware = CoolSMSMiddleware(view)
    response: HttpResponse = middleware(request)
    return response


def test_the_middleware_declares_sync_and_async_support() -> None:
    assert CoolSMSMiddleware.sync_capable and CoolSMSMiddleware.async_capable
    assert not iscoroutinefunction(CoolSMSMiddleware(plain_view))

    async def async_view(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    assert iscoroutinefunction(CoolSMSMiddleware(async_view))


def test_an_untouched_request_coolsms_costs_no_query(django_assert_num_queries: Any) -> None:
    user = make_user()
    make_account(user)
    request = RequestFactory().get("/plain/")
    request.user = user
    with django_assert_num_queries(0):
        assert run(request).status_code == 200


def test_request_coolsms_is_the_users_session_when_touched(monkeypatch: Any) -> None:
    closed: list[CoolSMSSession] = []
    original_close = CoolSMSSession.close

    def close(self: CoolSMSSession) -> None:
        closed.append(self)
        original_close(self)

    monkeypatch.setattr(CoolSMSSession, "close", close)
    user = make_user()
    account = make_account(user)
    request = RequestFactory().get("/balance/")
    request.user = user
    seen: list[Any] = []

    def view(req: HttpRequest) -> HttpResponse:
        seen.append(req.coolsms)  # type: ignore[attr-defined]
        assert isinstance(req.coolsms, CoolSMSSession)  # type: ignore[attr-defined]
        assert req.coolsms.account_pk == account.pk  # type: ignore[attr-defined]
        return HttpResponse()

    run(request, view)
    assert closed == [seen[0]], "the session is closed once the response is ready"


@pytest.mark.parametrize("case", ["anonymous", "not connected", "needs reconnect"])
def test_request_coolsms_is_none_when_there_is_no_usable_connection(case: str) -> None:
    request = RequestFactory().get("/plain/")
    if case == "anonymous":
        request.user = AnonymousUser()
    else:
        request.user = make_user()
        if case == "needs reconnect":
            make_account(request.user, status=CoolSMSAccount.NEEDS_RECONNECT)
    values: list[Any] = []

    def view(req: HttpRequest) -> HttpResponse:
        values.append(req.coolsms)  # type: ignore[attr-defined]
        return HttpResponse()

    run(request, view)
    assert not values[0]
    assert values[0] == None  # noqa: E711 - a lazy proxy compares equal to None


def test_a_request_without_user_gets_none() -> None:
    request = RequestFactory().get("/plain/")

    def view(req: HttpRequest) -> HttpResponse:
        assert not req.coolsms  # type: ignore[attr-defined]
        return HttpResponse()

    run(request, view)


def test_browser_is_sent_to_connect_with_next(middleware_site: None, client: Any) -> None:
    client.force_login(make_user())
    response = client.get("/balance/?tab=2")
    assert response.status_code == 302
    assert response["Location"] == "/coolsms/connect/?next=%2Fbalance%2F%3Ftab%3D2"


def test_reconnect_required_sends_the_browser_to_connect(
    middleware_site: None, client: Any
) -> None:
    client.force_login(make_user())
    response = client.get("/reconnect/")
    assert response.status_code == 302
    assert response["Location"].startswith("/coolsms/connect/?next=%2Freconnect%2F")


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ACCEPT": "application/json"},
        {"HTTP_ACCEPT": "application/json, text/html;q=0.5"},
        {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"},
        {"CONTENT_TYPE": "application/json"},
    ],
)
def test_api_clients_get_401_json(
    middleware_site: None, client: Any, headers: dict[str, str]
) -> None:
    client.force_login(make_user())
    response = client.get("/balance/", **headers)
    assert response.status_code == 401
    assert response.json() == {
        "error": "coolsms_not_connected",
        "connect_url": "/coolsms/connect/?next=%2Fbalance%2F",
    }


def test_api_clients_get_reconnect_required(middleware_site: None, client: Any) -> None:
    client.force_login(make_user())
    response = client.get("/reconnect/", HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response.json()["error"] == "coolsms_reconnect_required"


def test_a_connected_user_reaches_the_view(middleware_site: None, client: Any) -> None:
    user = make_user()
    account = make_account(user)
    client.force_login(user)
    assert client.get("/balance/").json() == {"account": account.pk}


def test_html_preferred_over_json_is_a_browser() -> None:
    factory = RequestFactory()
    assert not wants_json(factory.get("/", HTTP_ACCEPT="text/html,application/json;q=0.9"))
    assert not wants_json(factory.get("/"))
    assert wants_json(factory.get("/", HTTP_ACCEPT="application/json"))


def test_other_exceptions_are_left_alone() -> None:
    request = RequestFactory().get("/")
    assert CoolSMSMiddleware(plain_view).process_exception(request, ValueError()) is None


def test_connect_url_keeps_the_query_string() -> None:
    request = RequestFactory().get("/a/b?x=1&y=2")
    assert connect_url(request) == "/coolsms/connect/?next=%2Fa%2Fb%3Fx%3D1%26y%3D2"


@pytest.mark.django_db(transaction=True)
def test_async_views_get_request_coolsms() -> None:
    user = make_user()
    account = make_account(user)
    async_to_sync(_async_views_get_request_coolsms)(user, account)


async def _async_views_get_request_coolsms(user: Any, account: CoolSMSAccount) -> None:
    request = AsyncRequestFactory().get("/balance/")
    request.user = user
    seen: list[Any] = []

    async def view(req: HttpRequest) -> HttpResponse:
        opened = await req.acoolsms()  # type: ignore[attr-defined]
        seen.append(opened)
        seen.append(await req.acoolsms())  # type: ignore[attr-defined]
        return HttpResponse()

    middleware = CoolSMSMiddleware(view)
    response = await middleware(request)
    assert response.status_code == 200
    assert isinstance(seen[0], CoolSMSSession)
    assert seen[0] is seen[1]
    assert seen[0].account_pk == account.pk


@pytest.mark.django_db(transaction=True)
def test_async_stack_redirects_lost_connections(middleware_site: None, async_client: Any) -> None:
    user = make_user()
    async_to_sync(_async_stack_redirects_lost_connections)(async_client, user)


async def _async_stack_redirects_lost_connections(async_client: Any, user: Any) -> None:
    await async_client.aforce_login(user)
    response = await async_client.get("/reconnect/", headers={"accept": "application/json"})
    assert response.status_code == 401
    assert response.json()["error"] == "coolsms_reconnect_required"


def test_the_lazy_session_looks_nothing_up_to_show_itself(
    django_assert_num_queries: Any,
) -> None:
    request = RequestFactory().get("/plain/")
    request.user = make_user()
    attach(request)
    with django_assert_num_queries(0):
        assert "get_session" in repr(request.coolsms)  # type: ignore[attr-defined]
    with django_assert_num_queries(1):
        assert not request.coolsms  # type: ignore[attr-defined]
    with django_assert_num_queries(0):
        assert not request.coolsms  # type: ignore[attr-defined]
        assert repr(request.coolsms) == "<SimpleLazyObject: None>"  # type: ignore[attr-defined]


def test_the_getter_looks_up_once_per_request_for_sync_and_async_alike(
    django_assert_num_queries: Any,
) -> None:
    request = RequestFactory().get("/plain/")
    request.user = make_user()
    account = make_account(request.user)
    attach(request)
    with django_assert_num_queries(1):
        session = get_session(request)
        assert request.coolsms == session  # type: ignore[attr-defined]
        assert hash(request.coolsms) == hash(session)  # type: ignore[attr-defined]
        assert async_to_sync(request.acoolsms)() is session  # type: ignore[attr-defined]
    assert isinstance(session, CoolSMSSession) and session.account_pk == account.pk
    release(request)
