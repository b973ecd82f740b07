"""Small-cell suppression (issue #7): no hidden small count can be derived from what is shown.

Derivability is checked by the brute-force oracle in `tests.reporting.oracle`, which shares no
code or theory with the module's network argument. It knows every figure the page publishes and
the page's structure, including rows of different tables that add up to one shared number
(`Table.shared_row_total`: every row of the change per life area and of the indicator changes
counts each compared case once).
"""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insats.reporting.suppression import (
    WITHHELD,
    Cell,
    Protected,
    Table,
    protect,
    protect_page,
    protect_value,
)
from tests.reporting.oracle import (
    all_hidden,
    derivable,
    derivable_page,
)


def texts(result: Protected) -> dict:
    return {
        "cells": [[c.text for c in line] for line in result.cells],
        "rows": [c.text for c in result.row_totals] if result.row_totals else None,
        "cols": [c.text for c in result.column_totals] if result.column_totals else None,
        "total": result.total.text if result.total else None,
    }


@st.composite
def tables(draw):
    n_rows = draw(st.integers(1, 4))
    n_cols = draw(st.integers(1, 4))
    count = st.one_of(st.integers(0, 6), st.integers(0, 20))
    counts = draw(
        st.lists(
            st.lists(count, min_size=n_cols, max_size=n_cols), min_size=n_rows, max_size=n_rows
        )
    )
    return (
        counts,
        draw(st.integers(3, 6)),
        draw(st.booleans()),
        draw(st.booleans()),
    )


def _published(result: Protected, counts: list[list[int]]):
    """(true value, cell) for every published number."""
    for true_line, line in zip(counts, result.cells, strict=True):
        yield from zip(true_line, line, strict=True)
    if result.row_totals is not None:
        yield from zip(map(sum, counts), result.row_totals, strict=True)
    if result.column_totals is not None:
        yield from zip(map(sum, zip(*counts, strict=True)), result.column_totals, strict=True)
    if result.total is not None:
        yield sum(map(sum, counts)), result.total


def assert_safe(tables: list[Table], results: list[Protected], threshold: int) -> None:
    """Nothing small can be derived from the page, and a table is withheld only when hiding
    every number of it and of the tables it shares a total with would still give one away."""
    assert derivable_page(tables, results, threshold) == []
    withheld = [index for index, result in enumerate(results) if result.withheld]
    for index in withheld:
        result = results[index]
        assert all(cell == WITHHELD for line in result.cells for cell in line)
        assert all(cell == WITHHELD for cell in result.row_totals or [])
        assert all(cell == WITHHELD for cell in result.column_totals or [])
        assert result.total in (None, WITHHELD)
    if withheld:
        alone = [tables[index] for index in withheld]
        shown = all_hidden(alone, [results[index] for index in withheld], threshold)
        assert derivable_page(alone, shown, threshold) != []


@settings(max_examples=300, deadline=None)
@given(tables())
def test_small_counts_are_marked_and_shown_counts_are_true(table):
    counts, threshold, row_totals, column_totals = table
    result = protect(
        counts, threshold=threshold, row_totals=row_totals, column_totals=column_totals
    )
    assert (result.row_totals is None) is not row_totals
    assert (result.column_totals is None) is not column_totals
    assert (result.total is None) is not (row_totals and column_totals)
    for true, cell in _published(result, counts):
        if result.withheld:
            assert cell == WITHHELD
        elif true < threshold:
            assert cell == Cell(None, f"<{threshold}", primary=True)
        else:
            assert cell.text != f"<{threshold}" and not cell.primary
            assert cell.text in (str(true), "×")
            assert cell.value == (None if cell.text == "×" else true)


@settings(max_examples=250, deadline=None)
@given(tables())
def test_no_primary_value_can_be_derived(table):
    counts, threshold, row_totals, column_totals = table
    result = protect(
        counts, threshold=threshold, row_totals=row_totals, column_totals=column_totals
    )
    assert_safe([Table(counts, row_totals, column_totals)], [result], threshold)


@settings(max_examples=100, deadline=None)
@given(tables())
def test_nothing_is_hidden_when_no_count_is_small(table):
    counts, threshold, row_totals, column_totals = table
    counts = [[n + threshold for n in line] for line in counts]
    result = protect(
        counts, threshold=threshold, row_totals=row_totals, column_totals=column_totals
    )
    assert not any(cell.suppressed for _, cell in _published(result, counts))


@settings(max_examples=100, deadline=None)
@given(tables())
def test_output_is_deterministic(table):
    counts, threshold, row_totals, column_totals = table
    first = protect(counts, threshold=threshold, row_totals=row_totals, column_totals=column_totals)
    again = protect(
        tuple(tuple(line) for line in counts),
        threshold=threshold,
        row_totals=row_totals,
        column_totals=column_totals,
    )
    assert first == again


def test_oracle_catches_a_total_that_gives_a_small_count_away():
    """Without complementary suppression the oracle must flag the disclosure, or it is no test."""
    counts = [[3], [10], [8]]
    naive = Protected(
        cells=[[Cell(None, "<5", primary=True)], [Cell(10, "10")], [Cell(8, "8")]],
        row_totals=None,
        column_totals=[Cell(21, "21")],
        total=None,
    )
    assert derivable(naive, counts, 5) == [("cell", 0, 0)]


def test_three_by_three_worked_by_hand():
    """Only the 3 is small. Its cheapest cycle hides 20, 8 and 14 (sum 42), never a total.

    Then row 0 gives x00 = 23 - x01, column 1 gives x21 = 17 - x01, row 2 gives
    x20 = 5 + x01, all >= 5 for every x01 in 0..4: the 3 cannot be pinned down.
    """
    counts = [[20, 3, 15], [12, 30, 25], [8, 14, 40]]
    result = protect(counts, threshold=5)
    assert texts(result) == {
        "cells": [["×", "<5", "15"], ["12", "30", "25"], ["×", "×", "40"]],
        "rows": ["38", "67", "62"],
        "cols": ["40", "47", "80"],
        "total": "167",
    }
    assert derivable(result, counts, 5) == []


def test_two_zeros_in_a_row_are_not_given_away_by_its_total():
    """0 + 0 + 12 = 12: with the 12 shown, the two zeros would add up to 0 and be known."""
    counts = [[0, 0, 12], [6, 8, 9]]
    result = protect(counts, threshold=5, column_totals=False)
    assert texts(result) == {
        "cells": [["<5", "<5", "×"], ["6", "8", "9"]],
        "rows": ["12", "23"],
        "cols": None,
        "total": None,
    }
    primary_only = Protected(
        cells=[
            [Cell(None, "<5", primary=True), Cell(None, "<5", primary=True), Cell(12, "12")],
            [Cell(6, "6"), Cell(8, "8"), Cell(9, "9")],
        ],
        row_totals=[Cell(12, "12"), Cell(23, "23")],
        column_totals=None,
        total=None,
    )
    assert derivable(primary_only, counts, 5) == [("cell", 0, 0), ("cell", 0, 1)]
    assert derivable(result, counts, 5) == []


def test_list_with_one_small_category_and_its_total():
    """A single column with a column total: 21 - 10 - 8 would reveal the 3, so the 8 goes too."""
    counts = [[3], [10], [8]]
    result = protect(counts, threshold=5, row_totals=False)
    assert texts(result) == {
        "cells": [["<5"], ["10"], ["×"]],
        "rows": None,
        "cols": ["21"],
        "total": None,
    }
    assert derivable(result, counts, 5) == []


def test_a_complementary_count_at_the_threshold_still_protects():
    """[3, 5] of 8: the 5 can only grow, so the 3 can still shrink; both stay hidden."""
    result = protect([[3], [5]], threshold=5, row_totals=False)
    assert texts(result)["cells"] == [["<5"], ["×"]]
    assert result.column_totals == [Cell(8, "8")]
    assert derivable(result, [[3], [5]], 5) == []


def test_small_totals_are_suppressed_too():
    counts = [[1, 2], [9, 8]]
    result = protect(counts, threshold=5)
    assert result.row_totals[0] == Cell(None, "<5", primary=True)
    assert derivable(result, counts, 5) == []


def test_cells_hide_their_values():
    result = protect([[2, 30], [40, 50]], threshold=5)
    hidden = [cell for line in result.cells for cell in line if cell.suppressed]
    assert hidden and all(cell.value is None for cell in hidden)
    assert {cell.text for cell in hidden} == {"<5", "×"}


def test_protect_value():
    assert protect_value(0, threshold=5) == Cell(None, "<5", primary=True)
    assert protect_value(4, threshold=5).suppressed
    assert protect_value(5, threshold=5) == Cell(5, "5")
    assert str(protect_value(12, threshold=3)) == "12"


@pytest.mark.parametrize(
    ("counts", "threshold"),
    [([[1, 2], [3]], 5), ([[1, -1]], 5), ([[1.5]], 5), ([[1]], 2), ([[1]], True)],
)
def test_bad_input_is_refused(counts, threshold):
    with pytest.raises(ValueError):
        protect(counts, threshold=threshold)


# --- Tables that share a total (issue #7, item 7) ----------------------------------------------

COMPARED = "compared_cases"


def change(counts) -> Table:
    """Change per life area: every row counts each compared case once."""
    return Table(counts, column_totals=False, shared_row_total=COMPARED)


# The demo's year page for one unit: five cases compared, threshold 5.
DEMO_CHANGE = [
    [5, 0, 0, 0],
    [5, 0, 0, 0],
    [4, 1, 0, 0],
    [5, 0, 0, 0],
    [5, 0, 0, 0],
    [5, 0, 0, 0],
    [4, 1, 0, 0],
    [3, 2, 0, 0],
    [4, 1, 0, 0],
    [4, 1, 0, 0],
    [5, 0, 0, 0],
]
DEMO_INDICATORS = [[5, 0], [2, 3], [5, 0], [5, 0], [5, 0], [5, 0]]


def test_oracle_catches_a_row_total_known_from_another_row():
    """Item 7: "Förbättrad 5" in a row whose total is hidden, while another row shows the
    total 5 that every row shares, gives the row's three hidden cells away (all 0).

    Protected each on its own, as the page did, the tables look safe to an oracle that knows
    only each table's own margins; the oracle that knows the shared total must flag them.
    """
    small = [[5, 0, 0, 0], [4, 1, 0, 0]]
    each_alone = protect(small, threshold=5, column_totals=False)
    assert texts(each_alone)["cells"] == [["5", "<5", "<5", "<5"], ["<5", "<5", "<5", "<5"]]
    assert texts(each_alone)["rows"] == ["×", "5"]
    assert derivable(each_alone, small, 5) == []  # no shared total: nothing to see
    assert derivable_page([change(small)], [each_alone], 5) == [
        (0, "cell", 0, 1),
        (0, "cell", 0, 2),
        (0, "cell", 0, 3),
    ]

    # The demo's page: 18 hidden cells in the change table and 5 in the indicator table.
    tables = [change(DEMO_CHANGE), change(DEMO_INDICATORS)]
    old_page = [protect(t.counts, threshold=5, column_totals=False) for t in tables]
    assert [derivable(result, t.counts, 5) for t, result in zip(tables, old_page, strict=True)] == [
        [],
        [],
    ]
    found = derivable_page(tables, old_page, 5)
    assert len([where for where in found if where[0] == 0]) == 18
    assert len([where for where in found if where[0] == 1]) == 5


def test_a_shared_total_that_would_give_cells_away_is_hidden_everywhere():
    tables = [change(DEMO_CHANGE), change(DEMO_INDICATORS)]
    results = protect_page(tables, threshold=5)
    change_page, indicators_page = (texts(result) for result in results)
    # Every row total is the one number 5; hidden, it hides in every row of both tables.
    assert change_page["rows"] == ["×"] * len(DEMO_CHANGE)
    assert indicators_page["rows"] == ["×"] * len(DEMO_INDICATORS)
    # Nothing else needs to go: the fives stay, as informative as before.
    assert change_page["cells"][0] == ["5", "<5", "<5", "<5"]
    assert indicators_page["cells"][:2] == [["5", "<5"], ["<5", "<5"]]
    assert not any(result.withheld for result in results)
    assert_safe(tables, results, 5)


def test_a_shared_total_is_shown_when_the_cells_can_hide_it():
    """Six compared: a hidden 6 ("×", so 5 or more) can make room for one more elsewhere."""
    tables = [change([[6, 0, 0, 0], [3, 3, 0, 0]]), change([[6, 0], [1, 5]])]
    results = protect_page(tables, threshold=5)
    assert texts(results[0])["cells"] == [["×", "<5", "<5", "<5"], ["<5", "<5", "<5", "<5"]]
    assert texts(results[0])["rows"] == ["6", "6"]
    assert texts(results[1])["cells"] == [["×", "<5"], ["<5", "×"]]
    assert texts(results[1])["rows"] == ["6", "6"]
    assert_safe(tables, results, 5)


def test_rows_share_their_total_even_where_no_table_shows_it():
    """No row total published: 5 + 5 = 10 in the second table is the first table's total."""
    tables = [
        Table([[10, 0]], row_totals=False, column_totals=False, shared_row_total=COMPARED),
        Table([[5, 5]], row_totals=False, column_totals=False, shared_row_total=COMPARED),
    ]
    each_alone = [
        protect(t.counts, threshold=5, row_totals=False, column_totals=False) for t in tables
    ]
    assert derivable_page(tables, each_alone, 5) == [(0, "cell", 0, 1)]
    results = protect_page(tables, threshold=5)
    assert results[0].row_totals is None and results[1].row_totals is None
    assert texts(results[0])["cells"] == [["10", "<5"]]
    assert texts(results[1])["cells"] == [["×", "5"]]
    assert_safe(tables, results, 5)


def test_one_table_showing_the_shared_total_shows_it_for_all():
    tables = [
        Table([[4, 8], [12, 0]], row_totals=False, column_totals=False, shared_row_total="n"),
        Table([[6, 6]], column_totals=False, shared_row_total="n"),
    ]
    results = protect_page(tables, threshold=5)
    assert results[0].row_totals is None
    assert texts(results[1])["rows"] == ["12"]
    # The 12 next to a 0 has to go, the 4 needs a partner in its own row.
    assert texts(results[0])["cells"] == [["<5", "×"], ["×", "<5"]]
    assert_safe(tables, results, 5)


def test_tables_sharing_nothing_are_protected_as_each_alone():
    counts = [[20, 3, 15], [12, 30, 25], [8, 14, 40]]
    tables = [Table(counts), Table([[3], [10], [8]], row_totals=False), change([[5, 0]])]
    results = protect_page(tables, threshold=5)
    assert results[0] == protect(counts, threshold=5)
    assert results[1] == protect([[3], [10], [8]], threshold=5, row_totals=False)


def test_a_table_is_withheld_when_even_hiding_everything_would_give_a_count_away():
    """Threshold 3: each row total is at least 3 and each cell at most 2, so each cell of the
    first column is at least 1; their total "<3" makes them exactly 1, and then everything
    follows. The earlier code hid every number and published them anyway."""
    counts = [[1, 2], [1, 2]]
    result = protect(counts, threshold=3)
    assert result.withheld
    assert texts(result) == {
        "cells": [["..", ".."], ["..", ".."]],
        "rows": ["..", ".."],
        "cols": ["..", ".."],
        "total": "..",
    }
    everything_hidden = all_hidden([Table(counts)], [result], 3)[0]
    assert texts(everything_hidden)["cells"] == [["<3", "<3"], ["<3", "<3"]]
    assert len(derivable(everything_hidden, counts, 3)) == 5
    assert_safe([Table(counts)], [result], 3)


def test_rows_sharing_a_total_can_leave_no_room():
    """Threshold 4: "<4" four times says the shared total is at most 12, and three counts of
    at least 4 leave the fourth cell of the other row no room above 0. Both tables go."""
    tables = [change([[4, 4, 4, 0]]), change([[3, 3, 3, 3]]), Table([[3, 9]])]
    results = protect_page(tables, threshold=4)
    assert [result.withheld for result in results] == [True, True, False]
    assert_safe(tables, results, 4)


@pytest.mark.parametrize(
    "tables",
    [
        [Table([[1, 2]], shared_row_total="n")],  # with column totals
        [change([[1, 2]]), change([[1, 1]])],  # rows that do not add up to one number
    ],
)
def test_shared_totals_that_cannot_hold_are_refused(tables):
    with pytest.raises(ValueError):
        protect_page(tables, threshold=5)


@st.composite
def sharing_pages(draw):
    """One to three tables whose rows all add up to one number, and maybe one that stands
    alone; the shared number near the threshold, where room runs out."""
    threshold = draw(st.integers(3, 6))
    total = draw(
        st.one_of(
            st.integers(0, 3 * threshold),
            st.sampled_from([threshold - 1, threshold, threshold + 1, 2 * threshold]),
        )
    )
    page = []
    for _ in range(draw(st.integers(1, 3))):
        n_cols = draw(st.sampled_from([1, 2, 3, 4]))
        rows = []
        for _ in range(draw(st.integers(1, 3))):
            cuts = sorted(
                draw(st.lists(st.integers(0, total), min_size=n_cols - 1, max_size=n_cols - 1))
            )
            bounds = [0, *cuts, total]
            rows.append([b - a for a, b in pairwise(bounds)])
        page.append(
            Table(
                rows, row_totals=draw(st.booleans()), column_totals=False, shared_row_total=COMPARED
            )
        )
    if draw(st.booleans()):
        counts, _t, row_totals, column_totals = draw(tables())
        page.insert(draw(st.integers(0, len(page))), Table(counts, row_totals, column_totals))
    return page, threshold


@settings(max_examples=300, deadline=None)
@given(sharing_pages())
def test_no_primary_value_can_be_derived_from_a_page_sharing_a_total(page):
    tables, threshold = page
    results = protect_page(tables, threshold=threshold)
    assert_safe(tables, results, threshold)
    texts_of_shared = set()
    for table, result in zip(tables, results, strict=True):
        if table.shared_row_total is None:  # shares nothing: as if alone on its page
            assert [result] == protect_page([table], threshold=threshold)
        elif not result.withheld:
            texts_of_shared.update(cell.text for cell in result.row_totals or [])
    assert len(texts_of_shared) <= 1  # one number, the same wherever it is shown
    assert results == protect_page(tables, threshold=threshold)  # deterministic
