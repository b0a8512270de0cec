"""What the sandbox accepts in a message, and what each accepted message costs.

The rules are CoolSMS's, from :mod:`coolsms_oauth_django.sms` (the module the session checks
with too); this module adds what only the provider knows: the member's registered sender
numbers, the images it stored and the Kakao channels and templates it holds. Where CoolSMS's
documentation leaves a point open the sandbox decides, and ``docs/sandbox.md`` (Messaging)
says how.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from typing import Any

from .. import sms
from .errors import SandboxError, json_object, validation_error
from .users import SandboxUser

#: What one message costs, in KRW, by type.
PRICES: dict[str, float] = {"SMS": 20.0, "LMS": 50.0, "MMS": 200.0, "ATA": 13.0, "CTA": 20.0}

#: Recipients whose carrier reports a failure instead of a delivery, with the status code.
CARRIER_FAILURES: dict[str, str] = {
    "01099990001": "3043",  # the handset is switched off
    "01099990002": "3032",  # not a subscriber
    "01099990003": "3104",  # not a KakaoTalk user
}

#: CoolSMS's words for the status codes the sandbox answers with.
STATUS_MESSAGES: dict[str, str] = {
    "2000": "정상 접수(이통사로 접수 예정)",
    "3000": "이통사로 접수(리포트를 기다리는 중)",
    "4000": "수신 완료",
    "3032": "미가입자",
    "3043": "단말기 Power off",
    "3104": "카카오톡 미사용자",
}


@dataclass(frozen=True)
class OutgoingMessage:
    """A message the sandbox accepted, ready to be recorded and charged."""

    to: str
    sender: str
    text: str
    type: str
    country: str
    subject: str | None
    app_id: str | None
    image_id: str | None = None
    kakao_options: dict[str, Any] | None = None
    custom_fields: dict[str, Any] | None = None
    auto_type: bool = True

    @property
    def price(self) -> float:
        """Return what sending this message costs."""
        return PRICES[self.type]


def _strict_digits(message: dict[str, Any], field: str) -> None:
    # The sandbox takes numbers as CoolSMS documents them: digits only. The session removes
    # hyphens and spaces before sending, as the official SDKs do.
    value = message.get(field)
    if isinstance(value, str) and value and not (value.isascii() and value.isdigit()):
        raise sms.MessageRefused(
            sms.BAD_FORMAT, f"{field} must hold digits only (no hyphens or spaces); got {value!r}"
        )


def check_message(
    raw: Any, user: SandboxUser, images: Container[str], app_id: str | None
) -> OutgoingMessage:
    """Return the message ``raw`` asks for, or raise :class:`sms.MessageRefused`."""
    if not isinstance(raw, dict):
        raise sms.MessageRefused(sms.MISSING_VALUE, "a message must be a JSON object")
    _strict_digits(raw, "to")
    _strict_digits(raw, "from")
    message = sms.validate(raw)
    country = raw.get("country", sms.DEFAULT_COUNTRY)
    if not isinstance(country, str) or not (country.isascii() and country.isdigit()):
        raise sms.MessageRefused(sms.BAD_FORMAT, "country must be a string of digits")
    if message["from"] not in user.sender_numbers:
        raise sms.MessageRefused(
            sms.UNREGISTERED_SENDER,
            f"발신번호 미등록: {message['from']} is not a registered sender number of this account",
        )
    image_id = message.get("imageId")
    if image_id is not None and (not isinstance(image_id, str) or image_id not in images):
        raise sms.MessageRefused(sms.UNKNOWN_IMAGE, f"imageId {image_id!r} does not exist")
    kind = sms.resolved_type(message)
    options = message.get("kakaoOptions")
    if kind in sms.KAKAO_TYPES and isinstance(options, dict):
        templates = user.kakao_channels.get(options["pfId"])
        if templates is None:
            raise sms.MessageRefused(
                sms.BAD_KAKAO_CHANNEL, f"pfId {options['pfId']!r} is not a channel of this account"
            )
        if kind == "ATA" and options["templateId"] not in templates:
            raise sms.MessageRefused(
                sms.BAD_KAKAO_TEMPLATE,
                f"templateId {options['templateId']!r} is not a template of this channel",
            )
    return OutgoingMessage(
        to=message["to"],
        sender=message["from"],
        text=message["text"],
        type=kind,
        country=country,
        subject=message.get("subject"),
        app_id=app_id,
        image_id=image_id,
        kakao_options=options,
        custom_fields=message.get("customFields"),
        auto_type="type" not in message,
    )


def app_id_of(payload: dict[str, Any]) -> str | None:
    """Return the app id of a send: ``agent.appId``, or ``appId`` at the top level.

    CoolSMS documents ``agent.appId``; the official Python SDK sends ``appId`` at the top.
    """
    agent = payload.get("agent", {})
    if not isinstance(agent, dict):
        raise validation_error("agent must be an object")
    app_id = agent.get("appId", payload.get("appId"))
    if app_id is not None and not isinstance(app_id, str):
        raise validation_error("agent.appId must be a string")
    return app_id or None


def parse_message(payload: Any, user: SandboxUser, images: Container[str] = ()) -> OutgoingMessage:
    """Validate a ``POST /messages/v4/send`` body and return the message it asks for.

    A body of the wrong shape is a ``ValidationError``; a message CoolSMS refuses is an
    HTTP 400 whose ``errorCode`` is CoolSMS's status code (``1062``, ``1031``, ...).
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("message"), dict):
        raise validation_error("body must be a JSON object with a message object")
    app_id = app_id_of(payload)
    try:
        return check_message(payload["message"], user, images, app_id)
    except sms.MessageRefused as err:
        raise SandboxError(400, err.status_code, err.message) from err


@dataclass(frozen=True)
class SendManyRequest:
    """A ``send-many/detail`` body whose shape is right; its messages are checked one by one."""

    messages: list[Any]
    scheduled_date: str | None
    allow_duplicates: bool
    show_message_list: bool
    app_id: str | None


def parse_send_many(payload: Any) -> SendManyRequest:
    """Check the shape of a ``POST /messages/v4/send-many/detail`` body."""
    payload = json_object(payload)
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        raise validation_error("messages must be a non-empty array")
    if len(messages) > sms.MAX_MESSAGES_PER_CALL:
        raise validation_error(
            f"messages may hold at most {sms.MAX_MESSAGES_PER_CALL:,} messages a request"
        )
    scheduled = payload.get("scheduledDate")
    if scheduled is not None and not isinstance(scheduled, str):
        raise validation_error("scheduledDate must be an ISO 8601 date")
    flags = {}
    for name in ("allowDuplicates", "showMessageList"):
        value = payload.get(name, False)
        if not isinstance(value, bool):
            raise validation_error(f"{name} must be true or false")
        flags[name] = value
    return SendManyRequest(
        messages,
        scheduled or None,
        flags["allowDuplicates"],
        flags["showMessageList"],
        app_id_of(payload),
    )
