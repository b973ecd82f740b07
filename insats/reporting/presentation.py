"""From raw figures to what may be shown: suppression applied, charts drawn from shown cells.

Nothing computed here reaches a page without passing through `suppression`; the raw counts
stay inside this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from . import charts, suppression
from .statistics import DECLINE_ROW, ENROL_ROW, CountTable, Figures


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
    withheld: bool = False  # no figure of it can be shown without giving a small one away

    @property
    def has_row_totals(self) -> bool:
        return any(total is not None for _label, _cells, total in self.rows)


def _bars_from(labels, cells) -> list[tuple[str, int | None, str]]:
    return [(label, cell.value, cell.text) for label, cell in zip(labels, cells, strict=True)]


def _spec(table: CountTable) -> suppression.Table:
    return suppression.Table(
        table.counts,
        row_totals=table.row_totals,
        column_totals=table.column_totals,
        shared_row_total=table.shared_row_total,
    )


def _protect(table: CountTable, threshold: int) -> suppression.Protected:
    """A table that shares no total with another, exactly as its page protects it."""
    if table.shared_row_total is not None:
        raise ValueError(f"{table.key} shares a total: protect it with its page (show_tables)")
    return suppression.protect_page([_spec(table)], threshold=threshold)[0]


def _shown(table: CountTable, protected: suppression.Protected) -> ShownTable:
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
        withheld=protected.withheld,
    )
    if protected.withheld:
        return shown
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


def show_tables(tables: list[CountTable], threshold: int) -> list[ShownTable]:
    """The page's tables, protected together: a number that several of them share (the cases
    compared) is one number to the reader, and suppression treats it so."""
    protected = suppression.protect_page([_spec(table) for table in tables], threshold=threshold)
    return [_shown(table, shown) for table, shown in zip(tables, protected, strict=True)]


def show_table(table: CountTable, threshold: int) -> ShownTable:
    """One table that shares no total with another table of its page."""
    return _shown(table, _protect(table, threshold))


def _column_total(table: CountTable, threshold: int) -> suppression.Cell:
    """The one-column table's total as its page shows it."""
    if not table.counts:
        return suppression.protect_value(0, threshold=threshold)
    return _protect(table, threshold).column_totals[0]


def show_trend(figures: Figures, threshold: int) -> ShownTable:
    """Periods as rows, series as columns; drawn as grouped columns per period.

    Each figure is the very cell its period's own page shows (consent total, enrolment cell,
    discharge total), so a figure hidden there is hidden here too. The trend has no totals.
    """
    table = figures.trend
    rows = []
    for label, source in zip(table.row_labels, figures.trend_sources, strict=True):
        decisions = _protect(source.decisions, threshold)
        cells = [
            _column_total(source.consent, threshold),
            decisions.cells[ENROL_ROW][0],
            _column_total(source.discharges, threshold),
        ]
        rows.append((str(label), cells, None))
    shown = ShownTable(
        key=table.key,
        title=str(table.title),
        note=str(table.note),
        column_labels=[str(label) for label in table.column_labels],
        rows=rows,
        column_totals=None,
        total=None,
    )
    shown.chart = charts.grouped_columns(
        shown.title,
        [label for label, _cells, _total in rows],
        [
            (name, [(cells[index].value, cells[index].text) for _l, cells, _t in rows])
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
    """Median and quartiles only when enough cases stand behind them.

    The number of decisions behind them (first decisions only) is exact only when the
    decisions table shows both enrolments and declines and the difference to their sum (the
    repeated decisions, published nowhere) is 0 or at least the threshold: else it would pin
    a hidden count. Otherwise it reads "≥t".
    """
    lead = figures.lead_time
    enough = lead.n >= threshold
    n = suppression.protect_value(lead.n, threshold=threshold)
    decisions = next(table for table in figures.tables if table.key == "decisions")
    shown = _protect(decisions, threshold).cells
    rows = (ENROL_ROW, DECLINE_ROW)
    repeated = sum(decisions.counts[row][0] for row in rows) - lead.n
    if enough and (any(shown[row][0].suppressed for row in rows) or 0 < repeated < threshold):
        n = suppression.Cell(None, f"≥{threshold}")
    return ShownLeadTime(
        n=n,
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
    """A kind's cost is shown only when its number of cases is; the total only when nothing
    is hidden, or when the hidden kinds are at least two and at least `threshold` different
    people were placed in them: else subtracting the shown costs would give away one kind's
    cost or one person's. People, not cases per kind, since one case can be placed in several
    kinds."""
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
    hidden = {index for index, row in enumerate(shown.rows) if row.cost is None}
    people = sum(n for kinds, n in figures.cost_overlaps if hidden.intersection(kinds))
    if not hidden or (len(hidden) > 1 and people >= threshold):
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
