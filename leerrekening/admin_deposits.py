"""Admin for funders, deposits, batches, scheme rules and takeovers.

Scoping (accounts.admin_scoping): coordinators see everything; employer staff see the funder of
their own employer(s), its batches and deposits, and its scheme rules. Every object URL here
(confirm, report, progress) looks the object up in the scoped queryset, so another organisation's
batch is a 404 whatever id is guessed. Employer staff see deposits and aggregate uptake only:
never a worker's balance or what a worker booked.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_scoping import EmployerScopedAdmin, is_coordinator, managed_employer_ids
from accounts.models import Employer, Employment
from leerportaal.excel_csv import escape_formula
from leerrekening import ledger
from leerrekening.batch_csv import format_eur
from leerrekening.models import (
    DepositBatch,
    DepositBatchLine,
    DepositScheme,
    Funder,
    TakeoverBatch,
    Tranche,
)
from leerrekening.models.deposits import MAX_VALID_YEARS
from leerrekening.selectors_deposits import funder_uptake_by_quarter, funders_of
from leerrekening.services import deposits as deposit_services
from leerrekening.services import job_changes, schemes

VALID_YEARS = [(n, gettext_lazy("%(n)d jaar") % {"n": n}) for n in range(1, MAX_VALID_YEARS + 1)]


# --- Forms ----------------------------------------------------------------------------------------


class _DepositTermsForm(forms.Form):
    deposit_date = forms.DateField(
        label=gettext_lazy("Stortingsdatum"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("De werknemers moeten op deze datum in dienst zijn."),
    )
    valid_years = forms.TypedChoiceField(
        label=gettext_lazy("Geldig"),
        choices=VALID_YEARS,
        coerce=int,
        initial=MAX_VALID_YEARS,
        help_text=gettext_lazy("Hoogstens 5 jaar: zo lang blijft een storting belastingvrij."),
    )
    at_end = forms.ChoiceField(
        label=gettext_lazy("Wat over is aan het eind"),
        choices=Tranche.AtEnd.choices,
        initial=Tranche.AtEnd.RETURN_TO_FUNDER,
    )
    description = forms.CharField(
        label=gettext_lazy("Omschrijving"), max_length=200, required=False
    )


class BatchUploadForm(_DepositTermsForm):
    funder = forms.ModelChoiceField(queryset=Funder.objects.none(), label=gettext_lazy("Financier"))
    employer = forms.ModelChoiceField(
        queryset=Employer.objects.none(),
        label=gettext_lazy("Werkgever (personeelsbestand)"),
        required=False,
        help_text=gettext_lazy("Alleen nodig voor een sectorfonds of de overheid."),
    )
    file = forms.FileField(
        label=gettext_lazy("Bestand (CSV)"),
        help_text=gettext_lazy(
            "Kolommen: personeelsnummer; bedrag; bron (mag leeg: cao); omschrijving (mag leeg). "
            "Scheidingsteken ; of , en bedragen als 12,50 of 12.50. Opslaan als CSV vanuit Excel werkt."
        ),
    )
    field_order = ["funder", "employer", "file"]

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        funders = funders_of(user).select_related("employer")
        self.fields["funder"].queryset = funders
        if len(funders) == 1:
            self.fields["funder"].empty_label = None
        if is_coordinator(user):
            self.fields["employer"].queryset = Employer.objects.all()
        else:
            del self.fields["employer"]

    def clean(self):
        data = super().clean()
        funder = data.get("funder")
        if funder is None:
            return data
        if funder.employer_id:
            data["employer"] = funder.employer
        elif not data.get("employer"):
            self.add_error("employer", _("Kies de werkgever wiens personeelsbestand telt."))
        return data


class SingleDepositForm(_DepositTermsForm):
    funder = forms.ModelChoiceField(queryset=Funder.objects.none(), label=gettext_lazy("Financier"))
    employee_number = forms.CharField(label=gettext_lazy("Personeelsnummer"), max_length=50)
    amount = forms.DecimalField(
        label=gettext_lazy("Bedrag (euro)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        localize=True,  # 12,50 as Dutch users type it
    )
    source = forms.ChoiceField(label=gettext_lazy("Bron"), choices=Tranche.Source.choices)
    employer = forms.ModelChoiceField(
        queryset=Employer.objects.none(),
        label=gettext_lazy("Werkgever (personeelsbestand)"),
        required=False,
        help_text=gettext_lazy("Alleen nodig voor een sectorfonds of de overheid."),
    )
    field_order = ["funder", "employer", "employee_number", "amount", "source"]

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        funders = funders_of(user).select_related("employer")
        self.fields["funder"].queryset = funders
        if len(funders) == 1:
            self.fields["funder"].empty_label = None
        if is_coordinator(user):
            self.fields["employer"].queryset = Employer.objects.all()
        else:
            del self.fields["employer"]

    def clean(self):
        data = super().clean()
        funder = data.get("funder")
        number = (data.get("employee_number") or "").strip()
        deposit_date = data.get("deposit_date")
        if funder is None or not number or deposit_date is None:
            return data
        employer = funder.employer if funder.employer_id else data.get("employer")
        if employer is None:
            self.add_error("employer", _("Kies de werkgever wiens personeelsbestand telt."))
            return data
        employment = (
            Employment.objects.filter(
                employer=employer, employee_number=number, start_date__lte=deposit_date
            )
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=deposit_date))
            .select_related("worker", "employer")
            .first()
        )
        if employment is None:
            self.add_error(
                "employee_number",
                _("Personeelsnummer %(number)s is op %(date)s niet in dienst bij %(employer)s.")
                % {
                    "number": number,
                    "date": deposit_date.strftime("%d-%m-%Y"),
                    "employer": employer.name,
                },
            )
        data["employment"] = employment
        return data


class FundingForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Bedrag (euro)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        localize=True,  # 12,50 as Dutch users type it
    )
    reference = forms.CharField(
        label=gettext_lazy("Betalingskenmerk van de bank"),
        max_length=100,
        help_text=gettext_lazy(
            "Hetzelfde kenmerk twee keer invoeren boekt de betaling maar één keer."
        ),
    )


class TakeoverForm(forms.Form):
    from_employer = forms.ModelChoiceField(
        queryset=Employer.objects.none(), label=gettext_lazy("Van werkgever")
    )
    to_employer = forms.ModelChoiceField(
        queryset=Employer.objects.none(), label=gettext_lazy("Naar werkgever")
    )
    transfer_date = forms.DateField(
        label=gettext_lazy("Eerste werkdag bij de nieuwe werkgever"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, employers: QuerySet[Employer], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_employer"].queryset = employers
        self.fields["to_employer"].queryset = employers

    def clean(self):
        data = super().clean()
        if data.get("from_employer") and data.get("from_employer") == data.get("to_employer"):
            raise forms.ValidationError(_("Kies twee verschillende werkgevers."))
        return data


def _csv_response(filename: str, write) -> HttpResponse:
    buffer = io.StringIO()
    write(buffer)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _streaming_csv(filename: str, rows) -> StreamingHttpResponse:
    """`;`-CSV for Excel (BOM, CRLF, formulae escaped), sent row by row: memory stays flat."""

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        yield "\ufeff"
        for row in rows:
            writer.writerow(["" if cell is None else escape_formula(str(cell)) for cell in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    response = StreamingHttpResponse(generate(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _form_page(request, admin_obj, *, title: str, form, submit: str, intro: str = ""):
    context = {
        **admin_obj.admin_site.each_context(request),
        "opts": admin_obj.model._meta,
        "title": title,
        "form": form,
        "submit_label": submit,
        "intro": intro,
    }
    return TemplateResponse(request, "admin/leerrekening/deposit_form.html", context)


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
        return format_eur(account.balance if account else Decimal("0"))

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
                    % {"amount": format_eur(transfer.amount), "funder": funder.name},
                )
                return redirect("admin:leerrekening_funder_change", funder.pk)
        return _form_page(
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
        return format_eur(obj.total)

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
            except deposit_services.DepositError as error:
                form.add_error(None, str(error))
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
        return _form_page(
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
            except (deposit_services.DepositError, ledger.LedgerError) as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("De storting is bevestigd en wordt verwerkt."))
                return redirect("admin:leerrekening_depositbatch_change", batch.pk)
        return _form_page(request, self, title=_("Losse storting"), form=form, submit=_("Storten"))

    def _post_only(self, request) -> None:
        if request.method != "POST":
            raise PermissionDenied

    def _batch_action(self, request, batch_id: int, service, success: str):
        """POST only, on a batch of the user's own organisation; domain errors become messages."""
        self._post_only(request)
        batch = self._scoped(request, batch_id)
        try:
            service(batch=batch, by=request.user)
        except deposit_services.DepositError as error:
            messages.error(request, str(error))
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
        if batch.status == DepositBatch.Status.REJECTED:
            return _csv_response(
                f"batch-{batch.pk}-fouten.csv",
                lambda out: deposit_services.write_batch_report(batch=batch, out=out),
            )
        return _streaming_csv(
            f"batch-{batch.pk}-resultaat.csv", deposit_services.batch_report_rows(batch=batch)
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


# --- Scheme rules ---------------------------------------------------------------------------------


class DepositSchemeAdmin(EmployerScopedAdmin):
    employer_staff_can_add = True
    employer_staff_can_change = True
    list_display = [
        "name",
        "employer",
        "funder",
        "amount",
        "period",
        "starts_on",
        "valid_years",
        "active",
    ]
    list_filter = ["active", "period"]
    list_select_related = ["employer", "funder"]
    actions = ["run_current_period"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "funder" and not is_coordinator(request.user):
            kwargs["queryset"] = funders_of(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        coordinator = is_coordinator(request.user)

        class SchemeForm(form):
            def clean(self):
                data = super().clean()
                funder, employer = data.get("funder"), data.get("employer")
                if funder and employer and funder.employer_id and funder.employer_id != employer.pk:
                    raise forms.ValidationError(
                        _("Een werkgever stort alleen voor het eigen personeel.")
                    )
                if not coordinator and funder and funder.employer_id is None:
                    raise forms.ValidationError(_("Kies de eigen werkgever als financier."))
                return data

        return SchemeForm

    @admin.action(description=gettext_lazy("Storten voor de huidige periode"))
    def run_current_period(self, request, queryset):
        today = timezone.localdate()
        for scheme in queryset:
            start = schemes.period_start_on(scheme=scheme, day=today)
            if start is None or not scheme.active:
                messages.warning(
                    request, _("%(scheme)s: geen lopende periode.") % {"scheme": scheme.name}
                )
                continue
            batch = schemes.scheme_period_run(scheme=scheme, period_start=start)
            messages.success(
                request,
                _("%(scheme)s: periode %(start)s staat in batch %(batch)s.")
                % {"scheme": scheme.name, "start": start.strftime("%d-%m-%Y"), "batch": batch.pk},
            )


# --- Takeovers ------------------------------------------------------------------------------------


class TakeoverBatchAdmin(admin.ModelAdmin):
    """Staff of either employer may look; starting one needs both (or a coordinator)."""

    list_display = [
        "id",
        "created_at",
        "from_employer",
        "to_employer",
        "transfer_date",
        "status",
        "line_count",
        "moved",
        "skipped",
    ]
    list_select_related = ["from_employer", "to_employer"]
    fields = [*list_display[1:], "lines_done", "finished_at"]
    readonly_fields = fields
    change_form_template = "admin/leerrekening/takeoverbatch/change_form.html"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_coordinator(request.user):
            return queryset
        ids = managed_employer_ids(request.user)
        return queryset.filter(Q(from_employer_id__in=ids) | Q(to_employer_id__in=ids))

    def _allowed(self, request) -> bool:
        return is_coordinator(request.user) or bool(managed_employer_ids(request.user))

    def has_module_permission(self, request) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request) -> bool:
        return is_coordinator(request.user) or len(managed_employer_ids(request.user)) >= 2

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:batch_id>/rapport/",
                view(self.report_view),
                name="leerrekening_takeoverbatch_report",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        employers = (
            Employer.objects.all()
            if is_coordinator(request.user)
            else Employer.objects.filter(pk__in=managed_employer_ids(request.user))
        )
        form = TakeoverForm(request.POST or None, employers=employers)
        if request.method == "POST" and form.is_valid():
            try:
                batch = job_changes.takeover_create(
                    from_employer=form.cleaned_data["from_employer"],
                    to_employer=form.cleaned_data["to_employer"],
                    transfer_date=form.cleaned_data["transfer_date"],
                    by=request.user,
                )
            except job_changes.TakeoverError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("Overname bevestigd: %(count)d werknemers worden overgezet.")
                    % {"count": batch.line_count},
                )
                return redirect("admin:leerrekening_takeoverbatch_change", batch.pk)
        return _form_page(
            request,
            self,
            title=_("Overname: werknemers naar een andere werkgever"),
            form=form,
            submit=_("Overname starten"),
            intro=_(
                "Alle werknemers die op de overnamedatum in dienst zijn, gaan over met hun "
                "personeelsnummer. Hun leerrekening en tegoed blijven van hen."
            ),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if batch is not None:
            extra.update(batch=batch, refresh=batch.status in TakeoverBatch.PENDING)
        return super().change_view(request, object_id, form_url, extra)

    def report_view(self, request, batch_id: int):
        batch = self.get_queryset(request).filter(pk=batch_id).first()
        if batch is None:
            raise Http404
        return _csv_response(
            f"overname-{batch.pk}.csv",
            lambda out: job_changes.write_takeover_report(batch=batch, out=out),
        )


admin.site.register(Funder, FunderAdmin)
admin.site.register(DepositBatch, DepositBatchAdmin)
admin.site.register(DepositBatchLine, DepositBatchLineAdmin)
admin.site.register(DepositScheme, DepositSchemeAdmin)
admin.site.register(TakeoverBatch, TakeoverBatchAdmin)
