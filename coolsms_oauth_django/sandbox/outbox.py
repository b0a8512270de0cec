"""The sandbox's message store: groups, messages, images, and how their status moves on.

A message's status is worked out from the sandbox's clock whenever it is read: ``2000`` when
it is accepted (or its scheduled time comes), ``3000`` :data:`SENT_AFTER` seconds later and
``4000`` :data:`DELIVERED_AFTER` seconds later, unless its recipient is one of
:data:`~.messages.CARRIER_FAILURES`, whose carrier reports that failure instead. Tests move
the clock (``Sandbox(clock=...)``) to see the status change.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import string
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .. import endpoints, sms
from .errors import SandboxError, json_object, one_of, validation_error
from .messages import (
    CARRIER_FAILURES,
    STATUS_MESSAGES,
    OutgoingMessage,
    SendManyRequest,
    check_message,
)
from .token_signer import iso_timestamp
from .users import SandboxUser

#: Seconds from acceptance to the carrier taking the message (``3000``).
SENT_AFTER = 1.0
#: Seconds from acceptance to the delivery report (``4000`` or a carrier failure).
DELIVERED_AFTER = 3.0
#: How far ahead a group may be scheduled, in seconds (CoolSMS documents six months).
MAX_SCHEDULE_AHEAD = 183 * 24 * 3600
#: How many items a page of groups or messages holds unless ``limit`` says otherwise.
DEFAULT_PAGE = 20
MAX_PAGE = 500
#: The image formats the sandbox takes for MMS, by their first bytes.
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
STORAGE_TYPES = ("MMS", "KAKAO")

_ID_ALPHABET = string.ascii_uppercase + string.digits
_CREATED_LOG = "메시지 그룹이 생성되었습니다."
_CANCELLED_LOG = "메시지 예약이 성공적으로 취소됐습니다."
_MESSAGE_FILTERS = ("messageId", "groupId", "to", "from", "type", "statusCode")
_GROUP_FILTERS = ("status",)


def new_id(prefix: str, now: float) -> str:
    """Return an id in CoolSMS's style: a prefix, the UTC time and 15 random characters."""
    stamp = datetime.fromtimestamp(now, tz=timezone.utc).strftime("%Y%m%d%H%M%S")
    return prefix + stamp + "".join(secrets.choice(_ID_ALPHABET) for _ in range(15))


def _probable_type(raw: dict[str, Any]) -> Any:
    """Return the type a refused message asked for, or the one its text would have had."""
    given, text = raw.get("type"), raw.get("text")
    if given is not None:
        return given.upper() if isinstance(given, str) else given
    return sms.message_type(text, image=bool(raw.get("imageId"))) if isinstance(text, str) else None


def parse_date(value: str) -> float:
    """Return the epoch time of an ISO 8601 date, or raise a ``ValidationError``."""
    try:
        return endpoints.parse_date(value).timestamp()
    except ValueError as err:
        raise validation_error(f"{value!r} is not an ISO 8601 date") from err


@dataclass
class StoredMessage:
    """A message of a group: accepted (``refusal`` None) or refused at registration."""

    message_id: str
    group_id: str
    member_id: str
    account_id: str
    created: float
    to: Any
    sender: Any
    type: Any
    text: Any
    accepted: OutgoingMessage | None = None
    refusal: tuple[str, str] | None = None


@dataclass
class Group:
    """A group of messages made by one send."""

    group_id: str
    member_id: str
    account_id: str
    created: float
    app_id: str | None
    allow_duplicates: bool
    scheduled: float | None = None
    cancelled: float | None = None
    messages: list[StoredMessage] = field(default_factory=list)
    charged: float = 0.0


class Outbox:
    """Every group, message and image the sandbox holds, behind the sandbox's lock."""

    def __init__(self, lock: threading.RLock, now: Callable[[], float]) -> None:
        self.lock = lock
        self.now = now
        self.groups: dict[str, Group] = {}
        self.messages: dict[str, StoredMessage] = {}
        self.images: dict[str, dict[str, Any]] = {}
        self.sent_on: dict[tuple[str, str], int] = {}
        #: Called with each accepted message as it is stored (the delivery reports watch).
        self.on_accept: Callable[[StoredMessage], None] | None = None

    # -- sending ---------------------------------------------------------------------------

    def _day(self, now: float) -> str:
        return datetime.fromtimestamp(now, tz=timezone.utc).strftime("%Y-%m-%d")

    def _take_quota(self, user: SandboxUser, count: int, now: float) -> None:
        key = (user.member_id, self._day(now))
        used = self.sent_on.get(key, 0)
        if used + count > user.daily_quota:
            raise SandboxError(
                403,
                "DailyQuotaExceeded",
                f"일일 발송량 초과: {used:,} of {user.daily_quota:,} messages sent today; "
                f"{count:,} more would exceed the daily quota",
            )
        self.sent_on[key] = used + count

    def image_ids(self, user: SandboxUser) -> set[str]:
        """Return the ids of the images ``user``'s account stored."""
        with self.lock:
            return {
                file_id
                for file_id, image in self.images.items()
                if image["accountId"] == user.account_id
            }

    def send_one(self, user: SandboxUser, message: OutgoingMessage) -> dict[str, Any]:
        """Charge ``user`` for ``message``, record it and answer as ``/messages/v4/send``."""
        with self.lock:
            if user.balance < message.price:
                raise SandboxError(
                    402,
                    "NotEnoughBalance",
                    f"잔액이 부족합니다. Not enough balance: {user.balance:g} KRW left, "
                    f"{message.price:g} KRW needed",
                )
            now = self.now()
            self._take_quota(user, 1, now)
            user.balance -= message.price
            group = self._new_group(user, now, message.app_id, allow_duplicates=False)
            group.charged = message.price
            stored = self._store(group, message, message, None, now)
            return {
                "groupId": group.group_id,
                "messageId": stored.message_id,
                "accountId": user.account_id,
                "statusCode": "2000",
                "statusMessage": STATUS_MESSAGES["2000"],
                "to": message.to,
                "from": message.sender,
                "type": message.type,
                "country": message.country,
            }

    def send_many(self, user: SandboxUser, request: SendManyRequest) -> dict[str, Any]:
        """Register a group: check each message, charge the accepted ones, answer the detail."""
        with self.lock:
            now = self.now()
            scheduled = None
            if request.scheduled_date is not None:
                scheduled = parse_date(request.scheduled_date)
                if scheduled - now > MAX_SCHEDULE_AHEAD:
                    raise validation_error("scheduledDate may be at most six months ahead")
                if scheduled <= now:
                    scheduled = None  # a date in the past means now
            images = self.image_ids(user)
            checked: list[tuple[Any, OutgoingMessage | None, tuple[str, str] | None]] = []
            recipients: set[str] = set()
            balance = user.balance
            for raw in request.messages:
                try:
                    message = check_message(raw, user, images, request.app_id)
                    if not request.allow_duplicates and message.to in recipients:
                        raise sms.MessageRefused(
                            sms.DUPLICATE_RECIPIENT,
                            f"중복 수신번호: {message.to} is already a recipient of this group "
                            "(send allowDuplicates to allow it)",
                        )
                    if balance < message.price:
                        raise sms.MessageRefused(
                            sms.NOT_ENOUGH_BALANCE,
                            f"잔액 부족: {balance:g} KRW left, {message.price:g} KRW needed",
                        )
                except sms.MessageRefused as err:
                    checked.append((raw, None, (err.status_code, err.message)))
                    continue
                recipients.add(message.to)
                balance -= message.price
                checked.append((raw, message, None))
            accepted = sum(1 for _, ok, _ in checked if ok is not None)
            self._take_quota(user, accepted, now)
            group = self._new_group(user, now, request.app_id, request.allow_duplicates)
            group.scheduled = scheduled
            group.charged = user.balance - balance
            user.balance = balance
            failed = []
            for raw, accepted_message, refusal in checked:
                stored = self._store(group, raw, accepted_message, refusal, now)
                if refusal is not None:
                    failed.append(self._failure(stored, raw))
            answer: dict[str, Any] = {
                "groupInfo": self._group_view(group, now),
                "failedMessageList": failed,
            }
            if request.show_message_list:
                answer["messageList"] = [
                    {
                        "messageId": stored.message_id,
                        "statusCode": self._status(stored, group, now)[0],
                        "statusMessage": self._status(stored, group, now)[1],
                    }
                    for stored in group.messages
                    if stored.refusal is None
                ]
            return answer

    def _new_group(
        self, user: SandboxUser, now: float, app_id: str | None, allow_duplicates: bool
    ) -> Group:
        group = Group(
            new_id("G4V", now), user.member_id, user.account_id, now, app_id, allow_duplicates
        )
        self.groups[group.group_id] = group
        return group

    def _store(
        self,
        group: Group,
        raw: Any,
        message: OutgoingMessage | None,
        refusal: tuple[str, str] | None,
        now: float,
    ) -> StoredMessage:
        source: Any = raw if isinstance(raw, dict) else {}
        stored = StoredMessage(
            message_id=new_id("M4V", now),
            group_id=group.group_id,
            member_id=group.member_id,
            account_id=group.account_id,
            created=now,
            to=message.to if message else source.get("to"),
            sender=message.sender if message else source.get("from"),
            type=message.type if message else _probable_type(source),
            text=message.text if message else source.get("text"),
            accepted=message,
            refusal=refusal,
        )
        group.messages.append(stored)
        self.messages[stored.message_id] = stored
        if message is not None and self.on_accept is not None:
            self.on_accept(stored)
        return stored

    @staticmethod
    def _failure(stored: StoredMessage, raw: Any) -> dict[str, Any]:
        assert stored.refusal is not None
        entry = {
            "to": stored.to,
            "from": stored.sender,
            "type": stored.type,
            "statusCode": stored.refusal[0],
            "statusMessage": stored.refusal[1],
            "messageId": stored.message_id,
            "accountId": stored.account_id,
        }
        if isinstance(raw, dict) and isinstance(raw.get("customFields"), dict):
            entry["customFields"] = raw["customFields"]
        return entry

    # -- status ----------------------------------------------------------------------------

    @staticmethod
    def _status(stored: StoredMessage, group: Group, now: float) -> tuple[str, str, str]:
        """Return a message's status code, its words and CoolSMS's ``status`` field."""
        if stored.refusal is not None:
            return stored.refusal[0], stored.refusal[1], "FAILED"
        start = group.scheduled if group.scheduled is not None else group.created
        if group.cancelled is not None or now < start + SENT_AFTER:
            state = "FAILED" if group.cancelled is not None else "PENDING"
            return "2000", STATUS_MESSAGES["2000"], state
        if now < start + DELIVERED_AFTER:
            return "3000", STATUS_MESSAGES["3000"], "SENDING"
        failure = CARRIER_FAILURES.get(str(stored.to))
        if failure is not None:
            return failure, STATUS_MESSAGES[failure], "FAILED"
        return "4000", STATUS_MESSAGES["4000"], "COMPLETE"

    def status_at(self, stored: StoredMessage, when: float) -> tuple[str, str, str]:
        """Return ``stored``'s status at the time ``when`` (as :meth:`_status`)."""
        return self._status(stored, self.groups[stored.group_id], when)

    def sent_at(self, stored: StoredMessage) -> float | None:
        """Return when ``stored`` goes (or went) out; ``None`` once its group is cancelled."""
        group = self.groups[stored.group_id]
        if group.cancelled is not None:
            return None
        return group.scheduled if group.scheduled is not None else group.created

    def _group_view(self, group: Group, now: float) -> dict[str, Any]:
        counts = dict.fromkeys(
            (
                "total",
                "registeredSuccess",
                "registeredFailed",
                "sentTotal",
                "sentSuccess",
                "sentFailed",
                "sentPending",
            ),
            0,
        )
        by_type = dict.fromkeys(("sms", "lms", "mms", "ata", "cta"), 0)
        for stored in group.messages:
            counts["total"] += 1
            if stored.refusal is not None:
                counts["registeredFailed"] += 1
                continue
            counts["registeredSuccess"] += 1
            by_type[str(stored.type).lower()] += 1
            code = self._status(stored, group, now)[0]
            if group.cancelled is not None:
                continue
            counts["sentTotal"] += 1
            if code == "4000":
                counts["sentSuccess"] += 1
            elif code.startswith("3") and code != "3000":
                counts["sentFailed"] += 1
            else:
                counts["sentPending"] += 1
        if group.cancelled is not None or not counts["registeredSuccess"]:
            status = "FAILED"
        elif group.scheduled is not None and now < group.scheduled:
            status = "SCHEDULED"
        elif counts["sentPending"]:
            status = "SENDING"
        else:
            status = "COMPLETE"
        log = [{"createAt": iso_timestamp(group.created), "message": _CREATED_LOG}]
        if group.cancelled is not None:
            log.append({"createAt": iso_timestamp(group.cancelled), "message": _CANCELLED_LOG})
        refund = group.charged if group.cancelled is not None else 0.0
        start = group.scheduled if group.scheduled is not None else group.created
        return {
            "groupId": group.group_id,
            "accountId": group.account_id,
            "status": status,
            "count": counts,
            "countForCharge": by_type,
            "balance": {
                "requested": group.charged,
                "replacement": 0,
                "refund": refund,
                "sum": group.charged - refund,
            },
            "point": {"requested": 0, "replacement": 0, "refund": 0, "sum": 0},
            "app": {"appId": group.app_id, "profit": dict.fromkeys(by_type, 0)},
            "allowDuplicates": group.allow_duplicates,
            "scheduledDate": iso_timestamp(group.scheduled) if group.scheduled else None,
            "dateSent": iso_timestamp(start) if status in ("SENDING", "COMPLETE") else None,
            "dateCompleted": (
                iso_timestamp(start + DELIVERED_AFTER) if status == "COMPLETE" else None
            ),
            "dateCreated": iso_timestamp(group.created),
            "dateUpdated": iso_timestamp(group.cancelled or group.created),
            "log": log,
            "apiVersion": "4",
        }

    def _message_view(self, stored: StoredMessage, now: float) -> dict[str, Any]:
        group = self.groups[stored.group_id]
        code, words, state = self._status(stored, group, now)
        accepted = stored.accepted
        return {
            "messageId": stored.message_id,
            "groupId": stored.group_id,
            "accountId": stored.account_id,
            "to": stored.to,
            "from": stored.sender,
            "type": stored.type,
            "text": stored.text,
            "subject": accepted.subject if accepted else None,
            "country": accepted.country if accepted else sms.DEFAULT_COUNTRY,
            "imageId": accepted.image_id if accepted else None,
            "kakaoOptions": accepted.kakao_options if accepted else None,
            "customFields": (accepted.custom_fields if accepted else None) or {},
            "autoTypeDetect": accepted.auto_type if accepted else True,
            "statusCode": code,
            "statusMessage": words,
            "status": state,
            "dateCreated": iso_timestamp(stored.created),
            "dateUpdated": iso_timestamp(stored.created),
        }

    # -- reading back ----------------------------------------------------------------------

    def _own_group(self, user: SandboxUser, group_id: str) -> Group:
        group = self.groups.get(group_id)
        if group is None or group.account_id != user.account_id:
            raise SandboxError(404, "NotFound", f"해당 그룹이 없음: no group {group_id}")
        return group

    def group(self, user: SandboxUser, group_id: str) -> dict[str, Any]:
        """Return ``user``'s group ``group_id`` as CoolSMS shows it."""
        with self.lock:
            return self._group_view(self._own_group(user, group_id), self.now())

    def cancel(self, user: SandboxUser, group_id: str) -> dict[str, Any]:
        """Cancel a scheduled group before its time and refund it; return the group."""
        with self.lock:
            now = self.now()
            group = self._own_group(user, group_id)
            if group.cancelled is not None or group.scheduled is None or group.scheduled <= now:
                raise SandboxError(
                    400, "InvalidGroupStatus", f"group {group_id} is not waiting for its schedule"
                )
            group.cancelled = now
            user.balance += group.charged
            return self._group_view(group, now)

    def groups_page(self, user: SandboxUser, params: dict[str, str]) -> dict[str, Any]:
        """Answer ``GET /messages/v4/groups``: ``user``'s groups, newest first, by pages."""
        with self.lock:
            now = self.now()
            views = [
                self._group_view(group, now)
                for group in reversed(self.groups.values())
                if group.account_id == user.account_id
            ]
            return _page(views, "groupId", "groupList", params, _GROUP_FILTERS)

    def messages_page(self, user: SandboxUser, params: dict[str, str]) -> dict[str, Any]:
        """Answer ``GET /messages/v4/list``: ``user``'s messages, newest first, by pages."""
        with self.lock:
            now = self.now()
            group_id = params.get("groupId")
            # A group's messages are read from the group, not by scanning every message.
            group = self.groups.get(group_id) if group_id else None
            source = group.messages if group is not None else self.messages.values()
            views = [
                self._message_view(stored, now)
                for stored in reversed(list(source))
                if stored.account_id == user.account_id
                and (group_id is None or stored.group_id == group_id)
            ]
            return _page(views, "messageId", "messageList", params, _MESSAGE_FILTERS)

    # -- images ----------------------------------------------------------------------------

    def upload(self, user: SandboxUser, payload: Any) -> dict[str, Any]:
        """Store an uploaded image (``POST /storage/v1/files``) and describe it."""
        payload = json_object(payload)
        kind = one_of("type", payload.get("type"), STORAGE_TYPES)
        name, encoded = payload.get("name"), payload.get("file")
        if not isinstance(name, str) or not name:
            raise validation_error("name is required")
        if not isinstance(encoded, str) or not encoded:
            raise validation_error("file must be the image encoded in base64")
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as err:
            raise validation_error("file is not valid base64") from err
        if len(data) > sms.MMS_IMAGE_MAX_BYTES:
            raise validation_error(
                f"an image may have at most {sms.MMS_IMAGE_MAX_BYTES // 1024} KB; "
                f"this one has {len(data) // 1024} KB"
            )
        if not data.startswith(IMAGE_SIGNATURES):
            raise validation_error("the image must be a JPEG, PNG or GIF")
        with self.lock:
            now = self.now()
            file_id = new_id("ST01FZ", now)
            self.images[file_id] = {
                "fileId": file_id,
                "type": kind,
                "name": name,
                "originalName": name,
                "url": f"https://sandbox.invalid/storage/{file_id}",
                "accountId": user.account_id,
                "dateCreated": iso_timestamp(now),
                "dateUpdated": iso_timestamp(now),
            }
            return dict(self.images[file_id])

    # -- inspection ------------------------------------------------------------------------

    def records(self) -> list[dict[str, Any]]:
        """Return the accepted messages, oldest first, for the sandbox's inspection."""
        with self.lock:
            now = self.now()
            return [
                {
                    "group_id": stored.group_id,
                    "message_id": stored.message_id,
                    "member_id": stored.member_id,
                    "account_id": stored.account_id,
                    "to": message.to,
                    "from": message.sender,
                    "text": message.text,
                    "type": message.type,
                    "country": message.country,
                    "subject": message.subject,
                    "app_id": message.app_id,
                    "image_id": message.image_id,
                    "price": message.price,
                    "status_code": self._status(stored, self.groups[stored.group_id], now)[0],
                    "date_created": iso_timestamp(stored.created),
                }
                for stored in self.messages.values()
                if (message := stored.accepted) is not None
            ]


def _page(
    items: Iterable[dict[str, Any]],
    key: str,
    container: str,
    params: dict[str, str],
    filters: tuple[str, ...],
) -> dict[str, Any]:
    unknown = set(params) - {"limit", "startKey", *filters}
    if unknown:
        raise validation_error(
            f"the sandbox does not filter by {', '.join(sorted(unknown))}; "
            f"it takes limit, startKey, {', '.join(filters)}"
        )
    try:
        limit = int(params.get("limit", DEFAULT_PAGE))
    except ValueError as err:
        raise validation_error("limit must be a number") from err
    if not 1 <= limit <= MAX_PAGE:
        raise validation_error(f"limit must be between 1 and {MAX_PAGE}")
    wanted = {name: params[name] for name in filters if name in params}
    matching = [item for item in items if all(str(item.get(n)) == v for n, v in wanted.items())]
    start_key = params.get("startKey")
    start = 0
    if start_key:
        ids = [item[key] for item in matching]
        if start_key not in ids:
            raise validation_error(f"startKey {start_key} is unknown")
        start = ids.index(start_key)
    page = matching[start : start + limit]
    following = matching[start + limit : start + limit + 1]
    return {
        "startKey": start_key,
        "nextKey": following[0][key] if following else None,
        "limit": limit,
        container: {item[key]: item for item in page},
    }
