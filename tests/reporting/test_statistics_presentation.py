"""What the statistics page may show, given raw figures: totals, lead time and trend must not
give away a figure that its own table hides."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string

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


def shared(key: str, counts: list[list[int]]) -> CountTable:
    return CountTable(
        key=key,
        title=key,
        row_labels=[f"r{i}" for i in range(len(counts))],
        column_labels=["a", "b", "c", "d"],
        counts=counts,
        column_totals=False,
        shared_row_total="compared",
    )


def test_tables_sharing_a_total_are_protected_together():
    """Alone, each table would show its row total 5; together they show the one number once,
    hidden, since "5" beside three "<5" in a row of 5 would make them 0."""
    tables = [shared("change", [[5, 0, 0, 0]]), shared("other", [[4, 1, 0, 0]])]
    change, other = presentation.show_tables(tables, T)
    assert [cell.text for cell in change.rows[0][1]] == ["5", "<5", "<5", "<5"]
    assert change.rows[0][2].text == other.rows[0][2].text == "×"
    with pytest.raises(ValueError):
        presentation.show_table(tables[0], T)  # on its own it would leave the page out


def test_a_withheld_table_says_so_and_shows_no_figure():
    """Threshold 4: the second table's row says the shared total is at most 12, leaving the
    first row's 0 no room whatever is hidden; both tables are withheld, the others shown."""
    tables = [shared("change", [[4, 4, 4, 0]]), shared("other", [[3, 3, 3, 3]])]
    decided = decisions(7, 6, 4)
    data = figures(decided=decided)
    shown = presentation.show_tables([decided, *tables], 4)
    assert [table.withheld for table in shown] == [False, True, True]
    assert shown[1].chart is None
    html = render_to_string(
        "reporting/includes/figures.html",
        {
            "tables": shown,
            "trend": presentation.show_trend(data, 4),
            "lead_time": presentation.show_lead_time(data, 4),
            "costs": presentation.show_costs(data, 4),
            "consent_rate": None,
        },
    )
    for key in ("change", "other"):
        section = html.split(f'id="t-{key}"', 1)[1].split("</section>", 1)[0]
        assert "Visas inte: för få ärenden." in section
        assert "<table" not in section and "<svg" not in section and ">4<" not in section
    decisions_section = html.split('id="t-decisions"', 1)[1].split("</section>", 1)[0]
    assert "<table" in decisions_section and ">7<" in decisions_section
