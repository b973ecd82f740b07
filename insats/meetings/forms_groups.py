"""Forms for the unit's groups, contact list, agreements and district checklist."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insats.organisations.models import Organisation

from .models import Agreement, DistrictChecklist, Group

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
INVALID_DATE = _("Ange ett giltigt datum (åååå-mm-dd).")
INVALID_EMAIL = _("Ange en giltig e-postadress, t.ex. namn@exempel.se.")


class OrganisationField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Organisation"))
        super().__init__(
            queryset=Organisation.objects.none(),
            error_messages={
                "required": _("Välj organisation."),
                "invalid_choice": _("Välj en av enhetens organisationer."),
            },
            **kwargs,
        )


def _unit_organisations(unit):
    return Organisation.objects.filter(unit=unit).order_by("name", "pk")


class GroupForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Nivå"),
        choices=Group.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Välj vilken nivå gruppen hör till.")},
    )
    name = forms.CharField(
        label=_("Namn"),
        max_length=200,
        error_messages={"required": _("Ange gruppens namn.")},
    )
    rhythm_days = forms.IntegerField(
        label=_("Mötesrytm (dagar)"),
        min_value=1,
        max_value=365,
        initial=30,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_(
            "Hur ofta gruppen möts; nästa möte föreslås utifrån det. 30 = en gång i månaden."
        ),
        error_messages={
            "required": _("Ange hur ofta gruppen möts, i dagar."),
            "invalid": _("Ange mötesrytmen i hela dagar."),
            "min_value": _("Ange mötesrytmen som 1–365 dagar."),
            "max_value": _("Ange mötesrytmen som 1–365 dagar."),
        },
    )
    active = forms.BooleanField(
        label=_("Gruppen är aktiv"),
        required=False,
        initial=True,
        help_text=_("En inaktiv grupp visas men föreslås inte för nya möten."),
    )


class MemberUserForm(forms.Form):
    membership = forms.ChoiceField(
        label=_("Person och organisation"),
        error_messages={
            "required": _("Välj en person."),
            "invalid_choice": _("Välj en av enhetens användare."),
        },
    )
    function = forms.CharField(
        label=_("Funktion i gruppen"),
        required=False,
        max_length=200,
        help_text=_("Tomt = personens funktion i organisationen."),
    )

    def __init__(self, *args, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.memberships = {str(m.pk): m for m in memberships}
        self.fields["membership"].choices = [("", "---------")] + [
            (
                key,
                f"{m.user.get_full_name() or m.user.username} – {m.organisation}"
                f" ({m.get_role_display()})",
            )
            for key, m in self.memberships.items()
        ]

    def clean_membership(self):
        return self.memberships[self.cleaned_data["membership"]]


class MemberExternalForm(forms.Form):
    name = forms.CharField(
        label=_("Namn"), max_length=200, error_messages={"required": _("Ange personens namn.")}
    )
    email = forms.EmailField(
        label=_("E-post"),
        help_text=_("Kallelser skickas hit."),
        error_messages={
            "required": _("Ange personens e-postadress, så att kallelser kan skickas."),
            "invalid": INVALID_EMAIL,
        },
    )
    organisation = OrganisationField()
    function = forms.CharField(label=_("Funktion i gruppen"), required=False, max_length=200)

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = _unit_organisations(unit)


class ContactForm(forms.Form):
    organisation = OrganisationField()
    name = forms.CharField(
        label=_("Kontaktperson"),
        max_length=200,
        error_messages={"required": _("Ange kontaktpersonens namn.")},
    )
    function = forms.CharField(label=_("Funktion"), required=False, max_length=200)
    phone = forms.CharField(label=_("Telefon"), required=False, max_length=40)
    email = forms.EmailField(
        label=_("E-post"), required=False, error_messages={"invalid": INVALID_EMAIL}
    )
    last_reviewed_on = forms.DateField(
        label=_("Senast kontrollerad"),
        widget=DATE,
        error_messages={
            "required": _("Ange när uppgifterna senast kontrollerades."),
            "invalid": INVALID_DATE,
        },
    )

    def __init__(self, *args, unit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = _unit_organisations(unit)
        self.fields["phone"].condition = _("telefon eller e-post krävs")
        self.fields["email"].condition = _("telefon eller e-post krävs")
        self.initial.setdefault("last_reviewed_on", timezone.localdate())


class AgreementForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Typ"),
        choices=Agreement.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Välj om det är en överenskommelse eller en lägesbild.")},
    )
    title = forms.CharField(
        label=_("Rubrik"), max_length=200, error_messages={"required": _("Ange en rubrik.")}
    )
    parties = forms.CharField(
        label=_("Parter"),
        required=False,
        max_length=300,
        help_text=_("T.ex. socialtjänsten, polisen och skolan."),
    )
    summary = forms.CharField(
        label=_("Sammanfattning"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    dated_on = forms.DateField(
        label=_("Daterad"),
        widget=DATE,
        error_messages={"required": _("Ange när dokumentet är daterat."), "invalid": INVALID_DATE},
    )
    review_on = forms.DateField(
        label=_("Ses över senast"),
        widget=DATE,
        error_messages={
            "required": _("Ange när dokumentet senast ska ses över."),
            "invalid": INVALID_DATE,
        },
    )


YES_NO = (("yes", _("Ja")), ("no", _("Nej")))


class ChecklistForm(forms.Form):
    """The eight questions, each a yes/no choice with a note."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number, (code, question) in enumerate(DistrictChecklist.QUESTIONS, start=1):
            self.fields[code] = forms.ChoiceField(
                label=f"{number}. {question}",
                choices=YES_NO,
                widget=forms.RadioSelect,
                error_messages={"required": _("Svara ja eller nej.")},
            )
            self.fields[f"{code}_note"] = forms.CharField(
                label=_("Kommentar till fråga %(number)s") % {"number": number},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def questions(self):
        """(answer field, note field) per question, for the template."""
        return [
            (self[code], self[f"{code}_note"]) for code, _question in DistrictChecklist.QUESTIONS
        ]

    def answers(self) -> dict:
        data = self.cleaned_data
        return {
            code: {"yes": data[code] == "yes", "note": data.get(f"{code}_note", "")}
            for code, _question in DistrictChecklist.QUESTIONS
        }


def checklist_initial(checklist) -> dict:
    initial = {}
    for code, answer in ((checklist.answers or {}) if checklist else {}).items():
        if isinstance(answer.get("yes"), bool):
            initial[code] = "yes" if answer["yes"] else "no"
        initial[f"{code}_note"] = answer.get("note", "")
    return initial
