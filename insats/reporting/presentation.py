"""From raw figures to what may be shown: suppression applied, charts drawn from shown cells.

Nothing computed here reaches a page without passing through `suppression`; the raw counts
stay inside this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from . import charts, suppression
from .statistics import CountTable, Figures


@dataclass
class ShownTable:
    key: str
    title: str
    note: str
    column_labels: list[str]
    rows: list[tuple[str, list, object]]  # (label, cells, row total cell or None)
    column_totals: list | None
    total: object | None
    chart: object | None = None
    chart_kind: str = ""  # "bars" or "columns"

    @property
    def has_row_totals(self) -> bool:
        return any(total is not None for _label, _cells, total in self.rows)


def _bars_from(labels, cells) -> list[tuple[str, int | None, str]]:
    return [(label, cell.value, cell.text) for label, cell in zip(labels, cells, strict=True)]


def show_table(table: CountTable, threshold: int) -> ShownTable:
    protected = suppression.protect(
        table.counts,
        threshold=threshold,
        row_totals=table.row_totals,
        column_totals=table.column_totals,
    )
    row_totals = protected.row_totals or [None] * len(table.row_labels)
    shown = ShownTable(
        key=table.key,
        title=str(table.title),
        note=str(table.note),
        column_labels=[str(label) for label in table.column_labels],
        rows=[
            (str(label), cells, total)
            for label, cells, total in zip(
                table.row_labels, protected.cells, row_totals, strict=True
            )
        ],
        column_totals=protected.column_totals,
        total=protected.total,
    )
    if len(table.column_labels) == 1:
        labels = [label for label, _cells, _total in shown.rows]
        shown.chart = charts.horizontal_bars(
            shown.title, _bars_from(labels, [cells[0] for cells in protected.cells])
        )
        shown.chart_kind = "bars"
    elif protected.column_totals is not None:
        shown.chart = charts.horizontal_bars(
            shown.title, _bars_from(shown.column_labels, protected.column_totals)
        )
        shown.chart_kind = "bars"
    return shown


def show_trend(table: CountTable, threshold: int) -> ShownTable:
    """Periods as rows, series as columns; drawn as grouped columns per period."""
    shown = show_table(table, threshold)
    shown.chart = charts.grouped_columns(
        shown.title,
        [label for label, _cells, _total in shown.rows],
        [
            (name, [(cells[index].value, cells[index].text) for _l, cells, _t in shown.rows])
            for index, name in enumerate(shown.column_labels)
        ],
    )
    shown.chart_kind = "columns"
    return shown


@dataclass
class ShownLeadTime:
    n: object  # Cell
    median: float | None
    q1: float | None
    q3: float | None


def show_lead_time(figures: Figures, threshold: int) -> ShownLeadTime:
    """Median and quartiles only when enough cases stand behind them."""
    lead = figures.lead_time
    enough = lead.n >= threshold
    return ShownLeadTime(
        n=suppression.protect_value(lead.n, threshold=threshold),
        median=lead.median if enough else None,
        q1=lead.q1 if enough else None,
        q3=lead.q3 if enough else None,
    )


@dataclass
class ShownCost:
    label: str
    cases: object  # Cell
    days: int | None
    cost: Decimal | None


@dataclass
class ShownCosts:
    rows: list[ShownCost] = field(default_factory=list)
    total_cost: Decimal | None = None
    total_cases: object | None = None


def show_costs(figures: Figures, threshold: int) -> ShownCosts:
    """A kind's cost is shown only when its number of cases is; the total only when it cannot
    give one hidden kind's cost away by subtraction (no hidden kind, or at least two)."""
    protected = suppression.protect(
        [[row.cases] for row in figures.costs],
        threshold=threshold,
        row_totals=False,
        column_totals=True,
    )
    shown = ShownCosts(total_cases=protected.column_totals[0] if figures.costs else None)
    for row, (cases,) in zip(figures.costs, protected.cells, strict=True):
        shown.rows.append(
            ShownCost(
                label=str(row.label),
                cases=cases,
                days=None if cases.suppressed else row.days,
                cost=None if cases.suppressed else row.cost,
            )
        )
    if sum(row.cost is None for row in shown.rows) != 1:
        shown.total_cost = sum((row.cost for row in figures.costs), Decimal(0))
    return shown


def consent_rate(table: ShownTable) -> float | None:
    """Share of cases with consent, when both parts of it are shown."""
    cells = [cells[0] for _label, cells, _total in table.rows]
    if len(cells) != 2 or any(cell.suppressed for cell in cells):
        return None
    given, total = cells[0].value, cells[0].value + cells[1].value
    return round(100 * given / total) if total else None


def legend_text(threshold: int) -> str:
    return _(
        "”<%(t)s” = färre än %(t)s (0–%(below)s). ”×” = dolt för att ett litet tal annars "
        "skulle gå att räkna fram ur summorna."
    ) % {"t": threshold, "below": threshold - 1}
