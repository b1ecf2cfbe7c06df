"""Roster management in the admin: importing a roster from CSV and ending employments.

Employer staff work on their own employers only: the employer to import into is chosen from the
ones they manage (a posted id of another employer is an invalid choice, never an import), and the
end-employment action receives a queryset already scoped by EmployerScopedAdmin.get_queryset.
Nothing here lets employer staff search or pick from all users: people are matched by e-mail.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_scoping import is_coordinator, managed_employer_ids
from accounts.models import Employer
from accounts.roster import roster_import
from accounts.services import EmploymentError, employment_end
from leerportaal.errors import message_error


class RosterImportForm(forms.Form):
    employer = forms.ModelChoiceField(
        queryset=Employer.objects.none(), label=gettext_lazy("Werkgever")
    )
    file = forms.FileField(
        label=gettext_lazy("Bestand (CSV)"),
        help_text=gettext_lazy(
            "Kolommen: personeelsnummer; email; naam; begindatum; einddatum (mag leeg). "
            "Datums als 31-12-2026 of 2026-12-31. Opslaan als CSV vanuit Excel werkt."
        ),
    )

    def __init__(self, *args, employers: QuerySet[Employer], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["employer"]
        field.queryset = employers
        if len(employers) == 1:
            field.empty_label = None
            field.initial = employers[0].pk


class EndEmploymentForm(forms.Form):
    end_date = forms.DateField(
        label=gettext_lazy("Laatste werkdag"),
        input_formats=["%d-%m-%Y", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def importable_employers(user) -> QuerySet[Employer]:
    if is_coordinator(user):
        return Employer.objects.all()
    return Employer.objects.filter(id__in=managed_employer_ids(user))


class RosterAdminMixin(admin.ModelAdmin):
    """For EmploymentAdmin: the roster import page and the "dienstverband beëindigen" action."""

    change_list_template = "admin/accounts/employment/change_list.html"

    def get_urls(self):
        urls = [
            path(
                "importeren/",
                self.admin_site.admin_view(self.roster_import_view),
                name="accounts_employment_import",
            ),
        ]
        return urls + super().get_urls()

    def roster_import_view(self, request):
        employers = importable_employers(request.user)
        if not employers.exists():
            raise PermissionDenied
        result = None
        if request.method == "POST":
            form = RosterImportForm(request.POST, request.FILES, employers=employers)
            if form.is_valid():
                employer = form.cleaned_data["employer"]
                result = roster_import(
                    employer=employer, stream=form.cleaned_data["file"], by=request.user
                )
                if result.applied:
                    # Counts of employments only: how many people were new to the platform would
                    # tell the employer who already has an account.
                    messages.success(
                        request,
                        _(
                            "Personeelsbestand van %(employer)s ingelezen: %(created)d nieuwe en "
                            "%(ended)d beëindigde dienstverbanden, %(unchanged)d ongewijzigd."
                        )
                        % {
                            "employer": employer.name,
                            "created": result.employments_created,
                            "ended": result.employments_ended,
                            "unchanged": result.unchanged,
                        },
                    )
                    return redirect("admin:accounts_employment_changelist")
        else:
            form = RosterImportForm(employers=employers)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Personeelsbestand importeren"),
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/accounts/employment/roster_import.html", context)

    @admin.action(description=gettext_lazy("Dienstverband beëindigen"))
    def end_employments(self, request, queryset):
        # The queryset comes from get_queryset: employer staff can only reach their own rows.
        if not (is_coordinator(request.user) or managed_employer_ids(request.user)):
            raise PermissionDenied
        if "apply" in request.POST:
            form = EndEmploymentForm(request.POST)
            if form.is_valid():
                end_date = form.cleaned_data["end_date"]
                ended = 0
                for employment in queryset.select_related("worker", "employer"):
                    try:
                        employment_end(employment=employment, end_date=end_date)
                    except EmploymentError as error:
                        message_error(request, error, about=str(employment))
                    else:
                        ended += 1
                if ended:
                    messages.success(
                        request,
                        _("%(count)d dienstverband(en) beëindigd.") % {"count": ended},
                    )
                return None
        else:
            form = EndEmploymentForm(initial={"end_date": timezone.localdate()})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Dienstverband beëindigen"),
            "form": form,
            "employments": queryset.select_related("worker", "employer"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "changelist_url": reverse("admin:accounts_employment_changelist"),
        }
        return TemplateResponse(request, "admin/accounts/employment/end_employments.html", context)
