"""Decision forms: continued investigation, enrolment (with its grounds), re-examination,
reopening, and the follow-up assessment (one rating per life area plus the indicators)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insats.investigation.models import Rating
from insats.organisations.models import LegalReference

from .models import FollowUpAssessment

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
YES_NO = [("yes", _("Ja")), ("no", _("Nej"))]


class ContinueInvestigationForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Ska utredningen fortsätta?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": _("Välj ja eller nej.")},
    )
    decided_on = forms.DateField(label=_("Beslutsdatum"), widget=DATE)
    reasons = forms.CharField(
        label=_("Motivering"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Skriv en motivering.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"decided_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class EnrolmentForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Beslut"),
        choices=[("yes", _("Inskrivning och bistånd beviljas")), ("no", _("Avslag"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Välj beslut.")},
    )
    decided_on = forms.DateField(label=_("Beslutsdatum"), widget=DATE)
    reasons = forms.CharField(
        label=_("Motivering"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Skriv en motivering.")},
    )
    risk_of_reoffending = forms.CharField(
        label=_("Risk för återfall i brott"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    motivation = forms.CharField(
        label=_("Motivation"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    needs = forms.CharField(
        label=_("Behov"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    resources = forms.CharField(
        label=_("Resurser"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    criminality = forms.CharField(
        label=_("Kriminalitet"),
        required=False,
        help_text=_("Debut, typ av brott, omfattning och de senaste sex månaderna."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    legal_reference = forms.ModelChoiceField(
        label=_("Lagrum för biståndet"), queryset=LegalReference.objects.none(), required=False
    )
    review_on = forms.DateField(
        label=_("Omprövas senast"),
        required=False,
        widget=DATE,
        help_text=_("Senast sex månader efter beslutet. Lämnas tomt blir det sex månader."),
    )

    GROUNDS = ("risk_of_reoffending", "motivation", "needs", "resources", "criminality")

    def __init__(self, *args, case, **kwargs):
        kwargs.setdefault("initial", {"decided_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        refs = LegalReference.objects.filter(
            unit=case.unit, kind=LegalReference.Kind.SUPPORT, active=True
        )
        self.fields["legal_reference"].queryset = refs
        if len(refs) == 1:
            self.fields["legal_reference"].initial = refs[0].pk
        for name in (*self.GROUNDS, "legal_reference"):
            self.fields[name].condition = _("krävs vid bifall")


class ReexaminationForm(forms.Form):
    decided_on = forms.DateField(label=_("Beslutsdatum"), widget=DATE)
    reasons = forms.CharField(
        label=_("Motivering för fortsatt bistånd"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Skriv en motivering.")},
    )
    review_on = forms.DateField(
        label=_("Nästa omprövning senast"),
        required=False,
        widget=DATE,
        help_text=_("Lämnas tomt blir det sex månader efter beslutet."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"decided_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class FollowUpForm(forms.Form):
    assessed_on = forms.DateField(label=_("Datum för bedömningen"), widget=DATE)
    occupation = forms.ChoiceField(
        label=_("Sysselsättning/skola"), choices=FollowUpAssessment.Occupation.choices
    )
    housing = forms.ChoiceField(label=_("Boende"), choices=FollowUpAssessment.Housing.choices)
    substance_use = forms.ChoiceField(
        label=_("Missbruk"), choices=FollowUpAssessment.Frequency.choices
    )
    offences_last_six_months = forms.IntegerField(
        label=_("Brott de senaste sex månaderna"), required=False, min_value=0, max_value=999
    )
    criminal_network = forms.ChoiceField(
        label=_("Kontakt med kriminellt nätverk"), choices=FollowUpAssessment.Frequency.choices
    )
    income = forms.ChoiceField(label=_("Försörjning"), choices=FollowUpAssessment.Income.choices)
    note = forms.CharField(
        label=_("Anteckning"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, life_areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.life_areas = list(life_areas)
        choices = [("", _("Ej bedömt")), *Rating.choices]
        for area in self.life_areas:
            self.fields[f"rating_{area.pk}"] = forms.TypedChoiceField(
                label=str(area), choices=choices, required=False, coerce=int, empty_value=None
            )
            self.fields[f"note_{area.pk}"] = forms.CharField(
                label=_("Anteckning om %(area)s") % {"area": area},
                required=False,
                max_length=300,
            )

    def area_rows(self):
        return [
            (area, self[f"rating_{area.pk}"], self[f"note_{area.pk}"]) for area in self.life_areas
        ]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            **{
                key: data[key]
                for key in (
                    "assessed_on",
                    "occupation",
                    "housing",
                    "substance_use",
                    "offences_last_six_months",
                    "criminal_network",
                    "income",
                    "note",
                )
            },
            "ratings": [
                {
                    "life_area": area,
                    "rating": data[f"rating_{area.pk}"],
                    "note": data[f"note_{area.pk}"],
                }
                for area in self.life_areas
            ],
        }

    @classmethod
    def initial_from(cls, assessment) -> dict:
        initial = {
            key: getattr(assessment, key)
            for key in (
                "assessed_on",
                "occupation",
                "housing",
                "substance_use",
                "offences_last_six_months",
                "criminal_network",
                "income",
                "note",
            )
        }
        for rating in assessment.ratings.all():
            initial[f"rating_{rating.life_area_id}"] = rating.rating
            initial[f"note_{rating.life_area_id}"] = rating.note
        return initial


class ReopenForm(forms.Form):
    decided_on = forms.DateField(label=_("Beslutsdatum"), widget=DATE)
    reasons = forms.CharField(
        label=_("Varför öppnas ärendet igen?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Skriv en motivering.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"decided_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
