"""Forms for a member's progress report on a measure and for the plan follow-up.

The follow-up has one `FollowUpForm` for the meeting (date, notes) and a formset with exactly
one `GoalResultForm` per open goal of the plan. A hidden field carries each row's goal, so that
a goal closed or added while the user typed is noticed rather than mixed up. A goal left blank
is not followed up this time; a comment without a result is an error.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insats.core.forms import FixedRowsFormSet

from .models import GoalResult, PlanMeasure

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MeasureReportForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=PlanMeasure.Status.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Välj status.")},
    )
    note = forms.CharField(
        label=_("Vad har hänt?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Skriv kort vad som är gjort och vad som återstår."),
        error_messages={"required": _("Skriv vad som har hänt.")},
    )


class FollowUpForm(forms.Form):
    held_on = forms.DateField(
        label=_("Datum för uppföljningen"),
        widget=DATE,
        error_messages={
            "required": _("Ange datum för uppföljningen."),
            "invalid": _("Ange datumet som ÅÅÅÅ-MM-DD."),
        },
    )
    note = forms.CharField(
        label=_("Anteckningar"),
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("held_on", timezone.localdate())


class GoalResultForm(forms.Form):
    """The result for one goal; `plan_goal` is the PlanGoal the row belongs to."""

    goal = forms.IntegerField(widget=forms.HiddenInput)
    result = forms.ChoiceField(
        label=_("Resultat"),
        choices=[("", _("Inte uppföljt nu")), *GoalResult.Result.choices],
        required=False,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Kommentar"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, goal, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan_goal = goal
        self.initial.setdefault("goal", goal.pk)

    def clean_goal(self):
        if self.cleaned_data["goal"] != self.plan_goal.pk:
            raise ValidationError(
                _("Planens mål har ändrats medan du skrev. Kontrollera uppgifterna och spara igen.")
            )
        return self.plan_goal

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("result") and (cleaned.get("note") or "").strip():
            self.add_error("result", _("Välj resultat för målet, eller ta bort kommentaren."))
        return cleaned

    def result_row(self) -> dict | None:
        """The row as the service wants it, or None for a goal not followed up now."""
        data = self.cleaned_data
        if not data.get("result"):
            return None
        return {"goal": self.plan_goal, "result": data["result"], "note": data.get("note", "")}


class BaseGoalResultFormSet(FixedRowsFormSet):
    """Exactly one row per open goal, in the goals' order, whatever the browser sends."""

    row_kwarg = "goal"

    def __init__(self, *args, goals, **kwargs):
        self.goals = list(goals)
        super().__init__(*args, rows=self.goals, **kwargs)

    def clean(self):
        if any(form.errors for form in self.forms):
            return
        if self.goals and not self.results():
            raise ValidationError(_("Ange resultat för minst ett mål."))

    def results(self) -> list[dict]:
        return [row for form in self.forms if (row := form.result_row()) is not None]


GoalResultFormSet = formset_factory(GoalResultForm, formset=BaseGoalResultFormSet, extra=0)


def goal_result_formset(data=None, *, goals) -> BaseGoalResultFormSet:
    return GoalResultFormSet(
        data, goals=goals, initial=[{"goal": g.pk} for g in goals], prefix="mal"
    )
