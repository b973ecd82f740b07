"""What the statistics page may show, given raw figures: totals, lead time and trend must not
give away a figure that its own table hides."""

from decimal import Decimal

import pytest

from insats.decisions.models import CaseDecision
from insats.reporting import periods, presentation
from insats.reporting.statistics import (
    DECLINE_ROW,
    ENROL_ROW,
    CostRow,
    CountTable,
    Figures,
    LeadTime,
    TrendSource,
)

T = 5
PERIOD = periods.fixed("tertial", 2025, 2)
KINDS = len(CaseDecision.Kind.values)


def column(key: str, counts: list[int]) -> CountTable:
    return CountTable(
        key=key,
        title=key,
        row_labels=[f"r{i}" for i in range(len(counts))],
        column_labels=["Antal"],
        counts=[[n] for n in counts],
        row_totals=False,
    )


def decisions(enrol: int, decline: int, other: int = 0) -> CountTable:
    counts = [other] * KINDS
    counts[ENROL_ROW], counts[DECLINE_ROW] = enrol, decline
    return column("decisions", counts)


def figures(
    *,
    costs=(),
    overlaps=None,
    lead=None,
    decided=None,
    trend=None,
) -> Figures:
    lead = lead or LeadTime(0, None, None, None)
    decided = decided or decisions(0, 0)
    trend = trend or [TrendSource(column("consent", [0, 0]), decided, column("d", [0]))] * 6
    return Figures(
        period=PERIOD,
        tables=[decided],
        lead_time=lead,
        costs=[
            CostRow(f"k{i}", cases, cases * 30, Decimal(cases * 1000))
            for i, cases in enumerate(costs)
        ],
        # Unless told otherwise, every case is placed in one kind only.
        cost_overlaps=overlaps
        if overlaps is not None
        else [((index,), cases) for index, cases in enumerate(costs) if cases],
        trend=CountTable(
            key="trend",
            title="Trend",
            row_labels=[p.label for p in periods.preceding(PERIOD, 6)],
            column_labels=["a", "b", "c"],
            counts=[source.counts for source in trend],
            row_totals=False,
            column_totals=False,
        ),
        trend_sources=trend,
    )


@pytest.mark.parametrize(
    ("cases", "overlaps", "total_shown"),
    [
        ((8, 6, 12), None, True),  # nothing hidden
        ((8, 1, 0, 12), None, False),  # two hidden, one person between them
        ((8, 0, 0, 12), None, True),  # the zeros take the eight into hiding: eight people
        ((8, 4, 3, 12), None, True),  # two hidden, seven people
        ((8, 3, 12), None, True),  # the "<5" and the eight as "×": eleven people
        # Two people, each placed in all three small kinds: six cases, but two people.
        ((2, 2, 2, 12), [((0, 1, 2), 2), ((3,), 12)], False),
    ],
)
def test_cost_total_only_when_it_gives_no_hidden_kind_or_person_away(cases, overlaps, total_shown):
    shown = presentation.show_costs(figures(costs=cases, overlaps=overlaps), T)
    hidden = [row for row in shown.rows if row.cost is None]
    assert all(row.cases.value is None for row in hidden)
    assert len(hidden) != 1 or shown.total_cost is None
    assert (shown.total_cost is not None) is total_shown
    if total_shown:
        assert shown.total_cost == Decimal(sum(cases) * 1000)


def test_lead_time_count_is_exact_only_when_it_pins_no_hidden_count():
    def shown(n, enrol, decline):
        lead = LeadTime(n, 30.0, 20.0, 40.0)
        return presentation.show_lead_time(
            figures(lead=lead, decided=decisions(enrol, decline, 7)), T
        )

    assert shown(14, 8, 6).n.text == "14"  # every decision a first one
    assert shown(9, 8, 6).n.text == "9"  # five repeated decisions: enough to say so
    # Two repeated decisions (published nowhere) would follow from an exact 12.
    repeated = shown(12, 8, 6)
    assert repeated.n.value is None and repeated.n.text == "≥5" and repeated.median == 30.0
    lead = LeadTime(12, 30.0, 20.0, 40.0)
    # Eight enrolments shown, declines "<5": an exact 12 would say declines were four.
    one = presentation.show_lead_time(figures(lead=lead, decided=decisions(8, 4, 7)), T)
    assert one.n.value is None and one.n.text == "≥5"
    assert one.median == 30.0
    few = presentation.show_lead_time(
        figures(lead=LeadTime(3, 10.0, 5.0, 12.0), decided=decisions(2, 1, 7)), T
    )
    assert few.n.text == "<5" and few.median is None


def test_trend_hides_what_its_periods_pages_hide():
    # Enrolments 7, declines 3, nine of every other kind: the decisions table hides the
    # seven as well, the smallest shown count (else the total would give the declines away).
    decided = decisions(7, 3, other=9)
    source = TrendSource(column("consent", [6, 4]), decided, column("d", [2, 9]))
    quiet = TrendSource(column("consent", [1, 1]), decisions(0, 0), column("d", []))
    shown = presentation.show_trend(figures(decided=decided, trend=[quiet] * 5 + [source]), T)

    decisions_page = presentation.show_table(decided, T)
    enrol_cell = decisions_page.rows[ENROL_ROW][1][0]
    last_label, last_cells, _total = shown.rows[-1]
    assert last_label == PERIOD.label
    assert [cell.text for cell in last_cells] == ["10", enrol_cell.text, "11"]
    assert enrol_cell.value is None  # the point: hidden on the page, hidden in the trend
    assert all(cell.text == "<5" for _l, cells, _t in shown.rows[:-1] for cell in cells)
    assert shown.column_totals is None and shown.total is None
    assert "7" not in [column.text for group in shown.chart.groups for column in group.columns]
