"""Delivery report webhooks: registering them, and POSTing reports as messages advance.

An account registers a URL for ``SINGLE-REPORT`` (``POST /webhook/v1/outgoing``). From then
on each message the account sends is watched: when the sandbox's clock passes the moment it
reaches the carrier (``3000``) and the moment of its final status (``4000``, or the carrier
failure of :data:`~.messages.CARRIER_FAILURES`), a report event is due. :meth:`Webhooks.pump`
POSTs the due events of each webhook as one JSON array, and POSTs it again with ``retryCount``
raised while the answer is not a 200: :data:`RETRY_DELAYS` after each failure, five times,
then it gives up. The sandbox runs the pump a few times a second; a test that moves the clock
calls it directly (``Sandbox.deliver_reports()``).

The sandbox is a local tool: it POSTs only to ``http://`` URLs on a loopback address.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..endpoints import SINGLE_REPORT_EVENT
from .errors import SandboxError, json_object, one_of, validation_error
from .guard import is_loopback
from .outbox import DELIVERED_AFTER, SENT_AFTER, Outbox, StoredMessage, new_id
from .token_signer import iso_timestamp
from .users import SandboxUser

#: The events an account may register a webhook for (the sandbox sends message reports).
EVENTS = (SINGLE_REPORT_EVENT, "GROUP-REPORT")
#: Seconds of the sandbox's clock before each retry of a delivery that was not answered 200.
RETRY_DELAYS = (10.0, 20.0, 40.0, 80.0, 160.0)
#: Seconds the sandbox waits for a site to answer a delivery.
POST_TIMEOUT = 5.0
#: The most webhooks one account may register.
MAX_WEBHOOKS = 20


def report_url_problem(url: Any) -> str | None:
    """Return why the sandbox will not POST to ``url``, or ``None`` when it will."""
    if not isinstance(url, str) or not url:
        return "url is required"
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        return "url has an invalid port"
    if parts.scheme != "http" or not parts.hostname or "@" in parts.netloc or parts.fragment:
        return "url must be an http:// URL without user information or fragment"
    if parts.hostname != "localhost" and not is_loopback(parts.hostname):
        return "the sandbox delivers reports only to loopback addresses (it is a local tool)"
    return None


@dataclass
class Webhook:
    """A URL an account registered for an event."""

    webhook_id: str
    account_id: str
    event_id: str
    url: str
    secret: str | None
    created: float

    def view(self) -> dict[str, Any]:
        """Return the webhook as CoolSMS shows it."""
        return {
            "webhookId": self.webhook_id,
            "accountId": self.account_id,
            "eventId": self.event_id,
            "url": self.url,
            "secret": self.secret,
            "status": "ACTIVE",
            "failCount": 0,
            "dateCreated": iso_timestamp(self.created),
            "dateUpdated": iso_timestamp(self.created),
        }


@dataclass
class Delivery:
    """Report events on their way to one webhook, with every attempt made."""

    delivery_id: str
    webhook_id: str
    url: str
    events: list[dict[str, Any]]
    next_attempt: float
    retry_count: int = 0
    state: str = "pending"
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def body(self) -> bytes:
        """Return the JSON array this attempt POSTs."""
        items = [{**event, "retryCount": self.retry_count} for event in self.events]
        return json.dumps(items, ensure_ascii=False).encode("utf-8")

    def view(self) -> dict[str, Any]:
        """Return the delivery for the sandbox's inspection."""
        return {
            "deliveryId": self.delivery_id,
            "webhookId": self.webhook_id,
            "url": self.url,
            "eventIds": [event["eventDataId"] for event in self.events],
            "messageIds": [event["data"]["messageId"] for event in self.events],
            "statusCodes": [event["data"]["statusCode"] for event in self.events],
            "state": self.state,
            "retryCount": self.retry_count,
            "nextAttempt": iso_timestamp(self.next_attempt) if self.state == "retrying" else None,
            "attempts": [dict(attempt) for attempt in self.attempts],
        }


def post(url: str, body: bytes) -> tuple[int | None, str | None]:
    """POST ``body`` to ``url``; return the status (``None`` when none came) and an error."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(
        parts.hostname or "", parts.port or 80, timeout=POST_TIMEOUT
    )
    try:
        connection.request("POST", path, body, {"Content-Type": "application/json; charset=utf-8"})
        response = connection.getresponse()
        response.read()
        return response.status, None
    except (OSError, http.client.HTTPException) as err:
        return None, f"{type(err).__name__}: {err}"[:200]
    finally:
        connection.close()


class Webhooks:
    """The registered webhooks, the watched messages and the deliveries, behind the lock."""

    def __init__(
        self,
        lock: threading.RLock,
        now: Callable[[], float],
        outbox: Outbox,
        sender: Callable[[str, bytes], tuple[int | None, str | None]] = post,
    ) -> None:
        self.lock = lock
        self.now = now
        self.outbox = outbox
        self.sender = sender
        self.webhooks: dict[str, Webhook] = {}
        #: Accepted messages whose reports are not all out: message id → stages reported.
        self.watched: dict[str, int] = {}
        self.deliveries: list[Delivery] = []
        #: One pump at a time; the state lock is not held while POSTing.
        self._pumping = threading.Lock()
        outbox.on_accept = self.watch

    # -- the webhook API -------------------------------------------------------------------

    def register(self, user: SandboxUser, payload: Any) -> dict[str, Any]:
        """Register a webhook (``POST /webhook/v1/outgoing``) and return it."""
        payload = json_object(payload)
        event_id = one_of("eventId", payload.get("eventId"), EVENTS)
        url, secret = payload.get("url"), payload.get("secret")
        problem = report_url_problem(url)
        if problem:
            raise validation_error(problem)
        if secret is not None and not isinstance(secret, str):
            raise validation_error("secret must be a string")
        with self.lock:
            own = [hook for hook in self.webhooks.values() if hook.account_id == user.account_id]
            if len(own) >= MAX_WEBHOOKS:
                raise validation_error(f"an account may register at most {MAX_WEBHOOKS} webhooks")
            now = self.now()
            hook = Webhook(new_id("WH01WH", now), user.account_id, event_id, str(url), secret, now)
            self.webhooks[hook.webhook_id] = hook
            return hook.view()

    def listing(self, user: SandboxUser) -> dict[str, Any]:
        """Answer ``GET /webhook/v1/outgoing``: the account's webhooks, in one page."""
        with self.lock:
            own = [h.view() for h in self.webhooks.values() if h.account_id == user.account_id]
            return {"limit": MAX_WEBHOOKS, "webhookList": own, "startKey": None, "nextKey": None}

    def remove(self, user: SandboxUser, webhook_id: str) -> dict[str, Any]:
        """Remove the account's webhook ``webhook_id`` and return it."""
        with self.lock:
            hook = self.webhooks.get(webhook_id)
            if hook is None or hook.account_id != user.account_id:
                raise SandboxError(404, "NotFound", f"no webhook {webhook_id}")
            del self.webhooks[webhook_id]
            return hook.view()

    # -- delivering ------------------------------------------------------------------------

    def _targets(self, account_id: str) -> list[Webhook]:
        return [
            hook
            for hook in self.webhooks.values()
            if hook.account_id == account_id and hook.event_id == SINGLE_REPORT_EVENT
        ]

    def watch(self, stored: StoredMessage) -> None:
        """Follow an accepted message whose account has a report webhook."""
        if self._targets(stored.account_id):
            self.watched[stored.message_id] = 0

    def _event(self, stored: StoredMessage, when: float, now: float) -> dict[str, Any]:
        code, words, _ = self.outbox.status_at(stored, when)
        accepted = stored.accepted
        return {
            "eventDataId": new_id("WH01ED", now),
            "data": {
                "messageId": stored.message_id,
                "groupId": stored.group_id,
                "accountId": stored.account_id,
                "type": stored.type,
                "to": stored.to,
                "from": stored.sender,
                "statusCode": code,
                "statusMessage": words,
                "dateProcessed": iso_timestamp(when),
                "dateReported": iso_timestamp(when),
                "dateReceived": iso_timestamp(when) if code == "4000" else None,
                "networkCode": None,
                "customFields": (accepted.custom_fields if accepted else None) or {},
            },
        }

    def _new_events(self, now: float) -> dict[str, list[dict[str, Any]]]:
        """Return, by account, the events of the stages the watched messages have reached."""
        events: dict[str, list[dict[str, Any]]] = {}
        for message_id, reported in list(self.watched.items()):
            stored = self.outbox.messages[message_id]
            start = self.outbox.sent_at(stored)
            if start is None:
                del self.watched[message_id]  # cancelled: it never goes out
                continue
            for stage, when in enumerate((start + SENT_AFTER, start + DELIVERED_AFTER)):
                if stage >= reported and when <= now:
                    events.setdefault(stored.account_id, []).append(self._event(stored, when, now))
                    reported = stage + 1
            if reported == 2:
                del self.watched[message_id]
            else:
                self.watched[message_id] = reported
        return events

    def _due(self, now: float) -> list[Delivery]:
        for account_id, events in self._new_events(now).items():
            for hook in self._targets(account_id):
                self.deliveries.append(
                    Delivery(new_id("WH01DL", now), hook.webhook_id, hook.url, events, now)
                )
        return [
            delivery
            for delivery in self.deliveries
            if delivery.state in ("pending", "retrying") and delivery.next_attempt <= now
        ]

    def _record(self, delivery: Delivery, status: int | None, error: str | None) -> None:
        now = self.now()
        delivery.attempts.append(
            {"at": iso_timestamp(now), "retryCount": delivery.retry_count, "status": status}
            | ({"error": error} if error else {})
        )
        if status == 200:
            delivery.state = "delivered"
        elif delivery.retry_count < len(RETRY_DELAYS):
            delivery.state = "retrying"
            delivery.next_attempt = now + RETRY_DELAYS[delivery.retry_count]
            delivery.retry_count += 1
        else:
            delivery.state = "failed"

    def pump(self) -> int:
        """POST every delivery that is due now; return how many were attempted."""
        with self._pumping:
            with self.lock:
                due = [(delivery, delivery.body()) for delivery in self._due(self.now())]
            # The site may call the sandbox back while it answers: the lock is not held.
            answers = [(delivery, self.sender(delivery.url, body)) for delivery, body in due]
            with self.lock:
                for delivery, (status, error) in answers:
                    self._record(delivery, status, error)
            return len(due)

    def delivery_views(self) -> list[dict[str, Any]]:
        """Return every delivery, oldest first, for the sandbox's inspection."""
        with self.lock:
            return [delivery.view() for delivery in self.deliveries]
