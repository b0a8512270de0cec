"""The admin for connections. Tokens are never shown: at most a short fingerprint."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.auth import get_permission_codename
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import accounts, refresh
from .exceptions import CoolSMSOAuthError, DecryptionError
from .models import TOKEN_FIELDS, CoolSMSAccount, fingerprint


@admin.action(description=_("Disconnect selected CoolSMS accounts"), permissions=["delete"])
def delete_selected(
    modeladmin: admin.ModelAdmin[CoolSMSAccount], request: HttpRequest, queryset: QuerySet[Any]
) -> Any:
    """Django's delete action, with its confirmation page, as the one "Disconnect".

    Named like the site-wide action it replaces, because Django's confirmation page posts
    ``action=delete_selected`` back.
    """
    return django_delete_selected(modeladmin, request, queryset)


@admin.register(CoolSMSAccount)
class CoolSMSAccountAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Connections, read-only; built to stay fast at a million rows.

    Every filter and the default order use an index (migration 0002); the search box takes an
    exact member ID or the start of a username, both answered from an index; no date
    hierarchy; no second count of the whole table under a filtered list.
    """

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
    # Only the columns an index can sort.
    sortable_by = ("user", "member_id", "expires_at", "connected_at")
    # What get_search_results matches (it picks one of the two, never an OR across tables).
    search_fields = ("member_id__exact", "user__username__startswith")
    search_help_text = _("An exact CoolSMS member ID, or the beginning of a username.")
    list_select_related = ("user",)
    show_full_result_count = False
    ordering = ("-connected_at",)
    actions = (delete_selected, "refresh_selected")
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
        # Never load (or decrypt) tokens to list or show an account; the user names the row.
        return super().get_queryset(request).select_related("user").defer(*TOKEN_FIELDS)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[CoolSMSAccount], search_term: str
    ) -> tuple[QuerySet[CoolSMSAccount], bool]:
        """Match an exact member ID if one is listed, else the beginning of a username.

        Each is one index lookup (the unique member ID; the username's index), where a
        substring search across both tables would read every row.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        by_member = queryset.filter(member_id=term)
        if by_member.exists():
            return by_member, False
        return queryset.filter(user__username__startswith=term), False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Nothing on a connection is edited by hand: its page is a view, without Save buttons.
        return False

    def has_refresh_permission(self, request: HttpRequest) -> bool:
        """Let staff who may change connections refresh them ("Refresh now")."""
        codename = get_permission_codename("change", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    def delete_model(self, request: HttpRequest, obj: CoolSMSAccount) -> None:
        accounts.disconnect(obj, request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CoolSMSAccount]) -> None:
        accounts.disconnect_all(queryset, request=request)

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

    @admin.action(
        description=_("Refresh tokens of selected CoolSMS accounts now"), permissions=["refresh"]
    )
    def refresh_selected(self, request: HttpRequest, queryset: QuerySet[CoolSMSAccount]) -> None:
        """Refresh each selected connection's access token at once, whatever its expiry."""
        refreshed = failed = 0
        for account_pk in queryset.values_list("pk", flat=True):
            try:
                refresh.refresh_account(account_pk, force=True)
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
