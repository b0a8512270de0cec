"""What the example keeps of CoolSMS's delivery reports: each message's last known status."""

from django.db import models
from django.utils.translation import gettext_lazy as _

#: Status codes of a message still on its way (accepted, at the carrier).
PENDING_CODES = ("2000", "3000")


class Delivery(models.Model):
    """A message's delivery status, as the last report for it said."""

    message_id = models.CharField(_("message ID"), max_length=100, unique=True)
    group_id = models.CharField(_("group ID"), max_length=100, db_index=True)
    to = models.CharField(_("to"), max_length=32)
    status_code = models.CharField(_("status code"), max_length=10)
    status_message = models.CharField(_("status message"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self):
        return f"{self.message_id}: {self.status_code}"

    @property
    def delivered(self):
        return self.status_code == "4000"

    @property
    def pending(self):
        return self.status_code in PENDING_CODES
