"""CoolSMS's message rules: byte counting, type detection, number format and validation.

Each rule lives here once. The session checks every message with :func:`validate` before it
sends anything, the sandbox refuses with the same rules, and the form field shows the same
count. This module imports nothing from Django, so the sandbox shares it.

Where CoolSMS's documentation leaves a point open, this module decides:

- Bytes are counted as CoolSMS's "EUC-KR (완성형)" in practice: code page 949, so every one of
  the 11,172 Hangul syllables counts 2 bytes and ASCII 1. A character that code page 949
  cannot encode (an emoji, an accented Latin letter) also counts 2 bytes, and it makes an
  automatically typed message an LMS: an SMS must stay within EUC-KR (status ``1029``).
- With no ``type``, a message with a subject is an LMS however short its text (CoolSMS
  refuses a subject on an SMS), and a message with an ``imageId`` is an MMS.
- A missing Kakao channel (``kakaoOptions.pfId``) on an ATA or CTA is ``1041``, as a bad one.
- ``to`` and ``from`` may carry hyphens and spaces, which are removed as the official SDKs
  do; what remains must be digits: 8 to 11 for a sender, 3 to 15 for a recipient (``1011``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "KAKAO_TYPES",
    "MAX_MESSAGES_PER_CALL",
    "MESSAGE_TYPES",
    "MessageRefused",
    "byte_length",
    "check_text",
    "message_type",
    "normalize_number",
    "validate",
]

#: Every message type CoolSMS knows (compared case-insensitively).
MESSAGE_TYPES = ("SMS", "LMS", "MMS", "ATA", "CTA")
#: KakaoTalk AlimTalk (``ATA``) and FriendTalk (``CTA``).
KAKAO_TYPES = ("ATA", "CTA")

SMS_MAX_BYTES = 90
LMS_MAX_BYTES = 2000
KAKAO_MAX_CHARACTERS = 1000
SUBJECT_MAX_BYTES = 40
CUSTOM_FIELD_KEY_MAX = 30
CUSTOM_FIELD_VALUE_MAX = 100
#: How many messages one ``send-many`` request may carry.
MAX_MESSAGES_PER_CALL = 10_000
#: The largest MMS image CoolSMS takes, in bytes.
MMS_IMAGE_MAX_BYTES = 200 * 1024
#: The country code CoolSMS assumes when a message names none.
DEFAULT_COUNTRY = "82"

# CoolSMS's registration status codes (api-reference/message-status-codes.md).
MISSING_VALUE = "1010"
BAD_FORMAT = "1011"
SUBJECT_ON_SMS = "1013"
SUBJECT_TOO_LONG = "1014"
BAD_TYPE = "1025"
DUPLICATE_RECIPIENT = "1026"
NOT_UTF8 = "1027"
NON_PRINTABLE = "1028"
NOT_EUC_KR = "1029"
NOT_ENOUGH_BALANCE = "1030"
TOO_LONG = "1031"
BAD_CUSTOM_FIELDS = "1032"
KAKAO_OPTIONS_NOT_ALLOWED = "1033"
UNKNOWN_IMAGE = "1034"
BAD_KAKAO_CHANNEL = "1041"
BAD_KAKAO_TEMPLATE = "1042"
UNREGISTERED_SENDER = "1062"

_ENCODING = "cp949"
#: How many digits a sender number and a recipient number may have.
SENDER_DIGITS = (8, 11)
RECIPIENT_DIGITS = (3, 15)
_SEPARATORS = re.compile(r"[\s\-]+")
#: Unicode's control characters (category Cc) except tab, line feed and carriage return.
_NON_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class MessageRefused(ValueError):
    """A message CoolSMS would refuse; ``status_code`` is CoolSMS's four-digit code."""

    def __init__(self, status_code: str, message: str) -> None:
        super().__init__(f"{status_code}: {message}")
        self.status_code = status_code
        self.message = message


def byte_length(text: str) -> int:
    """Return the length of ``text`` as CoolSMS counts it: Hangul 2 bytes, ASCII 1.

    A character outside code page 949 counts 2 bytes.
    """
    try:
        return len(text.encode(_ENCODING))
    except UnicodeEncodeError:
        return sum(len(ch.encode(_ENCODING)) if fits_euc_kr(ch) else 2 for ch in text)


def fits_euc_kr(text: str) -> bool:
    """Tell whether every character of ``text`` may go in an SMS."""
    try:
        text.encode(_ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def message_type(text: str, *, image: bool = False, subject: bool = False) -> str:
    """Return the type CoolSMS picks for ``text`` when the message names none.

    ``MMS`` with an image; ``SMS`` up to 90 bytes of EUC-KR text without a subject; else
    ``LMS`` (a text over 2,000 bytes is still an LMS: :func:`validate` refuses it).
    """
    if image:
        return "MMS"
    if subject or not fits_euc_kr(text) or byte_length(text) > SMS_MAX_BYTES:
        return "LMS"
    return "SMS"


def normalize_number(value: Any) -> Any:
    """Return ``value`` without hyphens and spaces when it is a string, else unchanged."""
    return _SEPARATORS.sub("", value) if isinstance(value, str) else value


def _number(message: Mapping[str, Any], field: str, digits: tuple[int, int], label: str) -> str:
    value = normalize_number(message.get(field))
    if value is None or value == "":
        raise MessageRefused(MISSING_VALUE, f"{label} ({field}) is required.")
    low, high = digits
    if (
        not isinstance(value, str)
        or not (value.isascii() and value.isdigit())
        or not low <= len(value) <= high
    ):
        raise MessageRefused(
            BAD_FORMAT,
            f"{label} ({field}) must have {low} to {high} digits "
            f"(hyphens and spaces are removed); got {message.get(field)!r}.",
        )
    return value


def check_text(text: str, kind: str | None = None) -> str:
    """Check a message text alone and return its type (``kind``, else the detected one).

    Raise :class:`MessageRefused` for a text CoolSMS would refuse as that type.
    """
    if kind is None:
        kind = message_type(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise MessageRefused(NOT_UTF8, "The text is not valid UTF-8.") from err
    control = _NON_PRINTABLE.search(text)
    if control is not None:
        raise MessageRefused(
            NON_PRINTABLE,
            f"The text holds a non-printable character (U+{ord(control.group()):04X}).",
        )
    if kind in KAKAO_TYPES:
        if len(text) > KAKAO_MAX_CHARACTERS:
            raise MessageRefused(
                TOO_LONG,
                f"A {kind} text may have at most {KAKAO_MAX_CHARACTERS:,} characters; "
                f"this one has {len(text):,}.",
            )
        return kind
    if kind == "SMS" and not fits_euc_kr(text):
        raise MessageRefused(
            NOT_EUC_KR, "An SMS may hold only EUC-KR characters (no emoji); send it as an LMS."
        )
    limit = SMS_MAX_BYTES if kind == "SMS" else LMS_MAX_BYTES
    size = byte_length(text)
    if size > limit:
        raise MessageRefused(
            TOO_LONG,
            f"An {kind} text may have at most {limit:,} bytes; this one has {size:,} "
            "(Hangul counts 2 bytes, ASCII 1).",
        )
    return kind


def _check_custom_fields(fields: Any) -> None:
    if fields is None:
        return
    if not isinstance(fields, Mapping) or not all(
        isinstance(key, str)
        and isinstance(value, str)
        and len(key) <= CUSTOM_FIELD_KEY_MAX
        and len(value) <= CUSTOM_FIELD_VALUE_MAX
        for key, value in fields.items()
    ):
        raise MessageRefused(
            BAD_CUSTOM_FIELDS,
            f"customFields must map names of at most {CUSTOM_FIELD_KEY_MAX} characters to "
            f"strings of at most {CUSTOM_FIELD_VALUE_MAX}.",
        )


def _check_kakao(message: Mapping[str, Any], kind: str) -> None:
    options = message.get("kakaoOptions")
    if kind not in KAKAO_TYPES:
        if options is not None:
            raise MessageRefused(
                KAKAO_OPTIONS_NOT_ALLOWED, "kakaoOptions may be used only on ATA or CTA messages."
            )
        return
    if (
        not isinstance(options, Mapping)
        or not isinstance(options.get("pfId"), str)
        or not (options["pfId"])
    ):
        raise MessageRefused(BAD_KAKAO_CHANNEL, f"A {kind} message needs kakaoOptions.pfId.")
    if kind == "ATA" and (
        not isinstance(options.get("templateId"), str) or not options["templateId"]
    ):
        raise MessageRefused(BAD_KAKAO_TEMPLATE, "An ATA message needs kakaoOptions.templateId.")


def validate(message: Mapping[str, Any]) -> Mapping[str, Any]:
    """Check ``message`` against CoolSMS's rules; return it with its numbers normalized.

    Raise :class:`MessageRefused` (a ``ValueError``) with CoolSMS's status code and a
    sentence saying what to change. A message already in CoolSMS's form (digits only, an
    upper-case ``type``) comes back as it is, never changed; else a normalized copy that
    keeps every field comes back (a send of 10,000 messages copies none of them).
    """
    if not isinstance(message, Mapping):
        raise MessageRefused(MISSING_VALUE, "A message must be an object with to, from and text.")
    changes = {
        "to": _number(message, "to", RECIPIENT_DIGITS, "The recipient"),
        "from": _number(message, "from", SENDER_DIGITS, "The sender number"),
    }
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        raise MessageRefused(MISSING_VALUE, "The text (text) is required.")
    subject = message.get("subject")
    if subject is not None and not isinstance(subject, str):
        raise MessageRefused(BAD_FORMAT, "The subject must be a string.")
    given = message.get("type")
    if given is not None:
        if not isinstance(given, str) or given.upper() not in MESSAGE_TYPES:
            raise MessageRefused(
                BAD_TYPE, f"The type must be one of {', '.join(MESSAGE_TYPES)}; got {given!r}."
            )
        kind = changes["type"] = given.upper()
    else:
        kind = message_type(text, image=bool(message.get("imageId")), subject=bool(subject))
    check_text(text, kind)
    if subject:
        if kind == "SMS":
            raise MessageRefused(SUBJECT_ON_SMS, "An SMS cannot have a subject.")
        size = byte_length(subject)
        if size > SUBJECT_MAX_BYTES:
            raise MessageRefused(
                SUBJECT_TOO_LONG,
                f"A subject may have at most {SUBJECT_MAX_BYTES} bytes; this one has {size}.",
            )
    _check_kakao(message, kind)
    _check_custom_fields(message.get("customFields"))
    if all(message.get(name) == value for name, value in changes.items()):
        return message
    return {**message, **changes}


def resolved_type(message: Mapping[str, Any]) -> str:
    """Return the type of a message :func:`validate` accepted: its own, or the detected one."""
    given = message.get("type")
    if isinstance(given, str):
        return given.upper()
    return message_type(
        str(message.get("text", "")),
        image=bool(message.get("imageId")),
        subject=bool(message.get("subject")),
    )
