"""Admin for funders, deposits, batches, scheme rules and takeovers.

Scoping (accounts.admin_scoping): coordinators see everything; employer staff see the funder of
their own employer(s), its batches and deposits, and its scheme rules. Every object URL here
(confirm, report, progress) looks the object up in the scoped queryset, so another organisation's
batch is a 404 whatever id is guessed. Employer staff see deposits and aggregate uptake only:
never a worker's balance or what a worker booked.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_scoping import EmployerScopedAdmin, is_coordinator
from leerportaal.errors import DomainError, form_error, message_error
from leerportaal.excel_csv import excel_csv_response
from leerportaal.money import euro
from leerrekening import ledger
from leerrekening.deposits import reports
from leerrekening.deposits import services as deposit_services
from leerrekening.deposits.forms import (
    BatchUploadForm,
    FundingForm,
    SingleDepositForm,
    admin_form_page,
)
from leerrekening.deposits.selectors import funder_uptake_by_quarter
from leerrekening.models import DepositBatch, DepositBatchLine, Funder

# --- Funders --------------------------------------------------------------------------------------


class FunderAdmin(EmployerScopedAdmin):
    """Coordinators manage funders and record incoming payments; employer staff see their own
    funder read-only: prepaid balance, batches and aggregate uptake."""

    list_display = ["name", "kind", "employer", "sector", "prepaid_balance"]
    list_filter = ["kind"]
    list_select_related = ["employer", "sector", "prepaid_account"]
    search_fields = ["name", "employer__kvk_number"]
    change_form_template = "admin/leerrekening/funder/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        if is_coordinator(request.user):
            return ["prepaid_balance"]
        return ["name", "kind", "employer", "sector", "prepaid_balance"]

    def get_fields(self, request, obj=None):
        return ["name", "kind", "employer", "sector", "prepaid_balance"]

    @admin.display(description=gettext_lazy("prepaid-saldo"))
    def prepaid_balance(self, obj: Funder) -> str:
        account = getattr(obj, "prepaid_account", None)
        return euro(account.balance if account else Decimal("0"))

    def get_urls(self):
        return [
            path(
                "<int:funder_id>/inleg/",
                self.admin_site.admin_view(self.funding_view),
                name="leerrekening_funder_funding",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        funder = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if funder is not None:
            extra.update(
                uptake=funder_uptake_by_quarter(funder=funder),
                available=deposit_services.funder_available(funder=funder),
                batches=funder.batches.order_by("-created_at")[:10],
                can_record_funding=is_coordinator(request.user),
            )
        return super().change_view(request, object_id, form_url, extra)

    def funding_view(self, request, funder_id: int):
        # Recording money that arrived at the bank is platform staff's job (DESIGN.md).
        if not is_coordinator(request.user):
            raise PermissionDenied
        funder = self.get_queryset(request).filter(pk=funder_id).first()
        if funder is None:
            raise Http404
        form = FundingForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            reference = form.cleaned_data["reference"].strip()
            try:
                transfer = ledger.funding_record(
                    funder=funder,
                    amount=form.cleaned_data["amount"],
                    idempotency_key=f"funding:{funder.pk}:{reference}",
                    reference=f"bank:{reference}",
                )
            except ledger.IdempotencyConflict:
                form.add_error(
                    "reference",
                    _("Dit kenmerk is al gebruikt voor een ander bedrag. Controleer de betaling."),
                )
            else:
                messages.success(
                    request,
                    _("Inleg van %(amount)s voor %(funder)s geboekt.")
                    % {"amount": euro(transfer.amount), "funder": funder.name},
                )
                return redirect("admin:leerrekening_funder_change", funder.pk)
        return admin_form_page(
            request,
            self,
            title=_("Inleg registreren: %(funder)s") % {"funder": funder.name},
            form=form,
            submit=_("Inleg boeken"),
            intro=_(
                "Een betaling die op de bankrekening binnenkwam, op de prepaid-rekening van de financier."
            ),
        )


# --- Deposit batches ------------------------------------------------------------------------------


class DepositBatchAdmin(EmployerScopedAdmin):
    employer_field = "funder__employer"
    list_display = [
        "id",
        "created_at",
        "kind",
        "status",
        "funder",
        "employer",
        "line_count",
        "total_eur",
        "progress",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["funder", "employer"]
    show_full_result_count = False
    change_form_template = "admin/leerrekening/depositbatch/change_form.html"
    change_list_template = "admin/leerrekening/depositbatch/change_list.html"
    fields = [
        "kind",
        "status",
        "funder",
        "employer",
        "scheme",
        "period_start",
        "deposit_date",
        "ends_on",
        "at_end",
        "description",
        "file_name",
        "line_count",
        "total",
        "lines_applied",
        "amount_applied",
        "created_by",
        "created_at",
        "confirmed_by",
        "confirmed_at",
        "finished_at",
    ]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("totaal"), ordering="total")
    def total_eur(self, obj: DepositBatch) -> str:
        return euro(obj.total)

    @admin.display(description=gettext_lazy("voortgang"))
    def progress(self, obj: DepositBatch):
        return format_html(
            '<progress max="100" value="{}">{}%</progress> {}%',
            obj.percent,
            obj.percent,
            obj.percent,
        )

    def has_add_permission(self, request) -> bool:
        return is_coordinator(request.user) or self._is_employer_staff(request)

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:leerrekening_depositbatch_upload")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("uploaden/", view(self.upload_view), name="leerrekening_depositbatch_upload"),
            path("los/", view(self.single_view), name="leerrekening_depositbatch_single"),
            path(
                "<int:batch_id>/bevestigen/",
                view(self.confirm_view),
                name="leerrekening_depositbatch_confirm",
            ),
            path(
                "<int:batch_id>/laten-vervallen/",
                view(self.cancel_view),
                name="leerrekening_depositbatch_cancel",
            ),
            path(
                "<int:batch_id>/hervatten/",
                view(self.resume_view),
                name="leerrekening_depositbatch_resume",
            ),
            path(
                "<int:batch_id>/rapport/",
                view(self.report_view),
                name="leerrekening_depositbatch_report",
            ),
            path(
                "<int:batch_id>/voortgang/",
                view(self.progress_view),
                name="leerrekening_depositbatch_progress",
            ),
            *super().get_urls(),
        ]

    def _scoped(self, request, batch_id: int) -> DepositBatch:
        batch = (
            self.get_queryset(request)
            .select_related("funder", "employer")
            .filter(pk=batch_id)
            .first()
        )
        if batch is None:
            raise Http404
        return batch

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if batch is not None:
            extra.update(
                batch=batch,
                shown_errors=batch.errors[:200],
                available=deposit_services.funder_available(
                    funder=batch.funder, exclude_batch_id=batch.pk
                ),
                # The page refreshes itself while Celery works on the batch.
                refresh=batch.is_pending,
            )
        return super().change_view(request, object_id, form_url, extra)

    def upload_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = BatchUploadForm(
            request.POST or None,
            request.FILES or None,
            user=request.user,
            initial={"deposit_date": timezone.localdate()},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                batch = deposit_services.deposit_batch_upload(
                    funder=data["funder"],
                    employer=data["employer"],
                    stream=data["file"],
                    file_name=data["file"].name,
                    deposit_date=data["deposit_date"],
                    ends_on=deposit_services.ends_on_for(
                        deposit_date=data["deposit_date"], valid_years=data["valid_years"]
                    ),
                    at_end=data["at_end"],
                    description=data["description"],
                    by=request.user,
                )
            except DomainError as error:
                form_error(form, error)
            else:
                if batch.status == DepositBatch.Status.REJECTED:
                    messages.error(
                        request,
                        _("Er zijn %(count)d fouten gevonden. Er is niets gestort.")
                        % {"count": batch.error_count},
                    )
                else:
                    messages.success(
                        request,
                        _("Het bestand is goed: controleer de gegevens en bevestig de batch."),
                    )
                return redirect("admin:leerrekening_depositbatch_change", batch.pk)
        return admin_form_page(
            request,
            self,
            title=_("Stortingen uit een bestand"),
            form=form,
            submit=_("Controleren"),
            intro=_(
                "Eerst wordt het hele bestand gecontroleerd. Er wordt pas iets gestort als u de "
                "batch daarna bevestigt."
            ),
        )

    def single_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = SingleDepositForm(
            request.POST or None, user=request.user, initial={"deposit_date": timezone.localdate()}
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                batch = deposit_services.deposit_single_create(
                    funder=data["funder"],
                    employment=data["employment"],
                    amount=data["amount"],
                    source=data["source"],
                    deposit_date=data["deposit_date"],
                    ends_on=deposit_services.ends_on_for(
                        deposit_date=data["deposit_date"], valid_years=data["valid_years"]
                    ),
                    at_end=data["at_end"],
                    description=data["description"],
                    by=request.user,
                )
            except (DomainError, ledger.LedgerError) as error:
                # The ledger's errors join DomainError with the ledger package; until then: str.
                form.add_error(None, getattr(error, "message", str(error)))
            else:
                messages.success(request, _("De storting is bevestigd en wordt verwerkt."))
                return redirect("admin:leerrekening_depositbatch_change", batch.pk)
        return admin_form_page(
            request, self, title=_("Losse storting"), form=form, submit=_("Storten")
        )

    def _post_only(self, request) -> None:
        if request.method != "POST":
            raise PermissionDenied

    def _batch_action(self, request, batch_id: int, service, success: str):
        """POST only, on a batch of the user's own organisation; domain errors become messages."""
        self._post_only(request)
        batch = self._scoped(request, batch_id)
        try:
            service(batch=batch, by=request.user)
        except DomainError as error:
            message_error(request, error)
        else:
            messages.success(request, success)
        return redirect("admin:leerrekening_depositbatch_change", batch.pk)

    def confirm_view(self, request, batch_id: int):
        return self._batch_action(
            request,
            batch_id,
            deposit_services.deposit_batch_confirm,
            _("Bevestigd. De stortingen worden nu verwerkt."),
        )

    def cancel_view(self, request, batch_id: int):
        return self._batch_action(
            request,
            batch_id,
            deposit_services.deposit_batch_cancel,
            _("De batch is vervallen. Er is niets gestort."),
        )

    def resume_view(self, request, batch_id: int):
        return self._batch_action(
            request,
            batch_id,
            deposit_services.deposit_batch_resume,
            _("De batch wordt hervat."),
        )

    def report_view(self, request, batch_id: int):
        batch = self._scoped(request, batch_id)
        kind = "fouten" if batch.status == DepositBatch.Status.REJECTED else "resultaat"
        return excel_csv_response(
            f"batch-{batch.pk}-{kind}.csv", reports.batch_report_rows(batch=batch)
        )

    def progress_view(self, request, batch_id: int):
        batch = self._scoped(request, batch_id)
        return JsonResponse(
            {
                "id": batch.pk,
                "status": batch.status,
                "line_count": batch.line_count,
                "lines_applied": batch.lines_applied,
                "amount_applied": str(batch.amount_applied),
                "percent": batch.percent,
            }
        )


class DepositBatchLineAdmin(EmployerScopedAdmin):
    """An employer's own deposits, line by line: who got how much, when and why. Not what is left
    of it, nor what it was spent on (that is the worker's business)."""

    employer_field = "batch__funder__employer"
    list_display = [
        "employee_number",
        "worker_name",
        "amount",
        "source",
        "batch_link",
        "deposit_date",
    ]
    list_filter = ["source"]
    search_fields = ["employee_number", "employment__full_name"]
    list_select_related = ["employment", "batch"]
    show_full_result_count = False
    fields = ["batch", "line_number", "employee_number", "amount", "source", "description"]
    readonly_fields = fields

    def get_queryset(self, request):
        # Only lines of batches that were confirmed: a rejected or pending upload deposited nothing.
        return (
            super()
            .get_queryset(request)
            .exclude(batch__status__in=["rejected", "validated", "cancelled"])
        )

    @admin.display(description=gettext_lazy("werknemer"), ordering="employment__full_name")
    def worker_name(self, obj: DepositBatchLine) -> str:
        # The roster's name the employer gave, never the account's own.
        return obj.employment.full_name

    @admin.display(description=gettext_lazy("batch"))
    def batch_link(self, obj: DepositBatchLine):
        url = reverse("admin:leerrekening_depositbatch_change", args=[obj.batch_id])
        return format_html('<a href="{}">{}</a>', url, obj.batch_id)

    @admin.display(description=gettext_lazy("stortingsdatum"), ordering="batch__deposit_date")
    def deposit_date(self, obj: DepositBatchLine):
        return obj.batch.deposit_date


admin.site.register(Funder, FunderAdmin)
admin.site.register(DepositBatch, DepositBatchAdmin)
admin.site.register(DepositBatchLine, DepositBatchLineAdmin)
