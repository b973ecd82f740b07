"""The choice of units and period behind every statistics page, report and export."""

from datetime import date
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import periods

ALL_UNITS = "alla"
FIRST_YEAR = 2000
# Long enough for a multi-year comparison, short enough to stay a follow-up period.
MAX_CUSTOM_MONTHS = 60


class PeriodForm(forms.Form):
    """Read from the query string (GET), so a report's address names its parameters."""

    enhet = forms.ChoiceField(label=gettext_lazy("Enhet"))
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=periods.KINDS)
    year = forms.IntegerField(label=gettext_lazy("År"), required=False)
    number = forms.TypedChoiceField(
        label=gettext_lazy("Tertial 1–3 / halvår 1–2"),
        coerce=int,
        required=False,
        choices=[(1, "1"), (2, "2"), (3, "3")],
    )
    start = forms.DateField(
        label=gettext_lazy("Från och med"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("En egen period räknas i hela kalendermånader."),
    )
    end = forms.DateField(
        label=gettext_lazy("Till och med"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, data, *, units, today: date | None = None):
        """`units`: the Unit objects the user may report on, in display order."""
        self.today = today or timezone.localdate()
        self.units = list(units)
        current = periods.containing("tertial", self.today)
        defaults = {
            "enhet": str(self.units[0].pk) if self.units else "",
            "period": "tertial",
            "year": current.start.year,
            "number": (current.start.month - 1) // 4 + 1,
        }
        # The page opens on the current tertial; anything the user sent wins.
        super().__init__({**defaults, **{k: v for k, v in data.items() if v != ""}})
        choices = [(str(unit.pk), unit.name) for unit in self.units]
        if len(self.units) > 1:
            choices.append((ALL_UNITS, _("Alla mina enheter")))
        self.fields["enhet"].choices = choices

    def clean_year(self):
        year = self.cleaned_data.get("year")
        if year is not None and not FIRST_YEAR <= year <= self.today.year + 1:
            raise ValidationError(
                _("Ange ett år mellan %(first)s och %(last)s.")
                % {"first": FIRST_YEAR, "last": self.today.year + 1}
            )
        return year

    def _out_of_range(self, day: date) -> bool:
        """Dates far outside the years with data would only overflow the period arithmetic."""
        return not FIRST_YEAR <= day.year <= self.today.year + 1

    def clean(self):
        data = super().clean()
        kind = data.get("period")
        if kind is None or self.errors:
            return data
        if kind == "custom":
            start, end = data.get("start"), data.get("end")
            if start is None or end is None:
                raise ValidationError(_("Ange både från och med och till och med."))
            wrong = [name for name in ("start", "end") if self._out_of_range(data[name])]
            for name in wrong:
                self.add_error(
                    name,
                    _("Ange ett datum mellan %(first)s och %(last)s.")
                    % {"first": f"{FIRST_YEAR}-01-01", "last": f"{self.today.year + 1}-12-31"},
                )
            if wrong:
                return data
            if end < start:
                self.add_error("end", _("Slutdatum kan inte vara före startdatum."))
                return data
            period = periods.custom(start, end)
            if periods.months_in(period) > MAX_CUSTOM_MONTHS:
                self.add_error("end", _("En egen period får vara högst fem år."))
            else:
                data["period_obj"] = period
            return data
        year = data.get("year")
        if year is None:
            self.add_error("year", _("Ange år."))
            return data
        number = data.get("number") or 1
        if kind == "half" and number > 2:
            self.add_error("number", _("Ett år har två halvår."))
            return data
        data["period_obj"] = periods.fixed(kind, year, 1 if kind == "year" else number)
        return data

    @property
    def chosen_period(self) -> periods.Period:
        return self.cleaned_data["period_obj"]

    @property
    def chosen_units(self) -> list:
        wanted = self.cleaned_data["enhet"]
        if wanted == ALL_UNITS:
            return self.units
        return [unit for unit in self.units if str(unit.pk) == wanted]

    def query(self) -> str:
        """The parameters as a query string, for links to the PDF and the export."""
        keys = ("enhet", "period", "year", "number", "start", "end")
        return urlencode({k: self.data[k] for k in keys if self.data.get(k) not in (None, "")})
