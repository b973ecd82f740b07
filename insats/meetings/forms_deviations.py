"""Forms for collaboration deviations: report, list filters, handling steps and the overview."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insats.organisations.models import Organisation, Unit

from . import services_deviations as services
from .models import Deviation

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.alias


class OrganisationChoiceField(forms.ModelChoiceField):
    with_unit = False

    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.unit.name})" if self.with_unit else obj.name


def _unit_field(form, units) -> None:
    """A unit selector, hidden when the user belongs to one unit only."""
    field = form.fields["unit"]
    field.queryset = units
    units = list(units)
    if len(units) == 1:
        field.initial = units[0].pk
        field.widget = forms.HiddenInput()


class DeviationForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Enhet"),
        queryset=Unit.objects.none(),
        error_messages={"required": _("Välj enhet.")},
    )
    organisation = OrganisationChoiceField(
        label=_("Organisation som avvikelsen gäller"),
        queryset=Organisation.objects.none(),
        error_messages={"required": _("Välj vilken organisation avvikelsen gäller.")},
    )
    occurred_on = forms.DateField(
        label=_("När hände det?"),
        widget=DATE,
        error_messages={
            "required": _("Ange när det hände."),
            "invalid": _("Ange ett datum som ÅÅÅÅ-MM-DD."),
        },
    )
    what_happened = forms.CharField(
        label=_("Vad hände?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Beskriv bristen i samverkan: vad som skulle ha skett och vad som skedde. "
            "Skriv inga personuppgifter; koppla i stället till ärendet nedan."
        ),
        error_messages={"required": _("Beskriv vad som hände.")},
    )
    case = CaseChoiceField(
        label=_("Ärende"),
        queryset=None,
        required=False,
        empty_label=_("Inget ärende"),
        help_text=_("Om avvikelsen gäller ett ärende du har tillgång till."),
    )

    def __init__(self, *args, units, cases, **kwargs):
        super().__init__(*args, **kwargs)
        _unit_field(self, units)
        organisations = self.fields["organisation"]
        organisations.queryset = Organisation.objects.filter(unit__in=units).select_related("unit")
        organisations.with_unit = len(self.fields["unit"].queryset) > 1
        self.fields["case"].queryset = cases.select_related("unit").order_by("-year", "-sequence")
        self.initial.setdefault("occurred_on", timezone.localdate())

    def clean(self):
        data = super().clean()
        unit, organisation, case = data.get("unit"), data.get("organisation"), data.get("case")
        if unit and organisation and organisation.unit_id != unit.pk:
            self.add_error("organisation", _("Välj en organisation i den valda enheten."))
        if unit and case and case.unit_id != unit.pk:
            self.add_error("case", _("Välj ett ärende i den valda enheten."))
        return data


class DeviationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Alla")), *Deviation.Status.choices],
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Alla organisationer"),
    )
    fran = forms.DateField(label=_("Hände från och med"), required=False, widget=DATE)
    till = forms.DateField(label=_("Hände till och med"), required=False, widget=DATE)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.filter(unit__in=units)

    def clean(self):
        data = super().clean()
        if data.get("fran") and data.get("till") and data["fran"] > data["till"]:
            self.add_error("till", _("Slutdatumet kan inte vara före startdatumet."))
        return data


class DeviationStepForm(forms.Form):
    """One handling step: the text (or closing date) the step records."""

    to_status = forms.ChoiceField(
        label=_("Steg"),
        choices=[(status.value, status.label) for status in services.STEP_FIELD],
        widget=forms.HiddenInput,
    )
    analysis = forms.CharField(
        label=_("Analys"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Vad hände, varför, och vilka delar av samverkan brast?"),
    )
    improvement = forms.CharField(
        label=_("Beslutad förbättring"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Vad ska ändras, av vem och när?"),
    )
    follow_up = forms.CharField(
        label=_("Uppföljning"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Har förbättringen genomförts och fått effekt?"),
    )
    closed_on = forms.DateField(
        label=_("Avslutad"),
        widget=DATE,
        error_messages={"invalid": _("Ange ett datum som ÅÅÅÅ-MM-DD.")},
    )

    def __init__(self, *args, step: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.step = step
        keep = services.STEP_FIELD[step]
        for name in list(services.STEP_REQUIRED):
            if name != keep:
                del self.fields[name]
        self.fields[keep].error_messages["required"] = services.STEP_REQUIRED[keep]
        self.initial.setdefault("to_status", step)
        if keep == "closed_on":
            self.initial.setdefault("closed_on", timezone.localdate())

    @property
    def step_field(self):
        return self[services.STEP_FIELD[self.step]]


class OverviewForm(forms.Form):
    PERIOD_CHOICES = [
        ("t1", _("Tertial 1 (januari–april)")),
        ("t2", _("Tertial 2 (maj–augusti)")),
        ("t3", _("Tertial 3 (september–december)")),
        ("h1", _("Halvår 1 (januari–juni)")),
        ("h2", _("Halvår 2 (juli–december)")),
        ("year", _("Helår")),
    ]

    unit = forms.ModelChoiceField(label=_("Enhet"), queryset=Unit.objects.none())
    year = forms.IntegerField(
        label=_("År"),
        min_value=2000,
        max_value=2100,
        error_messages={
            "invalid": _("Ange ett årtal."),
            "min_value": _("Ange ett årtal från 2000."),
            "max_value": _("Ange ett årtal till och med 2100."),
        },
    )
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES)

    def __init__(self, data, *, units, **kwargs):
        today = timezone.localdate()
        initial = {"year": today.year, "period": "year"}
        if data is not None:
            data = data.copy()
            for key, value in initial.items():
                data.setdefault(key, value)
            if units:
                data.setdefault("unit", units[0].pk)
        super().__init__(data, initial=initial, **kwargs)
        _unit_field(self, Unit.objects.filter(pk__in=[u.pk for u in units]))
