"""Admin for deposit scheme rules and takeovers (scoping as in leerrekening.deposits.admin)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_scoping import EmployerScopedAdmin, is_coordinator, managed_employer_ids
from accounts.models import Employer
from leerportaal.errors import DomainError, form_error
from leerportaal.excel_csv import excel_csv_response
from leerrekening.deposits import schemes
from leerrekening.deposits.forms import TakeoverForm, admin_form_page
from leerrekening.deposits.selectors import funders_of
from leerrekening.models import DepositScheme, TakeoverBatch
from leerrekening.services import job_changes

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
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(
                    request,
                    _("Overname bevestigd: %(count)d werknemers worden overgezet.")
                    % {"count": batch.line_count},
                )
                return redirect("admin:leerrekening_takeoverbatch_change", batch.pk)
        return admin_form_page(
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
        return excel_csv_response(
            f"overname-{batch.pk}.csv", job_changes.takeover_report_rows(batch=batch)
        )


admin.site.register(DepositScheme, DepositSchemeAdmin)
admin.site.register(TakeoverBatch, TakeoverBatchAdmin)
