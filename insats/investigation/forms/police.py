"""The police suitability assessment form (recorded by the police member of the case's group)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insats.investigation.models import PoliceAssessment

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PoliceAssessmentForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Bedömning"),
        choices=PoliceAssessment.Outcome.choices,
        widget=forms.RadioSelect,
        help_text=_("”Inte lämplig” hindrar att personen skrivs in i insatsen."),
        error_messages={"required": _("Välj en bedömning.")},
    )
    reasoning = forms.CharField(
        label=_("Motivering"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Vad bedömningen grundar sig på."),
        error_messages={"required": _("Skriv en motivering.")},
    )
    assessed_on = forms.DateField(
        label=_("Datum för bedömningen"),
        widget=DATE,
        error_messages={
            "required": _("Ange datum för bedömningen."),
            "invalid": _("Ange ett giltigt datum (ÅÅÅÅ-MM-DD)."),
        },
    )

    def __init__(self, *args, record: PoliceAssessment | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if record is not None:
            self.initial.update(
                outcome=record.outcome,
                reasoning=record.reasoning,
                assessed_on=record.assessed_on,
            )
        else:
            self.initial.setdefault("assessed_on", timezone.localdate())
