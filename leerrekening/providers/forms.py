"""Forms of a provider's own way in. Field checks are validation.py's, so form and service agree."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from leerportaal.errors import DomainError
from leerrekening.models import ProviderMembership, ProviderQualityMark
from leerrekening.providers import services, validation

Mark = ProviderQualityMark.Mark


def _checked(check, value):
    try:
        return check(value)
    except DomainError as exc:
        raise forms.ValidationError(exc.message, code=exc.code) from None


class NewAccountForm(forms.Form):
    """E-mail, name and password of a new account (registration and invitations)."""

    full_name = forms.CharField(label=_("Je naam"), max_length=200)
    email = forms.EmailField(label=_("Je e-mailadres"))
    password = forms.CharField(
        label=_("Kies een wachtwoord"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Minstens 8 tekens. Gebruik geen wachtwoord dat je elders gebruikt."),
    )

    def clean_password(self):
        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password


class RegistrationForm(forms.Form):
    name = forms.CharField(label=_("Naam van de organisatie (zoals bij de KvK)"), max_length=200)
    kvk_number = forms.CharField(
        label=_("KvK-nummer"), max_length=12, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    street = forms.CharField(label=_("Straat"), max_length=200)
    house_number = forms.CharField(label=_("Huisnummer"), max_length=20)
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    city = forms.CharField(label=_("Plaats"), max_length=100)
    contact_name = forms.CharField(label=_("Naam contactpersoon"), max_length=200)
    contact_phone = forms.CharField(
        label=_("Telefoonnummer contactpersoon"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    iban = forms.CharField(
        label=_("IBAN voor de uitbetalingen"),
        max_length=42,
        help_text=_("Bijvoorbeeld NL91 ABNA 0417 1643 00."),
    )
    brin = forms.CharField(label=_("BRIN-code van de instelling"), max_length=4, required=False)
    terms = forms.BooleanField(
        label=_("Ik ga akkoord met de voorwaarden voor opleiders van Leerportaal."),
        error_messages={"required": services.TermsNotAccepted.default_message},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in Mark.choices:
            self.fields[f"mark_{value}"] = forms.BooleanField(label=label, required=False)
            self.fields[f"proof_{value}"] = forms.FileField(
                label=_("Bewijs voor %(mark)s (PDF, PNG of JPEG, hoogstens 5 MB)")
                % {"mark": label},
                required=False,
                widget=forms.ClearableFileInput(
                    attrs={"accept": "application/pdf,image/png,image/jpeg"}
                ),
            )

    def mark_fields(self):
        """(checkbox, proof upload) per mark, for the template."""
        return [(self[f"mark_{value}"], self[f"proof_{value}"], value) for value in Mark.values]

    def clean_kvk_number(self):
        return _checked(services.kvk_check_free, self.cleaned_data["kvk_number"])

    def clean_postcode(self):
        return _checked(validation.postcode_clean, self.cleaned_data["postcode"])

    def clean_contact_phone(self):
        return _checked(validation.phone_clean, self.cleaned_data["contact_phone"])

    def clean_iban(self):
        return _checked(validation.iban_clean, self.cleaned_data["iban"]).iban

    def clean(self):
        cleaned = super().clean()
        chosen = [value for value in Mark.values if cleaned.get(f"mark_{value}")]
        if not chosen:
            self.add_error(None, services.NoQualityMark.default_message)
        for value in chosen:
            proof = cleaned.get(f"proof_{value}")
            try:
                validation.proof_content_type(proof)
            except DomainError as exc:
                self.add_error(f"proof_{value}", exc.message)
        if Mark.MBO_HBO in chosen:
            try:
                cleaned["brin"] = validation.brin_clean(cleaned.get("brin", ""))
            except DomainError as exc:
                self.add_error("brin", exc.message)
        return cleaned

    def registration(self) -> services.Registration:
        data = self.cleaned_data
        return services.Registration(
            name=data["name"],
            kvk_number=data["kvk_number"],
            website=data.get("website") or "",
            street=data["street"],
            house_number=data["house_number"],
            postcode=data["postcode"],
            city=data["city"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            iban=data["iban"],
            terms_accepted=data["terms"],
            marks=[
                services.QualityMarkInput(
                    mark=value, proof=data[f"proof_{value}"], brin=data.get("brin", "")
                )
                for value in Mark.values
                if data.get(f"mark_{value}")
            ],
        )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mailadres van je collega"))
    role = forms.ChoiceField(
        label=_("Rol"),
        choices=ProviderMembership.Role.choices,
        initial=ProviderMembership.Role.STAFF,
        help_text=_("Een beheerder kan ook collega's uitnodigen en het IBAN wijzigen."),
    )


class IbanForm(forms.Form):
    iban = forms.CharField(label=_("Nieuw IBAN"), max_length=42)

    def clean_iban(self):
        return _checked(validation.iban_clean, self.cleaned_data["iban"]).iban
