"""Forms of the deposits admin: upload, single deposit, funding, takeover, and the page they sit on.

Each form checks what it can see itself (dates, the roster on the deposit date); the services
check the rest and raise DomainErrors, which the admin shows with leerportaal.errors.form_error.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import QuerySet
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin_scoping import is_coordinator
from accounts.models import Employer, Employment
from leerrekening.deposits.selectors import funders_of
from leerrekening.models import Funder, Tranche
from leerrekening.models.deposits import MAX_VALID_YEARS

VALID_YEARS = [(n, gettext_lazy("%(n)d jaar") % {"n": n}) for n in range(1, MAX_VALID_YEARS + 1)]


# --- Forms ----------------------------------------------------------------------------------------


class DepositTermsForm(forms.Form):
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


class BatchUploadForm(DepositTermsForm):
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


class SingleDepositForm(DepositTermsForm):
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
            Employment.objects.filter(employer=employer, employee_number=number)
            .active_on(deposit_date)
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


def admin_form_page(request, admin_obj, *, title: str, form, submit: str, intro: str = ""):
    """The admin page every form here sits on (deposit_form.html)."""
    context = {
        **admin_obj.admin_site.each_context(request),
        "opts": admin_obj.model._meta,
        "title": title,
        "form": form,
        "submit_label": submit,
        "intro": intro,
    }
    return TemplateResponse(request, "admin/leerrekening/deposit_form.html", context)
