"""A connection no configured key opens: its user can leave it or replace it, nothing breaks."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
import responses
from cryptography.fernet import Fernet
from django.contrib.auth.models import AbstractBaseUser
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import Client, RequestFactory
from django.urls import include, path

from coolsms_oauth_django import signals
from coolsms_oauth_django.checks import check_unreadable_tokens
from coolsms_oauth_django.exceptions import ReconnectRequired
from coolsms_oauth_django.middleware import CoolSMSMiddleware
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.session import get_coolsms_session

from .helpers.accounts import keep_only_key, make_account, make_user, raw_columns, stored_tokens
from .helpers.coolsms import ACCESS_TOKEN, PROFILE, REFRESH_TOKEN, TOKEN_URL, token_body
from .helpers.flows import captured, connect_through_flow, csrf_token

pytestmark = pytest.mark.django_db


def balance_view(request: HttpRequest) -> HttpResponse:
    session = get_coolsms_session(request.user)
    return JsonResponse({"account": session.account_pk})


urlpatterns = [
    path("balance/", balance_view),
    path("coolsms/", include("coolsms_oauth_django.urls")),
]


def test_h05_the_connect_page_says_the_connection_no_longer_works(
    logged_in: Client, unreadable_account: CoolSMSAccount
) -> None:
    response = logged_in.get("/coolsms/connect/")
    assert response.status_code == 200
    assert "no longer works" in response.content.decode()


def test_h05_the_user_can_disconnect_and_the_deletion_is_logged(
    logged_in: Client, user: AbstractBaseUser, unreadable_account: CoolSMSAccount, caplog: Any
) -> None:
    token = csrf_token(logged_in)  # the confirmation page answers too
    with captured(signals.account_disconnected) as received:
        response = logged_in.post("/coolsms/disconnect/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert not CoolSMSAccount.objects.exists()
    assert received[0]["user"] == user and received[0]["member_id"] == unreadable_account.member_id
    assert (
        f"CoolSMS account {unreadable_account.pk}: tokens no configured key opens are deleted"
        in (caplog.text)
    )


def test_h05_a_reconnect_replaces_the_unreadable_tokens(
    logged_in: Client,
    user: AbstractBaseUser,
    unreadable_account: CoolSMSAccount,
    coolsms: responses.RequestsMock,
    caplog: Any,
) -> None:
    response = connect_through_flow(logged_in, next_url="/after/")
    assert response["Location"] == "/after/"
    account = CoolSMSAccount.objects.get(user=user)
    assert account.pk == unreadable_account.pk  # the same row, now readable
    assert stored_tokens(account) == (ACCESS_TOKEN, REFRESH_TOKEN)
    assert account.member_id == PROFILE["memberId"] and account.is_active
    assert (
        f"CoolSMS account {unreadable_account.pk}: tokens no configured key opens are replaced"
        in (caplog.text)
    )


def test_h05_a_reconnect_without_a_new_refresh_token_keeps_no_unreadable_one(
    logged_in: Client, user: AbstractBaseUser, settings: Any, coolsms: responses.RequestsMock
) -> None:
    account = make_account(user)
    CoolSMSAccount.objects.filter(pk=account.pk).update(member_id=PROFILE["memberId"])
    keep_only_key(settings, Fernet.generate_key().decode())
    coolsms.replace(responses.POST, TOKEN_URL, json=token_body(refresh_token=None))
    connect_through_flow(logged_in)
    assert stored_tokens(CoolSMSAccount.objects.get(user=user)) == (ACCESS_TOKEN, None)


def test_h05_the_middleware_treats_the_connection_as_needing_reconnection(
    user: AbstractBaseUser, unreadable_account: CoolSMSAccount, settings: Any, client: Client
) -> None:
    request = RequestFactory().get("/plain/")
    request.user = user
    seen: list[Any] = []

    def view(req: HttpRequest) -> HttpResponse:
        seen.append(bool(req.coolsms))  # type: ignore[attr-defined]
        return HttpResponse()

    CoolSMSMiddleware(view)(request)
    assert seen == [False]
    with pytest.raises(ReconnectRequired):
        get_coolsms_session(user)
    settings.ROOT_URLCONF = __name__
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "coolsms_oauth_django.middleware.CoolSMSMiddleware",
    ]
    client.force_login(user)
    response = client.get("/balance/")
    assert response.status_code == 302
    assert response["Location"].startswith("/coolsms/connect/?next=")
    answer = client.get("/balance/", HTTP_ACCEPT="application/json")
    assert answer.json()["error"] == "coolsms_reconnect_required"


def test_h05_a_system_check_lists_unreadable_connections_and_deletes_nothing(
    unreadable_account: CoolSMSAccount, settings: Any
) -> None:
    readable = make_account(make_user("bob"))  # written with the key now configured
    before = raw_columns(unreadable_account)
    [warning] = check_unreadable_tokens(databases=["default"])
    assert warning.id == "coolsms_oauth.W002"
    assert f"CoolSMS accounts {unreadable_account.pk})" in warning.msg
    assert str(readable.pk) not in warning.msg.split("accounts")[1]
    assert "ENCRYPTION_KEYS" in (warning.hint or "")
    assert check_unreadable_tokens(databases=None) == []  # only with check --database
    out = StringIO()
    call_command("check", "--database", "default", stderr=out, stdout=out)
    assert "coolsms_oauth.W002" in out.getvalue()
    assert CoolSMSAccount.objects.count() == 2
    assert raw_columns(unreadable_account) == before


def test_h05_the_refresh_command_names_an_unreadable_connection(
    unreadable_account: CoolSMSAccount,
) -> None:
    CoolSMSAccount.objects.filter(pk=unreadable_account.pk).update(
        expires_at=unreadable_account.connected_at
    )
    err = StringIO()
    call_command("coolsms_refresh_tokens", stdout=StringIO(), stderr=err)
    assert f"Account {unreadable_account.pk}: no configured key opens its tokens." in err.getvalue()
    assert CoolSMSAccount.objects.values_list("status", flat=True).get() == CoolSMSAccount.ACTIVE
