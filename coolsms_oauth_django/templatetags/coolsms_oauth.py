"""``{% load coolsms_oauth %}`` then ``{% coolsms_connect_button %}``."""

from __future__ import annotations

from typing import Any

from django import template

from ..accounts import account_of

register = template.Library()


@register.inclusion_tag("coolsms_oauth/connect_button.html", takes_context=True)
def coolsms_connect_button(context: template.Context, next: str | None = None) -> dict[str, Any]:
    """Render a POST form to connect CoolSMS, or the connection and a disconnect button."""
    request = context.get("request")
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "account": account_of(getattr(request, "user", None)),
        "next": next or (request.get_full_path() if request is not None else ""),
    }
