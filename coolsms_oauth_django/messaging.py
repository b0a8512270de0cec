"""The messaging helpers of :class:`~coolsms_oauth_django.session.CoolSMSSession`.

Each helper is one CoolSMS call (or a series of them) built on ``session.call()``, so each
raises :class:`~coolsms_oauth_django.exceptions.CoolSMSAPIError` on an error answer. Messages
are checked with :mod:`coolsms_oauth_django.sms` first: one CoolSMS would refuse raises
:class:`~coolsms_oauth_django.sms.MessageRefused` (a ``ValueError``) and nothing is sent.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from . import endpoints, sms
from .exceptions import CoolSMSAPIError, MessagesRejected, detach_errors

__all__ = ["MessagingMixin", "json_object"]

#: What a group or webhook id may look like before it goes into a URL path.
_GROUP_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def json_object(data: Any) -> dict[str, Any]:
    """Return ``data`` if CoolSMS answered a JSON object, else raise ``CoolSMSAPIError``."""
    if not isinstance(data, dict):
        raise CoolSMSAPIError(200, "InvalidResponse", "CoolSMS answered with a non-object.")
    return data


def _group_path(group_id: str, suffix: str = "") -> str:
    if not isinstance(group_id, str) or not _GROUP_ID.fullmatch(group_id):
        raise ValueError(f"{group_id!r} is not a CoolSMS group id (letters and digits).")
    return f"{endpoints.GROUPS_PATH}/{group_id}{suffix}"


def _scheduled_date(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("scheduled_at must be an aware datetime (use django.utils.timezone).")
    return value.isoformat()


def _checked(message: Mapping[str, Any], index: int | None = None) -> Mapping[str, Any]:
    try:
        return sms.validate(message)
    except sms.MessageRefused as err:
        if index is None:
            raise
        raise sms.MessageRefused(err.status_code, f"Message {index}: {err.message}") from err


def _registered_none(answer: Mapping[str, Any], sent: int) -> bool:
    """Tell whether CoolSMS registered none of the ``sent`` messages of one answer."""
    count = (answer.get("groupInfo") or {}).get("count")
    if isinstance(count, Mapping) and isinstance(count.get("total"), int) and count["total"]:
        return bool(count.get("registeredFailed", 0) >= count["total"])
    return len(answer.get("failedMessageList") or []) >= sent


class MessagingMixin:
    """Send messages, upload MMS images, read sender numbers, groups and messages."""

    if TYPE_CHECKING:
        app_id: str | None

        def call(self, method: str, path: str, **kwargs: Any) -> Any: ...

    def _agent(self) -> dict[str, Any]:
        return {"agent": {"appId": self.app_id}} if self.app_id else {}

    def send_message(self, *, to: str, from_: str, text: str, **fields: Any) -> dict[str, Any]:
        """Send one message and return CoolSMS's answer (``groupId``, ``messageId``, ...).

        Scope ``message:write``. Extra keyword arguments (``type``, ``country``, ``subject``,
        ``imageId``, ``kakaoOptions``, ...) go into the message; hyphens and spaces in ``to``
        and ``from_`` are removed. ``agent.appId`` is added when ``APP_ID`` is set.
        """
        message = _checked({"to": to, "from": from_, "text": text, **fields})
        body = {"message": message, **self._agent()}
        return json_object(self.call("POST", endpoints.SEND_MESSAGE_PATH, json=body))

    def send_many(
        self,
        messages: Iterable[Mapping[str, Any]],
        *,
        scheduled_at: datetime | str | None = None,
        allow_duplicates: bool = False,
    ) -> list[dict[str, Any]]:
        """Send ``messages`` as one group per 10,000; return CoolSMS's answers, one per call.

        Scope ``message:write``. Each message is a dict as CoolSMS takes it (``to``, ``from``,
        ``text``, optional ``type``, ``subject``, ``imageId``, ``kakaoOptions``,
        ``customFields``); all are checked before the first call. A longer list is sent in
        calls of 10,000, in order; each call makes its own group, so the answers are not
        merged: each has ``groupInfo`` and a ``failedMessageList`` of the messages CoolSMS
        refused. When CoolSMS registered none of the messages, :class:`MessagesRejected`
        carries every failure. ``scheduled_at`` (an aware datetime) schedules the groups; a
        repeated recipient fails with ``1026`` unless ``allow_duplicates``.
        """
        checked = [_checked(message, index) for index, message in enumerate(messages)]
        if not checked:
            raise ValueError("send_many needs at least one message.")
        options: dict[str, Any] = {"allowDuplicates": allow_duplicates, **self._agent()}
        if scheduled_at is not None:
            options["scheduledDate"] = _scheduled_date(scheduled_at)
        answers: list[dict[str, Any]] = []
        registered_none = True
        step = sms.MAX_MESSAGES_PER_CALL
        for start in range(0, len(checked), step):
            chunk = checked[start : start + step]
            body = {"messages": chunk, **options}
            answer = json_object(self.call("POST", endpoints.SEND_MANY_PATH, json=body))
            answers.append(answer)
            registered_none = registered_none and _registered_none(answer, len(chunk))
        if registered_none:
            failed = [entry for each in answers for entry in each.get("failedMessageList") or []]
            raise MessagesRejected(failed, answers)
        return answers

    def sender_numbers(self) -> list[str]:
        """Return the user's active (registered and verified) sender numbers.

        Scope ``senderid:read``. A message may be sent only from one of these.
        """
        numbers = self.call("GET", endpoints.ACTIVE_SENDER_NUMBERS_PATH)
        if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            raise CoolSMSAPIError(200, "InvalidResponse", "CoolSMS answered with a non-list.")
        return numbers

    def upload_image(
        self,
        file_or_bytes: bytes | bytearray | memoryview | IO[bytes],
        *,
        name: str,
        kind: str = "MMS",
    ) -> str:
        """Upload an image and return its ``fileId``, to send as a message's ``imageId``.

        Scope ``storage:write``. ``file_or_bytes`` is the image's bytes or a binary file;
        an MMS image may have at most 200 KB. ``kind`` is CoolSMS's file ``type``.
        """
        if isinstance(file_or_bytes, (bytes, bytearray, memoryview)):
            data = bytes(file_or_bytes)
        else:
            data = file_or_bytes.read()
        if not data:
            raise ValueError("The image is empty.")
        if kind == "MMS" and len(data) > sms.MMS_IMAGE_MAX_BYTES:
            raise ValueError(
                f"An MMS image may have at most {sms.MMS_IMAGE_MAX_BYTES // 1024} KB; "
                f"this one has {len(data) // 1024} KB."
            )
        body = {"file": base64.b64encode(data).decode("ascii"), "name": name, "type": kind}
        answer = json_object(self.call("POST", endpoints.STORAGE_FILES_PATH, json=body))
        file_id = answer.get("fileId")
        if not isinstance(file_id, str) or not file_id:
            raise CoolSMSAPIError(200, "InvalidResponse", "CoolSMS answered without a fileId.")
        return file_id

    def get_group(self, group_id: str) -> dict[str, Any]:
        """Return one message group: ``status``, ``count``, ``scheduledDate``, ...

        Scope ``message:read``.
        """
        return json_object(self.call("GET", _group_path(group_id)))

    def list_groups(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Yield the user's message groups, newest first, following ``nextKey`` page by page.

        Scope ``message:read``. ``filters`` are CoolSMS's query parameters as it names them
        (``limit``, ``startDate``, ``endDate``, ``criteria``/``cond``/``value``, ...).
        """
        return self._pages(endpoints.GROUPS_PATH, filters, "groupList")

    def list_messages(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Yield the user's messages, newest first, following ``nextKey`` page by page.

        Scope ``message:read``. ``filters`` are CoolSMS's query parameters as it names them:
        ``groupId``, ``messageId``, ``to``, ``from``, ``type``, ``statusCode``, ``limit``, ...
        """
        return self._pages(endpoints.MESSAGE_LIST_PATH, filters, "messageList")

    def _pages(self, path: str, filters: Mapping[str, Any], key: str) -> Iterator[dict[str, Any]]:
        params = dict(filters)
        seen: set[str] = set()
        while True:
            page = json_object(self.call("GET", path, params=params))
            items = page.get(key) or {}
            if isinstance(items, Mapping):
                items = list(items.values())
            if not isinstance(items, list):
                raise CoolSMSAPIError(200, "InvalidResponse", f"CoolSMS answered a bad {key}.")
            yield from items
            next_key = page.get("nextKey")
            if not next_key:
                return
            if not isinstance(next_key, str) or next_key in seen:
                raise CoolSMSAPIError(200, "InvalidResponse", "CoolSMS repeated a nextKey.")
            seen.add(next_key)
            params["startKey"] = next_key

    def cancel_scheduled(self, group_id: str) -> dict[str, Any]:
        """Cancel a scheduled group before it is sent; return the group.

        Scope ``message:write``.
        """
        return json_object(self.call("DELETE", _group_path(group_id, "/schedule")))

    # Detached: the URL (a report URL's token) is an argument an error report would show.
    @detach_errors()
    def register_report_webhook(
        self, url: str, *, event: str = endpoints.SINGLE_REPORT_EVENT
    ) -> dict[str, Any]:
        """Ask CoolSMS to POST delivery reports to ``url``; return the webhook (``webhookId``).

        Scope ``webhook:write``. ``url`` is usually this site's report URL for the user
        (``coolsms_oauth_django.report_endpoint.report_url``); ``event`` is CoolSMS's event
        name, ``SINGLE-REPORT`` (one report per message) unless told otherwise.
        """
        body = {"eventId": event, "url": url}
        return json_object(self.call("POST", endpoints.WEBHOOKS_PATH, json=body))

    def report_webhooks(self) -> list[dict[str, Any]]:
        """Return the webhooks the user's account registered (``webhookId``, ``url``, ...).

        Scope ``webhook:read``.
        """
        return list(self._pages(endpoints.WEBHOOKS_PATH, {}, "webhookList"))

    def remove_report_webhook(self, webhook_id: str) -> dict[str, Any]:
        """Remove the webhook ``webhook_id``; return it as it was.

        Scope ``webhook:write``.
        """
        if not isinstance(webhook_id, str) or not _GROUP_ID.fullmatch(webhook_id):
            raise ValueError(f"{webhook_id!r} is not a CoolSMS webhook id (letters and digits).")
        path = f"{endpoints.WEBHOOKS_PATH}/{webhook_id}"
        return json_object(self.call("DELETE", path))
