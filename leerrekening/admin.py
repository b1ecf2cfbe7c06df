"""Coordinators' read-only views of the ledger. Corrections are new transfers, never edits."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.admin import AuditEventAdmin
from accounts.admin_scoping import is_coordinator
from leerrekening import ledger
from leerrekening.models import (
    ConfirmationLockout,
    LedgerAccount,
    Reservation,
    Tranche,
    Transfer,
)


class ReadOnlyLedgerAdmin(admin.ModelAdmin):
    """Coordinators may look (reconciliation); nobody edits or deletes ledger rows here."""

    def has_module_permission(self, request) -> bool:
        return is_coordinator(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_coordinator(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyLedgerAdmin):
    list_display = ["id", "kind", "owner", "balance", "created_at"]
    list_filter = ["kind"]
    search_fields = ["worker__email", "funder__name", "provider__name"]
    list_select_related = ["worker", "funder", "provider"]
    show_full_result_count = False

    @admin.display(description=_("eigenaar"))
    def owner(self, obj: LedgerAccount) -> str:
        return str(obj.worker or obj.funder or obj.provider or "—")


@admin.register(Transfer)
class TransferAdmin(ReadOnlyLedgerAdmin):
    list_display = [
        "id",
        "created_at",
        "kind",
        "amount",
        "debit_account",
        "credit_account",
        "cause",
    ]
    list_filter = ["kind"]
    search_fields = ["idempotency_key", "cause"]
    list_select_related = [
        "debit_account__worker",
        "debit_account__funder",
        "debit_account__provider",
        "credit_account__worker",
        "credit_account__funder",
        "credit_account__provider",
    ]
    show_full_result_count = False
    actions = ["reverse_transfers"]

    @admin.action(description=_("Corrigeren: tegenboeking maken"))
    def reverse_transfers(self, request, queryset):
        for transfer in queryset:
            try:
                ledger.transfer_reverse(
                    transfer=transfer,
                    idempotency_key=f"admin-reverse:{transfer.pk}",
                    reason=f"admin {request.user.email}",
                )
            except ledger.LedgerError as exc:
                self.message_user(request, f"#{transfer.pk}: {exc}", messages.ERROR)
            else:
                self.message_user(
                    request, _("Tegenboeking gemaakt voor #%(id)s") % {"id": transfer.pk}
                )

    def get_actions(self, request):
        # Corrections are a coordinator's call; the action exists only for them.
        return super().get_actions(request) if is_coordinator(request.user) else {}

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Tranche)
class TrancheAdmin(ReadOnlyLedgerAdmin):
    list_display = ["id", "account", "funder", "source", "amount", "remaining", "ends_on", "at_end"]
    list_filter = ["source", "at_end"]
    list_select_related = ["account__worker", "funder"]
    show_full_result_count = False


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyLedgerAdmin):
    list_display = ["id", "account", "payee", "amount", "status", "created_at", "settled_at"]
    list_filter = ["status"]
    list_select_related = ["account__worker", "payee__provider"]
    show_full_result_count = False


class LockoutActiveFilter(admin.SimpleListFilter):
    title = _("nu geblokkeerd")
    parameter_name = "actief"

    def lookups(self, request, model_admin):
        return [("ja", _("ja")), ("nee", _("nee"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "ja":
            return queryset.filter(locked_until__gt=now)
        if self.value() == "nee":
            return queryset.filter(locked_until__lte=now)
        return queryset


@admin.register(ConfirmationLockout)
class ConfirmationLockoutAdmin(ReadOnlyLedgerAdmin):
    """Workers whose booking confirmation was locked after too many wrong passwords or codes: a
    sign of guessing, or of a stolen session. Read only; the lock ends by itself."""

    list_display = ["user", "locked_at", "locked_until", "attempts"]
    list_filter = [LockoutActiveFilter]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    ordering = ["-locked_at"]


# Audit trail of the catalogue (django-pghistory), for coordinators; see accounts/admin.py.
for _event_model in ("ProviderEvent", "CourseEvent", "DepositSchemeEvent"):
    admin.site.register(apps.get_model("leerrekening", _event_model), AuditEventAdmin)


# Funders, deposits, batches, scheme rules and takeovers: scoped per employer; providers and
# courses (coordinators only, read-mostly, decisions by action): see those modules.
import leerrekening.catalogue.admin  # noqa: E402 (registers its ModelAdmins)
import leerrekening.deposits.admin  # noqa: E402
import leerrekening.deposits.admin_schemes  # noqa: E402, F401
