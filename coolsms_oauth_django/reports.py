"""Delivery reports: the report URL's token and the events CoolSMS POSTs, checked and typed.

CoolSMS POSTs a JSON array of events to a URL a CoolSMS account registered; it documents no
signature for these calls. So the URL carries the proof: ``/reports/<member>/<token>/``, where
the token is an HMAC of the member id under one of the site's ``REPORT_SECRETS``. The site
secret never leaves the site, and a member who reads their own webhook URL in CoolSMS's console
learns nothing that would let them post reports for another member.

This module imports nothing from Django; :mod:`.report_endpoint` serves the URL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .endpoints import parse_date

__all__ = [
    "DELIVERED",
    "MalformedReport",
    "MessageReport",
    "parse_events",
    "report_token",
    "token_matches",
]

#: The status codes of a message on its way: accepted, at the carrier, delivered.
ACCEPTED, AT_CARRIER, DELIVERED = "2000", "3000", "4000"
#: What the HMAC of a report URL covers besides the member id.
_TOKEN_PURPOSE = b"coolsms_oauth_django.reports:"
#: The longest id (event, message, group) a report may carry.
MAX_ID_LENGTH = 100


class MalformedReport(ValueError):
    """The body is not an array of CoolSMS report events; the message says where."""


def report_token(member_id: str, secret: str) -> str:
    """Return the token of ``member_id``'s report URL under ``secret`` (64 hex digits)."""
    return hmac.new(
        secret.encode("utf-8"), _TOKEN_PURPOSE + member_id.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def token_matches(member_id: str, token: str, secrets: Iterable[str]) -> bool:
    """Tell whether ``token`` is ``member_id``'s under any of ``secrets``, in constant time.

    Every secret is tried (no early return), so the time does not tell which one matched.
    """
    given = token.encode("utf-8")
    found = False
    for secret in secrets:
        found |= hmac.compare_digest(report_token(member_id, secret).encode("ascii"), given)
    return found


@dataclass(frozen=True)
class MessageReport:
    """One message's status, as a delivery report (or, when confirmed, CoolSMS) says it."""

    #: CoolSMS's id of this event: a retried event carries the same one.
    event_id: str
    message_id: str
    group_id: str
    to: str
    status_code: str
    status_message: str
    #: When CoolSMS processed, the carrier reported, and the phone received the message.
    date_processed: datetime | None = None
    date_reported: datetime | None = None
    date_received: datetime | None = None
    #: The CoolSMS account the report names, when it names one.
    account_id: str | None = None

    @property
    def delivered(self) -> bool:
        """Return whether the message reached the phone (``4000``)."""
        return self.status_code == DELIVERED

    @property
    def pending(self) -> bool:
        """Return whether the message is still on its way (``2000`` or ``3000``)."""
        return self.status_code in (ACCEPTED, AT_CARRIER)

    @property
    def failed(self) -> bool:
        """Return whether the message will not arrive (any other status code)."""
        return not (self.delivered or self.pending)


def _text(data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or (required and not value) or len(value) > MAX_ID_LENGTH * 10:
        raise MalformedReport(f"{where}: {key} must be a non-empty string")
    return value


def _id(data: Mapping[str, Any], key: str, where: str) -> str:
    value = _text(data, key, where)
    if len(value) > MAX_ID_LENGTH or not value.isprintable():
        raise MalformedReport(f"{where}: {key} is not an id")
    return value


def _date(data: Mapping[str, Any], key: str, where: str) -> datetime | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise MalformedReport(f"{where}: {key} must be an ISO 8601 date")
    try:
        return parse_date(value)
    except ValueError as err:
        raise MalformedReport(f"{where}: {key} must be an ISO 8601 date") from err


def parse_event(item: Any, index: int) -> MessageReport | None:
    """Return the report of one event, ``None`` for a group report; raise if malformed."""
    where = f"event {index}"
    if not isinstance(item, dict) or not isinstance(item.get("data"), dict):
        raise MalformedReport(f"{where} must be an object with a data object")
    event_id = _id(item, "eventDataId", where)
    data = item["data"]
    if "messageId" not in data and "groupId" in data:
        return None  # a GROUP-REPORT: the group's counts, not a message's status
    account_id = data.get("accountId")
    return MessageReport(
        event_id=event_id,
        message_id=_id(data, "messageId", where),
        group_id=_id(data, "groupId", where),
        to=_text(data, "to", where, required=False),
        status_code=_id(data, "statusCode", where),
        status_message=_text(data, "statusMessage", where, required=False),
        date_processed=_date(data, "dateProcessed", where),
        date_reported=_date(data, "dateReported", where),
        date_received=_date(data, "dateReceived", where),
        account_id=_id(data, "accountId", where) if account_id is not None else None,
    )


def parse_events(body: bytes) -> list[MessageReport]:
    """Return the message reports of a report body (group reports left out).

    Raise :class:`MalformedReport` for anything but a JSON array of events whose ids, status
    and dates have the documented types, naming the first event that does not.
    """
    try:
        items = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        # RecursionError: arrays nested deeper than the parser goes, well within the size.
        raise MalformedReport("the body is not JSON") from err
    if not isinstance(items, list):
        raise MalformedReport("the body must be a JSON array of events")
    reports = []
    for index, item in enumerate(items):
        report = parse_event(item, index)
        if report is not None:
            reports.append(report)
    return reports
