"""What the confirmation page and the callback's pages tell the user."""

from __future__ import annotations

import pytest
from django.test import Client

from coolsms_oauth_django import endpoints

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "meanings"),
    [
        ("en", ["Read your member profile", "Read your balance and points"]),
        ("ko", ["회원 정보 조회", "잔액 및 포인트 조회", "메시지 발송"]),
    ],
)
def test_the_confirmation_page_lists_what_each_scope_allows(
    logged_in: Client, language: str, meanings: list[str]
) -> None:
    page = logged_in.get("/coolsms/connect/", headers={"accept-language": language})
    text = page.content.decode()
    for meaning in meanings:
        assert meaning in text
    for scope in ("users:read", "cash:read", "message:write"):
        meaning = endpoints.scope_meaning(scope, language)
        assert f'<li>{meaning} <code class="coolsms-scope">{scope}</code></li>' in text


def test_a_scope_coolsms_does_not_document_is_shown_as_it_is() -> None:
    assert endpoints.scope_meaning("beta:write", "ko") == "beta:write"
    assert endpoints.scope_meaning("message:write", "ko-kr") == "메시지 발송"
    assert endpoints.scope_meaning("message:write", None) == "Send messages on your behalf"
