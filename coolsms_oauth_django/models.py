"""The connection between a site user and their CoolSMS account."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import clock
from .fields import EncryptedTextField

if TYPE_CHECKING:
    from .oauth import TokenSet


def fingerprint(token: str | None) -> str:
    """Return a short, non-reversible fingerprint of a token, safe to display."""
    if not token:
        return "—"
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:10] + "…"


#: The two encrypted columns.
TOKEN_FIELDS = ("access_token", "refresh_token")
#: The longest error text kept on a connection.
MAX_ERROR_LENGTH = 2000


def token_is_due(expires_at: datetime, leeway: float) -> bool:
    """Return whether a token expiring at ``expires_at`` is due: within ``leeway`` seconds.

    The one rule for "refresh first": the session, the refresh and the model all ask it.
    """
    return expires_at <= clock.now() + timedelta(seconds=leeway)


class CoolSMSAccount(models.Model):
    """A user's CoolSMS connection: encrypted tokens and the non-secret profile."""

    ACTIVE = "active"
    NEEDS_RECONNECT = "needs_reconnect"
    STATUS_CHOICES = ((ACTIVE, _("Active")), (NEEDS_RECONNECT, _("Needs reconnecting")))

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="coolsms_account",
        verbose_name=_("user"),
    )
    member_id = models.CharField(
        _("CoolSMS member ID"), max_length=64, unique=True, null=True, blank=True
    )
    name = models.CharField(_("name"), max_length=150, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    phone_number = models.CharField(_("phone number"), max_length=32, blank=True)
    account_id = models.CharField(_("CoolSMS account ID"), max_length=64, blank=True)

    access_token = EncryptedTextField(_("access token"))
    refresh_token = EncryptedTextField(_("refresh token"), null=True, blank=True)
    token_type = models.CharField(_("token type"), max_length=32, default="Bearer")
    scopes = models.TextField(_("granted scopes"), blank=True, help_text=_("Space-separated."))
    expires_at = models.DateTimeField(_("access token expires at"))

    status = models.CharField(_("status"), max_length=32, choices=STATUS_CHOICES, default=ACTIVE)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    last_refreshed_at = models.DateTimeField(_("last refreshed at"), null=True, blank=True)
    connected_at = models.DateTimeField(_("connected at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("CoolSMS account")
        verbose_name_plural = _("CoolSMS accounts")
        # What the admin filters and sorts on (its default order is newest connection first,
        # with the primary key as tie-breaker), and the refresh's scan for expiring tokens.
        indexes = [
            models.Index(fields=["connected_at", "id"], name="coolsms_connected_idx"),
            models.Index(fields=["status", "connected_at", "id"], name="coolsms_status_idx"),
            models.Index(fields=["expires_at"], name="coolsms_expires_idx"),
        ]

    def __str__(self) -> str:
        # Reads the user unless it was loaded with the row (the admin loads them together).
        return gettext("CoolSMS %(member)s of %(user)s") % {
            "member": self.member_id or gettext("(unknown member)"),
            "user": self.user.get_username(),
        }

    def __repr__(self) -> str:
        return f"<CoolSMSAccount pk={self.pk} user={self.user_id} member={self.member_id!r}>"

    def __getstate__(self) -> dict[str, Any]:
        """Pickle (and copy) the account without its tokens.

        A pickled account lands in caches and sessions, outside the encrypted columns; the
        unpickled one reads its tokens from the database again when they are used.
        """
        state: dict[str, Any] = super().__getstate__()
        for name in TOKEN_FIELDS:
            state.pop(name, None)
        return state

    @property
    def scope_list(self) -> list[str]:
        """Return the granted scopes as a list."""
        return self.scopes.split()

    #: ``False`` on an account read while no configured key opened its tokens (they are then
    #: left unloaded, see :func:`.accounts.account_of`): it needs the user to connect again.
    tokens_readable = True

    @property
    def is_active(self) -> bool:
        """Return whether the connection can be used without the user connecting again."""
        return self.status == self.ACTIVE and self.tokens_readable

    def expires_within(self, seconds: float) -> bool:
        """Return whether the access token expires within ``seconds`` from now."""
        return token_is_due(self.expires_at, seconds)

    def apply_tokens(self, tokens: TokenSet, *, now: datetime) -> None:
        """Store a token response; keep the old refresh token when none came."""
        self.access_token = tokens.access_token
        if tokens.refresh_token:
            self.refresh_token = tokens.refresh_token
        self.token_type = tokens.token_type
        self.scopes = " ".join(tokens.scopes)
        self.expires_at = tokens.expires_at
        self.status = self.ACTIVE
        self.last_refreshed_at = now

    def record_error(self, message: str, *, now: datetime) -> None:
        """Remember the last problem with this connection (never a token or secret)."""
        self.last_error = message[:MAX_ERROR_LENGTH]
        self.last_error_at = now


class ReportEvent(models.Model):
    """A delivery report event already passed on, so a retried one is passed on once.

    Rows older than :data:`.report_endpoint.EVENT_MEMORY` are pruned as reports arrive.
    ``claim`` names the request that stored the row (see :func:`.report_endpoint.claim`).
    """

    event_id = models.CharField(_("event ID"), max_length=100, unique=True)
    claim = models.CharField(_("claimed by"), max_length=32)
    received_at = models.DateTimeField(_("received at"), db_index=True)

    class Meta:
        verbose_name = _("delivery report event")
        verbose_name_plural = _("delivery report events")

    def __str__(self) -> str:
        return self.event_id
