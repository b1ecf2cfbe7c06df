"""Forms of the portal pages: catalogue filters, booking with a fresh confirmation, freezing."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from leerrekening.models import Course


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CatalogueSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Zoek een opleiding"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("bijvoorbeeld lassen")}),
    )
    format = forms.ChoiceField(
        label=_("Hoe"),
        required=False,
        choices=[("", _("Alles")), *Course.Format.choices],
    )
    place = forms.CharField(label=_("Plaats"), required=False, max_length=100)
    max_price = forms.DecimalField(
        label=_("Hoogste prijs in euro"), required=False, min_value=0, decimal_places=2
    )
    max_hours = forms.IntegerField(label=_("Hoogstens zoveel uur"), required=False, min_value=1)
    start_from = forms.DateField(label=_("Start vanaf"), required=False, widget=DateInput())
    start_until = forms.DateField(label=_("Start uiterlijk"), required=False, widget=DateInput())


class BookingForm(forms.Form):
    CONFIRM_PASSWORD = "password"  # noqa: S105 — a choice value, not a secret
    CONFIRM_CODE = "code"

    request_token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    work_related = forms.TypedChoiceField(
        label=_("Gaat deze opleiding over je werk of je loopbaan?"),
        help_text=_(
            "Alleen dan mag je leerrekening de opleiding betalen. Dat is de regel van de Belastingdienst."
        ),
        choices=[("yes", _("Ja, het gaat over mijn werk of loopbaan")), ("no", _("Nee"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    pays_rest_self = forms.BooleanField(
        label=_("Ik betaal wat mijn leerrekening niet betaalt zelf aan de opleider"),
        required=False,
    )
    confirm_with = forms.ChoiceField(
        label=_("Bevestig dat jij het bent"),
        choices=[
            (CONFIRM_PASSWORD, _("Met mijn wachtwoord")),
            (CONFIRM_CODE, _("Met een code per e-mail (geen smartphone nodig)")),
        ],
        widget=forms.RadioSelect,
        initial=CONFIRM_PASSWORD,
    )
    password = forms.CharField(
        label=_("Je wachtwoord"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("De code uit je e-mail (6 cijfers)"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def __init__(self, *args, needs_own_contribution: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_own_contribution = needs_own_contribution
        if not self.is_bound:
            self.initial.setdefault("request_token", uuid.uuid4().hex)
        if not needs_own_contribution:
            del self.fields["pays_rest_self"]

    def clean(self):
        data = super().clean()
        if data.get("work_related") is False:
            self.add_error(
                "work_related",
                _("Je leerrekening betaalt alleen opleidingen voor je werk of loopbaan."),
            )
        if self.needs_own_contribution and not data.get("pays_rest_self"):
            self.add_error(
                "pays_rest_self",
                _("Je hebt niet genoeg tegoed. Zet een vinkje als je de rest zelf betaalt."),
            )
        method = data.get("confirm_with")
        if method == self.CONFIRM_PASSWORD and not data.get("password"):
            self.add_error("password", _("Vul je wachtwoord in."))
        if method == self.CONFIRM_CODE and not data.get("code"):
            self.add_error("code", _("Vul de code uit je e-mail in."))
        return data


class FreezeForm(forms.Form):
    reason = forms.CharField(
        label=_("Wat klopt er niet? (mag leeg blijven)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
