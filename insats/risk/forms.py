"""Forms for the structured risk assessment: the assessment itself, one rating row per item of
the instrument, and optional case-specific extra factors."""

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
NOT_RATED = _("Ej skattad")
RISK, PROTECTIVE = "risk", "protective"


class RiskAssessmentForm(forms.Form):
    assessed_on = forms.DateField(
        label=_("Datum för bedömningen"),
        widget=DATE,
        error_messages={
            "required": _("Ange datum för bedömningen."),
            "invalid": _("Ange ett giltigt datum (ÅÅÅÅ-MM-DD)."),
        },
    )
    summary = forms.ChoiceField(
        label=_("Sammanfattande riskbedömning"),
        widget=forms.RadioSelect,
        help_text=_(
            "Din professionella bedömning. Den räknas inte fram ur skattningarna av faktorerna."
        ),
        error_messages={
            "required": _("Välj en sammanfattande riskbedömning."),
            "invalid_choice": _("Välj en sammanfattande riskbedömning ur skalan."),
        },
    )
    summary_reasons = forms.CharField(
        label=_("Skäl för den sammanfattande bedömningen"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Skriv skälen för den sammanfattande bedömningen.")},
    )
    note = forms.CharField(
        label=_("Övrigt"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, instrument, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["summary"].choices = [(level, level) for level in instrument.summary_scale]


class RatingForm(forms.Form):
    """One item of the instrument: its level on the item's own scale, a critical flag, a note."""

    level = forms.ChoiceField(label=_("Skattning"), required=False, widget=forms.RadioSelect)
    critical = forms.BooleanField(label=_("Kritisk"), required=False)
    note = forms.CharField(label=_("Anteckning"), required=False, max_length=300)

    def __init__(self, *args, item, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        self.fields["level"].choices = [("", NOT_RATED)] + [(lv, lv) for lv in item.scale]
        self.fields["level"].error_messages["invalid_choice"] = _("Välj en nivå ur faktorns skala.")


class BaseRatingFormSet(BaseFormSet):
    """Exactly one form per item, in the instrument's order, whatever the client claims."""

    def __init__(self, *args, items, **kwargs):
        self.items = list(items)
        super().__init__(*args, **kwargs)

    def total_form_count(self):
        return len(self.items)

    def initial_form_count(self):
        return len(self.items)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "item": self.items[index]}

    def rows(self) -> list[dict]:
        return [{"item": form.item, **form.cleaned_data} for form in self.forms]


RatingFormSet = formset_factory(RatingForm, formset=BaseRatingFormSet, extra=0)


class ExtraFactorForm(forms.Form):
    """A case-specific risk or protective factor. A completely blank row is ignored."""

    kind = forms.ChoiceField(
        label=_("Typ"),
        choices=[(RISK, _("Riskfaktor")), (PROTECTIVE, _("Skyddsfaktor"))],
        initial=RISK,
    )
    description = forms.CharField(label=_("Faktor"), required=False, max_length=300)
    level = forms.ChoiceField(label=_("Skattning"), required=False)
    critical = forms.BooleanField(label=_("Kritisk"), required=False)

    def __init__(self, *args, risk_levels, protective_levels, **kwargs):
        super().__init__(*args, **kwargs)
        self.risk_levels, self.protective_levels = list(risk_levels), list(protective_levels)
        if self.risk_levels == self.protective_levels:
            levels = [(lv, lv) for lv in self.risk_levels]
        else:
            levels = [
                (_("Riskfaktor"), [(lv, lv) for lv in self.risk_levels]),
                (_("Skyddsfaktor"), [(lv, lv) for lv in self.protective_levels]),
            ]
        self.fields["level"].choices = [("", NOT_RATED), *levels]

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("description") or data.get("level") or data.get("critical"))

    def clean(self):
        cleaned = super().clean()
        if self.is_blank:
            return cleaned
        if not (cleaned.get("description") or "").strip():
            self.add_error("description", _("Beskriv faktorn, eller töm hela raden."))
        level, kind = cleaned.get("level"), cleaned.get("kind")
        scale = self.protective_levels if kind == PROTECTIVE else self.risk_levels
        if level and kind and level not in scale:
            message = (
                _("Välj en nivå ur skalan för en skyddsfaktor: %(scale)s.")
                if kind == PROTECTIVE
                else _("Välj en nivå ur skalan för en riskfaktor: %(scale)s.")
            )
            self.add_error("level", message % {"scale": ", ".join(scale)})
        return cleaned


class BaseExtraFactorFormSet(BaseFormSet):
    def rows(self) -> list[dict]:
        return [
            {
                "protective": form.cleaned_data.get("kind") == PROTECTIVE,
                "description": form.cleaned_data.get("description", ""),
                "level": form.cleaned_data.get("level", ""),
                "critical": bool(form.cleaned_data.get("critical")),
            }
            for form in self.forms
            if not form.is_blank
        ]


ExtraFactorFormSet = formset_factory(
    ExtraFactorForm, formset=BaseExtraFactorFormSet, extra=2, max_num=50, validate_max=True
)
