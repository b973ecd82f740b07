"""Reporting periods: tertial, half-year, year or a custom range of whole months.

A period is inclusive at both ends, as the municipalities' own follow-up reports count them.
Custom periods are widened to whole calendar months: two periods a day apart would otherwise
let their difference point at what happened on that single day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

KINDS = (
    ("tertial", gettext_lazy("Tertial")),
    ("half", gettext_lazy("Halvår")),
    ("year", gettext_lazy("År")),
    ("custom", gettext_lazy("Egen period")),
)
# Months per period of each fixed kind.
_MONTHS = {"tertial": 4, "half": 6, "year": 12}


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        if self.kind == "tertial":
            number = (self.start.month - 1) // 4 + 1
            return _("Tertial %(number)s %(year)s") % {"number": number, "year": self.start.year}
        if self.kind == "half":
            number = (self.start.month - 1) // 6 + 1
            return _("Halvår %(number)s %(year)s") % {"number": number, "year": self.start.year}
        if self.kind == "year":
            return str(self.start.year)
        first, last = self.start.strftime("%Y-%m"), self.end.strftime("%Y-%m")
        return first if first == last else f"{first} – {last}"  # custom: whole months

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def fixed(kind: str, year: int, number: int = 1) -> Period:
    """The `number`th tertial/half-year of `year`, or the year itself."""
    months = _MONTHS[kind]
    if not 1 <= number <= 12 // months:
        raise ValueError(f"{kind} {number} does not exist")
    start = _month_start(year, (number - 1) * months + 1)
    end = _month_start(year, number * months + 1) - timedelta(days=1)
    return Period(kind, start, end)


def containing(kind: str, day: date) -> Period:
    """The fixed period of `kind` that `day` falls in."""
    return fixed(kind, day.year, (day.month - 1) // _MONTHS[kind] + 1)


def custom(start: date, end: date) -> Period:
    """From the first day of `start`'s month to the last day of `end`'s month."""
    if end < start:
        raise ValueError("end before start")
    return Period(
        "custom",
        start.replace(day=1),
        _month_start(end.year, end.month + 1) - timedelta(days=1),
    )


def months_in(period: Period) -> int:
    return (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1


def preceding(period: Period, count: int) -> list[Period]:
    """`count` periods of the same kind ending with `period`, oldest first.

    A custom period is followed back by periods of as many months directly before it.
    """
    periods = [period]
    while len(periods) < count:
        first = periods[0]
        if first.kind == "custom":
            months = months_in(first)
            start = _month_start(first.start.year, first.start.month - months)
            periods.insert(0, custom(start, first.start - timedelta(days=1)))
        else:
            periods.insert(0, containing(first.kind, first.start - timedelta(days=1)))
    return periods
