"""``{% coolsms_connect_button %}``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory

from coolsms_oauth_django import clock
from coolsms_oauth_django.models import CoolSMSAccount

pytestmark = pytest.mark.django_db

TEMPLATE = Template("{% load coolsms_oauth %}{% coolsms_connect_button %}")


def render(user: object) -> str:
    request = RequestFactory().get("/dashboard/?x=1")
    request.user = user  # type: ignore[assignment]
    return TEMPLATE.render(Context({"request": request, "csrf_token": "tok123"}))


def test_button_is_a_post_form_with_the_csrf_token(user: AbstractBaseUser) -> None:
    html = render(user)
    assert 'method="post"' in html
    assert 'action="/coolsms/connect/"' in html
    assert 'value="tok123"' in html
    assert 'value="/dashboard/?x=1"' in html
    assert "Connect CoolSMS" in html


def test_button_shows_connected_and_a_disconnect_button(user: AbstractBaseUser) -> None:
    now = clock.now()
    CoolSMSAccount.objects.create(
        user=user,
        member_id="MEM1",
        access_token="a",
        expires_at=now + timedelta(hours=1),
        connected_at=now,
    )
    html = render(user)
    assert "Connected" in html and "MEM1" in html
    assert 'action="/coolsms/disconnect/"' in html
    assert "Connect CoolSMS" not in html


def test_button_offers_reconnect_when_needed(user: AbstractBaseUser) -> None:
    now = clock.now()
    CoolSMSAccount.objects.create(
        user=user,
        access_token="a",
        expires_at=now,
        connected_at=now,
        status=CoolSMSAccount.NEEDS_RECONNECT,
    )
    html = render(user)
    assert "Needs reconnecting" in html and "Reconnect CoolSMS" in html


def test_anonymous_users_see_the_connect_button() -> None:
    assert "Connect CoolSMS" in render(AnonymousUser())
