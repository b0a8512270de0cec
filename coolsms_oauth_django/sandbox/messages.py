"""Validation and pricing of ``POST /messages/v4/send`` bodies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import validation_error

#: What one message costs, in KRW, by type.
PRICES: dict[str, float] = {"SMS": 20.0, "LMS": 50.0, "MMS": 200.0}

#: Longest SMS text, in EUC-KR bytes; longer texts without a type become LMS.
SMS_MAX_BYTES = 90


@dataclass(frozen=True)
class OutgoingMessage:
    """A validated message, ready to be recorded and charged."""

    to: str
    sender: str
    text: str
    type: str
    country: str
    subject: str | None
    app_id: str | None

    @property
    def price(self) -> float:
        """Return what sending this message costs."""
        return PRICES[self.type]


def _digits(message: dict[str, Any], field: str) -> str:
    value = message.get(field)
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise validation_error(f"message.{field} must be a string of digits")
    return value


def _optional_string(container: dict[str, Any], field: str, label: str) -> str | None:
    value = container.get(field)
    if value is not None and not isinstance(value, str):
        raise validation_error(f"{label} must be a string")
    return value


def _default_type(text: str) -> str:
    size = len(text.encode("euc-kr", errors="replace"))
    return "SMS" if size <= SMS_MAX_BYTES else "LMS"


def parse_message(payload: Any) -> OutgoingMessage:
    """Validate a send request body and return the message it asks for."""
    if not isinstance(payload, dict) or not isinstance(payload.get("message"), dict):
        raise validation_error("body must be a JSON object with a message object")
    message: dict[str, Any] = payload["message"]
    to = _digits(message, "to")
    sender = _digits(message, "from")
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        raise validation_error("message.text must be a non-empty string")
    kind = _optional_string(message, "type", "message.type") or _default_type(text)
    if kind not in PRICES:
        raise validation_error(f"message.type must be one of {', '.join(PRICES)}")
    country = _optional_string(message, "country", "message.country") or "82"
    if not country.isascii() or not country.isdigit():
        raise validation_error("message.country must be a string of digits")
    subject = _optional_string(message, "subject", "message.subject")
    agent = payload.get("agent", {})
    if not isinstance(agent, dict):
        raise validation_error("agent must be an object")
    app_id = _optional_string(agent, "appId", "agent.appId")
    return OutgoingMessage(to, sender, text, kind, country, subject, app_id)
