from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ambassadeurs.models import Channel, Outcome, Topic


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class RequestForm(forms.Form):
    employer = forms.ModelChoiceField(
        label=_("Waar werk je?"), queryset=None, empty_label=None, widget=forms.RadioSelect
    )
    topic = forms.ChoiceField(
        label=_("Waar wil je over praten?"), choices=Topic.choices, widget=forms.RadioSelect
    )
    channel = forms.ChoiceField(
        label=_("Hoe wil je praten?"), choices=Channel.choices, widget=forms.RadioSelect
    )
    message = forms.CharField(
        label=_("Wil je alvast iets vertellen? (mag leeg blijven)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    anonymous = forms.BooleanField(
        label=_("Vraag anoniem aan: mijn account wordt niet gekoppeld"),
        required=False,
        help_text=_(
            "De leerambassadeur ziet dan je naam niet. Vul hieronder in hoe we je kunnen bereiken."
        ),
    )
    contact = forms.CharField(
        label=_("Hoe kunnen we je bereiken?"),
        required=False,
        max_length=200,
        help_text=_("Bijvoorbeeld je voornaam en afdeling, of een telefoonnummer."),
    )

    def __init__(self, *args, employers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employer"].queryset = employers
        if len(employers) == 1:
            self.fields["employer"].initial = employers[0].pk
        self.fields["channel"].initial = Channel.SHOP_FLOOR

    def clean(self):
        data = super().clean()
        if data.get("anonymous") and not data.get("contact", "").strip():
            self.add_error(
                "contact", _("Vul in hoe we je kunnen bereiken. Anders kan niemand je helpen.")
            )
        return data


class ConversationForm(forms.Form):
    """One short form for a conversation log: usable on a phone in a minute."""

    employer = forms.ModelChoiceField(label=_("Werkplek"), queryset=None, empty_label=None)
    held_on = forms.DateField(label=_("Datum"), widget=DateInput())
    duration_minutes = forms.IntegerField(
        label=_("Duur in minuten"),
        min_value=1,
        max_value=480,
        initial=30,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    channel = forms.ChoiceField(label=_("Hoe"), choices=Channel.choices, widget=forms.RadioSelect)
    topics = forms.MultipleChoiceField(
        label=_("Onderwerpen"),
        choices=Topic.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Kies minstens één onderwerp.")},
    )
    outcome = forms.ChoiceField(
        label=_("Uitkomst"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    follow_up_on = forms.DateField(
        label=_("Vervolg op (datum)"), required=False, widget=DateInput()
    )
    private_notes = forms.CharField(
        label=_("Eigen notities"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Alleen voor jou. Ze worden na een tijd automatisch gewist."),
    )
    notes_shared = forms.BooleanField(
        label=_("Deel mijn notities met mijn collega"), required=False
    )

    def __init__(self, *args, employers=None, linked_worker: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if employers is None:
            # From a request: the workplace is the request's.
            del self.fields["employer"]
        else:
            self.fields["employer"].queryset = employers
        if not linked_worker:
            del self.fields["notes_shared"]
        self.fields["held_on"].initial = timezone.localdate()
        self.fields["channel"].initial = Channel.SHOP_FLOOR

    def clean_held_on(self) -> datetime.date:
        held_on = self.cleaned_data["held_on"]
        if held_on > timezone.localdate():
            raise forms.ValidationError(_("Een gesprek kan niet in de toekomst liggen."))
        return held_on

    def clean(self):
        data = super().clean()
        follow_up_on = data.get("follow_up_on")
        if data.get("outcome") == Outcome.FOLLOW_UP and not follow_up_on:
            self.add_error("follow_up_on", _("Kies een datum voor het vervolggesprek."))
        if follow_up_on and data.get("held_on") and follow_up_on < data["held_on"]:
            self.add_error("follow_up_on", _("Het vervolg komt na het gesprek."))
        return data


class FiguresFilterForm(forms.Form):
    jaar = forms.TypedChoiceField(label=_("Jaar"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jaar"].choices = [("", _("Alle jaren")), *((y, str(y)) for y in years)]
