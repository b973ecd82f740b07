"""Forms of the economy section: the enquiry to Kronofogden, its answer with the debts, and
placements with the period filter of their costs."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insats.core.templatetags.insats import error_summary

from .models import Debt, Placement

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
INVALID_DATE = _("Ange ett giltigt datum, t.ex. 2025-03-14.")
INVALID_AMOUNT = _("Ange ett belopp i kronor, t.ex. 1500 eller 1500,50.")


def _date_field(label, required_message, **kwargs):
    return forms.DateField(
        label=label,
        widget=DATE,
        error_messages={"required": required_message, "invalid": INVALID_DATE},
        **kwargs,
    )


class AmountField(forms.DecimalField):
    """An amount in kronor as people type it: "1 500", "1500,50" or "1500.50"."""

    def to_python(self, value):
        if isinstance(value, str):
            value = "".join(value.split())  # also the non-breaking spaces of "1 500"
            if "," in value and "." not in value:
                value = value.replace(",", ".")
        return super().to_python(value)


# --- Kronofogden ----------------------------------------------------------------------------


class EnquiryForm(forms.Form):
    reply_address = forms.CharField(
        label=_("Svarsadress"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=1000,
        help_text=_("Vart Kronofogden ska skicka svaret: enhet, handläggare och adress."),
        error_messages={"required": _("Ange vart Kronofogden ska skicka svaret.")},
    )


class SentForm(forms.Form):
    sent_on = _date_field(_("Skickad den"), _("Ange när förfrågan skickades."))


class AnswerForm(forms.Form):
    answered_on = _date_field(_("Svar mottaget den"), _("Ange när svaret kom."))
    no_debts = forms.BooleanField(
        label=_("Svaret visar inga skulder hos Kronofogden"),
        required=False,
        help_text=_("Annars: fyll i skulderna nedan, en per rad."),
    )


DEBT_FIELDS = ("kind", "creditor", "amount")


class DebtForm(forms.Form):
    """One debt; a row left completely blank is ignored, a partly filled one is checked."""

    kind = forms.ChoiceField(
        label=_("Typ"), choices=[("", _("Välj typ")), *Debt.Kind.choices], required=False
    )
    creditor = forms.CharField(label=_("Borgenär eller ombud"), required=False, max_length=200)
    amount = AmountField(
        label=_("Belopp (kr)"),
        required=False,
        max_digits=12,
        decimal_places=2,
        localize=True,
        error_messages={
            "invalid": INVALID_AMOUNT,
            "max_digits": INVALID_AMOUNT,
            "max_decimal_places": _("Ange beloppet med högst två decimaler."),
            "max_whole_digits": INVALID_AMOUNT,
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in DEBT_FIELDS:
            self.fields[name].condition = _("krävs om raden fylls i")

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", None) or {}
        return not any(data.get(name) not in (None, "") for name in DEBT_FIELDS) and not any(
            self.errors.get(name) for name in DEBT_FIELDS
        )

    def clean(self):
        data = super().clean()
        if self.is_blank():
            return data
        if not data.get("kind"):
            self.add_error("kind", _("Välj typ av skuld."))
        if not (data.get("creditor") or "").strip():
            self.add_error("creditor", _("Ange borgenär eller ombud."))
        if "amount" not in self.errors:
            amount = data.get("amount")
            if amount is None:
                self.add_error("amount", _("Ange beloppet."))
            elif amount <= 0:
                self.add_error("amount", _("Beloppet måste vara större än noll."))
        return data


class BaseDebtFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Ta bort skulden")


DebtFormSet = forms.formset_factory(
    DebtForm, formset=BaseDebtFormSet, extra=3, can_delete=True, can_delete_extra=False
)


def debt_formset(data=None, *, enquiry=None):
    initial = None
    if data is None and enquiry is not None:
        initial = [{name: getattr(d, name) for name in DEBT_FIELDS} for d in enquiry.debts.all()]
    return DebtFormSet(data, initial=initial, prefix="debts")


def debt_rows(formset) -> list[dict]:
    """The filled-in, not removed rows of a valid formset, as debt_enquiry_answer() takes them."""
    rows = []
    for form in formset.forms:
        if formset.can_delete and formset._should_delete_form(form):
            continue
        if not getattr(form, "cleaned_data", None) or form.is_blank():
            continue
        rows.append({name: form.cleaned_data.get(name) for name in DEBT_FIELDS})
    return rows


def split_service_errors(exc: ValidationError) -> tuple[ValidationError | None, list[str]]:
    """Separate the errors about the debt rows (shown at the rows) from the rest."""
    if not hasattr(exc, "error_dict") or "debts" not in exc.error_dict:
        return exc, []
    debts = ValidationError(exc.error_dict["debts"]).messages
    rest = {key: value for key, value in exc.error_dict.items() if key != "debts"}
    return (ValidationError(rest) if rest else None), debts


def answer_summary(form, formset, debt_errors) -> list[tuple]:
    errors = error_summary(form)["errors"]
    errors += [("debts", _("Skulder"), error) for error in debt_errors]
    errors += [("debts", _("Skulder"), error) for error in formset.non_form_errors()]
    for number, row in enumerate(formset.forms, start=1):
        row_label = _("Skuld %(number)s") % {"number": number}
        for anchor, label, error in error_summary(row)["errors"]:
            label = f"{row_label}, {label}" if label else row_label
            errors.append((anchor or "debts", label, error))
    return errors


# --- Placements -----------------------------------------------------------------------------

PLACEMENT_FIELDS = ("kind", "provider", "starts_on", "ends_on", "daily_cost")


class PlacementForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Typ av placering"),
        choices=[("", _("Välj typ")), *Placement.Kind.choices],
        error_messages={"required": _("Välj typ av placering.")},
    )
    provider = forms.CharField(
        label=_("Utförare"),
        max_length=200,
        help_text=_("T.ex. institutionens eller familjehemmets namn."),
        error_messages={"required": _("Ange utförare.")},
    )
    starts_on = _date_field(_("Från"), _("Ange när placeringen började."))
    ends_on = forms.DateField(
        label=_("Till och med"),
        required=False,
        widget=DATE,
        help_text=_("Lämna tomt om placeringen pågår."),
        error_messages={"invalid": INVALID_DATE},
    )
    daily_cost = AmountField(
        label=_("Dygnskostnad (kr)"),
        max_digits=10,
        decimal_places=2,
        localize=True,
        error_messages={
            "required": _("Ange dygnskostnaden."),
            "invalid": INVALID_AMOUNT,
            "max_digits": INVALID_AMOUNT,
            "max_decimal_places": _("Ange beloppet med högst två decimaler."),
            "max_whole_digits": INVALID_AMOUNT,
        },
    )


def placement_initial(placement: Placement) -> dict:
    return {name: getattr(placement, name) for name in PLACEMENT_FIELDS}


class PeriodForm(forms.Form):
    """The period of the cost summary: GET parameters `from` and `to`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(
            label=_("Från"), required=False, widget=DATE, error_messages={"invalid": INVALID_DATE}
        )
        self.fields["to"] = forms.DateField(
            label=_("Till och med"),
            required=False,
            widget=DATE,
            error_messages={"invalid": INVALID_DATE},
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if start and end and end < start:
            self.add_error("to", _("Slutdatumet kan inte vara före startdatumet."))
        return data

    @staticmethod
    def default_period(today: date | None = None) -> tuple[date, date]:
        """The current calendar year."""
        today = today or timezone.localdate()
        return date(today.year, 1, 1), date(today.year, 12, 31)

    def period(self) -> tuple[date, date]:
        """The chosen period; the current year where nothing valid is given."""
        start, end = self.default_period()
        if self.is_valid():
            start = self.cleaned_data.get("from") or start
            end = self.cleaned_data.get("to") or end
            if end < start:  # only one end given, outside the current year
                if self.cleaned_data.get("from"):
                    end = date(start.year, 12, 31)
                else:
                    start = date(end.year, 1, 1)
        return start, end
