"""The example's receivers: report URLs registered on connecting, statuses kept from reports."""

import logging

from django.dispatch import receiver

from coolsms_oauth_django import get_coolsms_session
from coolsms_oauth_django.exceptions import CoolSMSOAuthError
from coolsms_oauth_django.report_endpoint import register_report_url
from coolsms_oauth_django.signals import account_connected, message_report

from .models import PENDING_CODES, Delivery

logger = logging.getLogger(__name__)


@receiver(account_connected)
def register_reports(sender, user, account, request, **kwargs):
    """Have the new connection's CoolSMS account report deliveries to this site."""
    if request is None:
        return
    try:
        with get_coolsms_session(user) as session:
            register_report_url(session, account.member_id, request.build_absolute_uri("/"))
    except (CoolSMSOAuthError, ValueError) as error:
        # Connecting still works; the group page then shows no delivery status.
        logger.warning("Delivery reports were not registered: %r", error)


@receiver(message_report)
def keep_status(sender, account, report, **kwargs):
    """Keep each message's latest status; a late "at the carrier" never undoes a final one."""
    current = Delivery.objects.filter(message_id=report.message_id).first()
    if current is not None and not current.pending and report.status_code in PENDING_CODES:
        return
    Delivery.objects.update_or_create(
        message_id=report.message_id,
        defaults={
            "group_id": report.group_id,
            "to": report.to[:32],
            "status_code": report.status_code,
            "status_message": report.status_message[:200],
        },
    )
