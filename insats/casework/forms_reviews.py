"""Forms of the failure review (haverikommission) and its decisions."""

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from insats.core.templatetags.insats import error_summary
from insats.investigation.forms.criminality import RowForm, RowFormSet

from .models import FailureReview

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# The form's fields, named as failure_review_save() takes them.
FIELDS = ("trigger", "opened_on", "convened", "timeline", "causes", "lessons", "closed_on")
DECISION_FIELDS = ("decision", "responsible", "due_on", "done_on")


class FailureReviewForm(forms.Form):
    based_on = forms.CharField(widget=forms.HiddenInput, required=False)
    trigger = forms.ChoiceField(
        label=_("Anledning"),
        choices=FailureReview.Trigger.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Välj anledningen till haverikommissionen.")},
    )
    opened_on = forms.DateField(
        label=_("Öppnad"),
        widget=DATE,
        error_messages={
            "required": _("Ange när haverikommissionen öppnades."),
            "invalid": _("Ange ett giltigt datum (åååå-mm-dd)."),
        },
    )
    convened = forms.CharField(
        label=_("Sammankallat nätverk"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Vilka som deltar, med namn och funktion."),
        error_messages={"required": _("Ange vilka i nätverket som sammankallas.")},
    )
    timeline = forms.CharField(
        label=_("Händelseförlopp"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Vad hände, och när? Ett datum per rad gör förloppet lätt att följa."),
    )
    causes = forms.CharField(
        label=_("Orsaker"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    lessons = forms.CharField(
        label=_("Lärdomar"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    closed_on = forms.DateField(
        label=_("Avslutad"),
        required=False,
        widget=DATE,
        help_text=_("Fyll i när haverikommissionen är klar. Kräver orsaker och lärdomar."),
        error_messages={"invalid": _("Ange ett giltigt datum (åååå-mm-dd).")},
    )

    def clean_based_on(self) -> datetime | None:
        value = self.cleaned_data["based_on"]
        if not value:
            return None
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(_("Formuläret är trasigt. Ladda om sidan.")) from None


class DecisionForm(RowForm):
    decision = forms.CharField(label=_("Beslut"), required=False, max_length=300)
    responsible = forms.CharField(label=_("Ansvarig"), required=False, max_length=200)
    due_on = forms.DateField(
        label=_("Klart senast"),
        required=False,
        widget=DATE,
        error_messages={"invalid": _("Ange ett giltigt datum (åååå-mm-dd).")},
    )
    done_on = forms.DateField(
        label=_("Genomfört"),
        required=False,
        widget=DATE,
        error_messages={"invalid": _("Ange ett giltigt datum (åååå-mm-dd).")},
    )

    required_fields = {
        "decision": _("Skriv vad som beslutades."),
        "responsible": _("Ange vem som ansvarar."),
        "due_on": _("Ange när beslutet ska vara genomfört."),
    }


DecisionFormSet = forms.formset_factory(
    DecisionForm, formset=RowFormSet, extra=2, max_num=100, validate_max=True
)


def decision_formset(data=None, *, initial=None):
    return DecisionFormSet(data, initial=initial, prefix="decisions")


def initial_from(review: FailureReview) -> tuple[dict, list[dict]]:
    """The form's and the formset's starting values for an edit of `review`."""
    initial = {name: getattr(review, name) for name in FIELDS}
    initial["based_on"] = review.updated_at.isoformat()
    decisions = [
        {name: getattr(d, name) for name in DECISION_FIELDS} for d in review.decisions.all()
    ]
    return initial, decisions


def split_service_errors(exc: ValidationError) -> tuple[ValidationError | None, list[str]]:
    """Separate the errors about the decisions (shown at the decisions) from the rest."""
    if not hasattr(exc, "error_dict") or "decisions" not in exc.error_dict:
        return exc, []
    decisions = ValidationError(exc.error_dict["decisions"]).messages
    rest = {key: value for key, value in exc.error_dict.items() if key != "decisions"}
    return (ValidationError(rest) if rest else None), decisions


def summary(form, formset, decision_errors) -> list[tuple]:
    """Every error of the page for the error summary: (anchor, label, message)."""
    errors = error_summary(form)["errors"]
    errors += [("decisions", _("Beslut"), error) for error in decision_errors]
    errors += [("decisions", _("Beslut"), error) for error in formset.non_form_errors()]
    for number, row in enumerate(formset.forms, start=1):
        row_label = _("Beslut %(number)s") % {"number": number}
        for anchor, label, error in error_summary(row)["errors"]:
            label = f"{row_label}, {label}" if label else row_label
            errors.append((anchor or "decisions", label, error))
    return errors
