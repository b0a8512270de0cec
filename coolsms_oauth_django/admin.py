"""The admin for connections. Tokens are never shown: at most a short fingerprint."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import accounts, refresh
from .exceptions import CoolSMSOAuthError, DecryptionError
from .models import TOKEN_FIELDS, CoolSMSAccount, fingerprint


@admin.register(CoolSMSAccount)
class CoolSMSAccountAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "user",
        "member_id",
        "scopes",
        "status",
        "expires_at",
        "last_refreshed_at",
        "connected_at",
    )
    list_filter = ("status", "connected_at", "expires_at")
    search_fields = ("member_id", "name", "email", "phone_number", "user__username")
    list_select_related = ("user",)
    date_hierarchy = "connected_at"
    ordering = ("-connected_at",)
    actions = ("refresh_selected", "disconnect_selected")
    exclude = TOKEN_FIELDS
    readonly_fields = (
        "user",
        "member_id",
        "name",
        "email",
        "phone_number",
        "account_id",
        "token_type",
        "scopes",
        "expires_at",
        "status",
        "token_fingerprints",
        "last_refreshed_at",
        "last_error",
        "last_error_at",
        "connected_at",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[CoolSMSAccount]:
        # Never load (or decrypt) tokens to list or show an account.
        return super().get_queryset(request).defer(*TOKEN_FIELDS)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: CoolSMSAccount) -> None:
        accounts.disconnect(obj, request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CoolSMSAccount]) -> None:
        for account in queryset.select_related("user"):
            accounts.disconnect(account, request=request)

    @admin.display(description=_("token fingerprints"))
    def token_fingerprints(self, obj: CoolSMSAccount) -> str:
        """Return short SHA-256 fingerprints of the tokens, enough to tell rows apart."""
        try:
            access, refresh = (
                CoolSMSAccount.objects.filter(pk=obj.pk).values_list(*TOKEN_FIELDS).get()
            )
        except DecryptionError:
            return str(_("cannot be decrypted with the configured keys"))
        return f"access {fingerprint(access)} · refresh {fingerprint(refresh)}"

    @admin.action(description=_("Disconnect selected CoolSMS accounts"), permissions=["delete"])
    def disconnect_selected(self, request: HttpRequest, queryset: QuerySet[CoolSMSAccount]) -> None:
        """Delete the selected connections and their tokens, sending the signal for each."""
        count = queryset.count()
        self.delete_queryset(request, queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d CoolSMS account disconnected.",
                "%(count)d CoolSMS accounts disconnected.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Refresh tokens of selected CoolSMS accounts now"), permissions=["change"]
    )
    def refresh_selected(self, request: HttpRequest, queryset: QuerySet[CoolSMSAccount]) -> None:
        """Refresh each selected connection's access token at once, whatever its expiry."""
        refreshed = failed = 0
        for account_id in queryset.values_list("pk", flat=True):
            try:
                refresh.refresh_account(account_id, force=True)
            except CoolSMSOAuthError:
                # The row's last error says why; the admin lists it.
                failed += 1
            else:
                refreshed += 1
        if refreshed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d CoolSMS account refreshed.",
                    "%(count)d CoolSMS accounts refreshed.",
                    refreshed,
                )
                % {"count": refreshed},
                messages.SUCCESS,
            )
        if failed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d CoolSMS account could not be refreshed; see its last error.",
                    "%(count)d CoolSMS accounts could not be refreshed; see their last error.",
                    failed,
                )
                % {"count": failed},
                messages.ERROR,
            )
