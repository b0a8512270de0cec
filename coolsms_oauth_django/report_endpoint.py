"""The delivery report endpoint: ``coolsms_oauth:reports``, where CoolSMS POSTs reports.

A request is taken only on a URL whose token is the member's under one of ``REPORT_SECRETS``
(else 404, nothing read). Its body, at most ``REPORT_MAX_BYTES``, must be CoolSMS's JSON array
of events (else 400, nothing stored). The reports are matched to the connection of the URL's
member; reports that name another CoolSMS account, and all reports for a member no user of the
site has connected, are dropped with a log line. With ``REPORT_CONFIRM`` each message is read
back through the user's session first: one CoolSMS does not list is dropped, the others carry
CoolSMS's own status. Then ``message_report`` is sent once per event: an event id is
remembered (:class:`~.models.ReportEvent`) for :data:`EVENT_MEMORY`, so a retried event is
answered 200 and passed on no more.

The endpoint answers 200 as soon as the receivers return (CoolSMS retries anything else), so
a receiver should only store what it needs or queue the work.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from . import accounts, clock, signals
from .conf import app_settings
from .exceptions import CoolSMSOAuthError, detach_errors
from .models import CoolSMSAccount, ReportEvent
from .reports import MalformedReport, MessageReport, parse_events, report_token, token_matches
from .session import CoolSMSSession

__all__ = ["EVENT_MEMORY", "ReportView", "register_report_url", "report_path", "report_url"]

logger = logging.getLogger("coolsms_oauth_django")
security_logger = logging.getLogger("django.security.coolsms_oauth")

#: How long an event id is remembered: CoolSMS's retries of an event come well within it.
EVENT_MEMORY = timedelta(days=7)
#: Event ids per query when storing and reading them back.
BATCH = 2000


def report_path(member_id: str) -> str:
    """Return the path of ``member_id``'s report URL, under the first of ``REPORT_SECRETS``.

    Raise ``ValueError`` when ``REPORT_SECRETS`` is empty.
    """
    report_secrets = app_settings().report_secrets
    if not report_secrets:
        raise ValueError("Set REPORT_SECRETS in COOLSMS_OAUTH to take delivery reports.")
    token = report_token(member_id, report_secrets[0])
    return reverse("coolsms_oauth:reports", kwargs={"member": member_id, "token": token})


def report_url(member_id: str, site_url: str) -> str:
    """Return ``member_id``'s absolute report URL on the site at ``site_url``.

    ``site_url`` is the site's scheme and host as CoolSMS reaches it
    (``https://example.com``); a path in it is replaced.
    """
    return urljoin(site_url, report_path(member_id))


# Detached: the URL (its token) is a local variable an error report would show.
@detach_errors()
def register_report_url(
    session: CoolSMSSession, member_id: str, site_url: str, *, remove: bool = False
) -> tuple[str | None, int]:
    """Have ``member_id``'s account report to its URL on the site at ``site_url``, once.

    Register the URL unless the account already has it, and remove the account's webhooks
    pointing at another report URL of the member on this site (made with an older secret);
    with ``remove``, remove them all and register nothing. Return the URL registered now
    (``None``: none) and how many webhooks were removed. Scopes ``webhook:read`` and
    ``webhook:write``.
    """
    url = report_url(member_id, site_url)
    # The member's report URLs on this site, whatever secret made them.
    prefix = url.rstrip("/").rsplit("/", 1)[0] + "/"
    ours = [hook for hook in session.report_webhooks() if str(hook.get("url")).startswith(prefix)]
    stale = [hook for hook in ours if remove or hook["url"] != url]
    for hook in stale:
        session.remove_report_webhook(hook["webhookId"])
    if remove or any(hook["url"] == url for hook in ours):
        return None, len(stale)
    session.register_report_webhook(url)
    return url, len(stale)


class BodyTooLarge(Exception):
    """The report body is over ``REPORT_MAX_BYTES``."""


def read_body(request: HttpRequest, limit: int) -> bytes:
    """Return the request body, reading at most ``limit`` bytes; raise :class:`BodyTooLarge`.

    Read from the stream, not ``request.body``, so the limit is ``REPORT_MAX_BYTES`` and not
    ``DATA_UPLOAD_MAX_MEMORY_SIZE``, and an oversized body is refused before it is read.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise BodyTooLarge
    body = request.read(limit + 1)
    if len(body) > limit:
        raise BodyTooLarge
    return body


def _answer(received: int, passed_on: int) -> JsonResponse:
    return JsonResponse({"received": received, "passedOn": passed_on})


def _first_of_each(reports: Iterable[MessageReport]) -> list[MessageReport]:
    """Return the reports with each event id once (the first time it comes)."""
    seen: dict[str, MessageReport] = {}
    for report in reports:
        seen.setdefault(report.event_id, report)
    return list(seen.values())


def confirmed(account: CoolSMSAccount, reports: list[MessageReport]) -> list[MessageReport]:
    """Return the reports CoolSMS confirms for ``account``, each with CoolSMS's own status.

    Each group's messages are read once through the user's session; a message CoolSMS does
    not list for the account is dropped with a log line. A failed read raises a
    :class:`~.exceptions.CoolSMSOAuthError` (``CoolSMSAPIError``, ``ReconnectRequired``, ...).
    """
    listed: dict[str, dict[str, Any]] = {}
    with CoolSMSSession(account.pk) as session:
        for group_id in dict.fromkeys(report.group_id for report in reports):
            for item in session.list_messages(groupId=group_id, limit=500):
                listed[str(item.get("messageId"))] = item
    kept = []
    for report in reports:
        message = listed.get(report.message_id)
        if message is None or message.get("groupId") != report.group_id:
            logger.warning(
                "Dropped a delivery report for message %r: CoolSMS does not list it for "
                "CoolSMS account %s",
                report.message_id,
                account.pk,
            )
            continue
        kept.append(
            replace(
                report,
                to=str(message.get("to") or report.to),
                status_code=str(message.get("statusCode") or report.status_code),
                status_message=str(message.get("statusMessage") or ""),
            )
        )
    return kept


def claim(reports: list[MessageReport]) -> list[MessageReport]:
    """Remember the reports' event ids; return the reports whose event was new.

    Call inside a transaction. All rows go in with a token of this call and conflicting ids
    are skipped, then the rows holding the token are read back: those are this call's, even
    when another request stores the same events at the same moment.
    """
    token = secrets.token_hex(16)
    now = clock.now()
    ReportEvent.objects.bulk_create(
        [ReportEvent(event_id=r.event_id, claim=token, received_at=now) for r in reports],
        ignore_conflicts=True,
        batch_size=BATCH,
    )
    mine: set[str] = set()
    for start in range(0, len(reports), BATCH):
        ids = [report.event_id for report in reports[start : start + BATCH]]
        mine.update(
            ReportEvent.objects.filter(claim=token, event_id__in=ids).values_list(
                "event_id", flat=True
            )
        )
    return [report for report in reports if report.event_id in mine]


def prune() -> int:
    """Forget the event ids older than :data:`EVENT_MEMORY`; return how many."""
    deleted, _ = ReportEvent.objects.filter(received_at__lt=clock.now() - EVENT_MEMORY).delete()
    return deleted


@method_decorator(csrf_exempt, name="dispatch")
class ReportView(View):
    """Take CoolSMS's delivery reports for one member and send ``message_report`` for each."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, member: str, token: str) -> HttpResponse:
        config = app_settings()
        if not token_matches(member, token, config.report_secrets):
            # %r: a value from the URL cannot start a log line of its own.
            security_logger.warning(
                "Refused a delivery report with a wrong token for member %r", member[:100]
            )
            raise Http404("No such report URL.")
        try:
            reports = parse_events(read_body(request, config.report_max_bytes))
        except BodyTooLarge:
            return JsonResponse({"error": "The report body is too large."}, status=413)
        except MalformedReport as err:
            return JsonResponse({"error": f"Not a delivery report: {err}."}, status=400)
        received = len(reports)
        account = accounts.account_for_member(member)
        if account is None:
            logger.warning(
                "Dropped %d delivery report(s) for CoolSMS member %r: no user of this site "
                "has connected it",
                received,
                member[:100],
            )
            return _answer(received, 0)
        reports = self.own(account, _first_of_each(reports))
        if config.report_confirm and reports:
            if not account.is_active:
                logger.warning(
                    "Dropped %d delivery report(s) for CoolSMS account %s: the connection "
                    "must be connected again before reports can be confirmed",
                    len(reports),
                    account.pk,
                )
                return _answer(received, 0)
            try:
                reports = confirmed(account, reports)
            except CoolSMSOAuthError as err:
                logger.warning("Delivery reports could not be confirmed, retry asked: %r", err)
                return JsonResponse({"error": "Reports could not be confirmed now."}, status=503)
        prune()
        with transaction.atomic():
            fresh = claim(reports)
            for report in fresh:
                signals.message_report.send(sender=CoolSMSAccount, account=account, report=report)
        return _answer(received, len(fresh))

    @staticmethod
    def own(account: CoolSMSAccount, reports: list[MessageReport]) -> list[MessageReport]:
        """Return the reports that do not name a CoolSMS account other than ``account``'s."""
        kept = [
            report
            for report in reports
            if report.account_id is None
            or not account.account_id
            or report.account_id == account.account_id
        ]
        if len(kept) < len(reports):
            security_logger.warning(
                "Dropped %d delivery report(s) naming another CoolSMS account than that of "
                "connection %s",
                len(reports) - len(kept),
                account.pk,
            )
        return kept
