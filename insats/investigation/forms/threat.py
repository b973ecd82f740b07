"""Forms of the threat assessment (hotbildsbedömning, bilaga 3.3) and its measures."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insats.access import policy
from insats.core.templatetags.insats import error_summary
from insats.investigation.models import ThreatLevel
from insats.organisations.models import Organisation, Role, User

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# The form's fields, named as threat_save() takes them.
FIELDS = (
    "assessed_on",
    "source_person",
    "source_police",
    "source_other",
    "level",
    "description",
    "security_officer",
    "supervisor_informed",
    "supervisor_informed_on",
    "completed",
)
MEASURE_FIELDS = ("description", "responsible", "organisation", "due_on", "done_on")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class ThreatForm(forms.Form):
    assessed_on = forms.DateField(
        label=_("Datum för bedömningen"),
        widget=DATE,
        error_messages={"required": _("Ange datum för bedömningen.")},
    )
    source_person = forms.BooleanField(label=_("Samtal med den enskilde"), required=False)
    source_police = forms.BooleanField(label=_("Polisen"), required=False)
    source_other = forms.CharField(
        label=_("Andra källor"),
        required=False,
        max_length=300,
        help_text=_("T.ex. skolan, socialtjänstens egna uppgifter eller anhöriga."),
    )
    level = forms.ChoiceField(
        label=_("Bedömd hotbild"),
        choices=ThreatLevel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Välj bedömd hotbild.")},
    )
    description = forms.CharField(
        label=_("Beskrivning"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Vilka hot finns, från vem, och vad bedömningen grundar sig på."),
        error_messages={"required": _("Beskriv hotbilden och vad bedömningen grundar sig på.")},
    )
    security_officer = forms.CharField(
        label=_("Polisens personsäkerhetshandläggare"),
        required=False,
        max_length=200,
        help_text=_("Namn och kontaktväg, om personsäkerhetsarbete har inletts."),
    )
    supervisor_informed = UserChoiceField(
        label=_("Informerad arbetsledare"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Ingen ännu"),
    )
    supervisor_informed_on = forms.DateField(
        label=_("Datum då arbetsledaren informerades"), required=False, widget=DATE
    )
    completed = forms.BooleanField(
        label=_("Bedömningen är klar"),
        required=False,
        help_text=_(
            "Kräver att arbetsledaren är informerad (namn och datum) och att källorna är "
            "angivna. Vid hög hotbild krävs även åtgärder beslutade med polisen."
        ),
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervisor_informed"].queryset = policy.unit_staff(
            case.unit_id, {Role.SUPERVISOR}
        ).order_by("first_name", "last_name", "username")
        for name in ("supervisor_informed", "supervisor_informed_on"):
            self.fields[name].condition = _("krävs för att bedömningen ska vara klar")


class MeasureForm(forms.Form):
    """One measure; a row left completely blank is ignored, a partly filled one is checked."""

    description = forms.CharField(label=_("Åtgärd"), required=False, max_length=300)
    responsible = forms.CharField(label=_("Ansvarig"), required=False, max_length=200)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), required=False
    )
    due_on = forms.DateField(label=_("Klar senast"), required=False, widget=DATE)
    done_on = forms.DateField(label=_("Genomförd"), required=False, widget=DATE)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        for name in ("description", "responsible", "due_on"):
            self.fields[name].condition = _("krävs om raden fylls i")

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", None) or {}
        return not any(data.get(name) for name in MEASURE_FIELDS) and not any(
            self.errors.get(name) for name in MEASURE_FIELDS
        )

    def clean(self):
        data = super().clean()
        if self.is_blank():
            return data
        if not (data.get("description") or "").strip():
            self.add_error("description", _("Beskriv åtgärden."))
        if not (data.get("responsible") or "").strip():
            self.add_error("responsible", _("Ange vem som ansvarar för åtgärden."))
        if not data.get("due_on") and "due_on" not in self.errors:
            self.add_error("due_on", _("Ange när åtgärden ska vara klar."))
        done_on = data.get("done_on")
        if done_on and done_on > timezone.localdate():
            self.add_error("done_on", _("Datumet kan inte ligga i framtiden."))
        return data


class BaseMeasureFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Ta bort åtgärden")


MeasureFormSet = forms.formset_factory(
    MeasureForm, formset=BaseMeasureFormSet, extra=2, can_delete=True, can_delete_extra=False
)


def measure_formset(data=None, *, case, initial=None):
    return MeasureFormSet(
        data,
        initial=initial,
        prefix="measures",
        form_kwargs={"organisations": Organisation.objects.filter(unit_id=case.unit_id)},
    )


def measure_rows(formset) -> list[dict]:
    """The filled-in, not removed rows of a valid formset, as threat_save() takes them."""
    rows = []
    for form in formset.forms:
        if formset.can_delete and formset._should_delete_form(form):
            continue
        if not getattr(form, "cleaned_data", None) or form.is_blank():
            continue
        rows.append({name: form.cleaned_data.get(name) for name in MEASURE_FIELDS})
    return rows


def initial_from(record) -> tuple[dict, list[dict]]:
    """The form's and the formset's starting values for an edit of `record`."""
    initial = {name: getattr(record, name) for name in FIELDS}
    initial["supervisor_informed"] = record.supervisor_informed_id
    measures = [
        {
            "description": m.description,
            "responsible": m.responsible,
            "organisation": m.organisation_id,
            "due_on": m.due_on,
            "done_on": m.done_on,
        }
        for m in record.measures.all()
    ]
    return initial, measures


def split_service_errors(exc: ValidationError) -> tuple[ValidationError | None, list[str]]:
    """Separate the errors about the measures (shown at the measures) from the rest."""
    if not hasattr(exc, "error_dict") or "measures" not in exc.error_dict:
        return exc, []
    measures = ValidationError(exc.error_dict["measures"]).messages
    rest = {key: value for key, value in exc.error_dict.items() if key != "measures"}
    return (ValidationError(rest) if rest else None), measures


def summary(form, formset, measure_errors) -> list[tuple]:
    """Every error of the page for the error summary: (anchor, label, message)."""
    errors = error_summary(form)["errors"]
    errors += [("measures", _("Åtgärder"), error) for error in measure_errors]
    errors += [("measures", _("Åtgärder"), error) for error in formset.non_form_errors()]
    for number, row in enumerate(formset.forms, start=1):
        row_label = _("Åtgärd %(number)s") % {"number": number}
        for anchor, label, error in error_summary(row)["errors"]:
            label = f"{row_label}, {label}" if label else row_label
            errors.append((anchor or "measures", label, error))
    return errors
