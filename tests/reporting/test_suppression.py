"""Small-cell suppression (issue #7): no hidden small count can be derived from what is shown.

The derivability check here is a brute-force oracle that shares no code or theory with the
module's network argument: it enumerates integer tables row by row and asks whether some table
consistent with the published figures gives a primary-suppressed entry another value.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insats.reporting.suppression import Cell, Protected, protect, protect_value

UNBOUNDED = 10**9
# Window for complementary cells around their true value. The attacker only knows ">= t"; the
# oracle tries fewer tables than the attacker could, so finding a second value inside the window
# still proves the entry is protected (the test can only become stricter, never laxer).
WINDOW = 2


@dataclass(frozen=True)
class Knowledge:
    """What the attacker knows: an interval per inner cell and per line sum."""

    cells: list[list[tuple[int, int]]]
    rows: list[tuple[int, int]]
    cols: list[tuple[int, int]]
    grand: tuple[int, int]


def _total_interval(cell: Cell | None, threshold: int) -> tuple[int, int]:
    if cell is None:  # not published: the attacker knows nothing
        return (-UNBOUNDED, UNBOUNDED)
    if not cell.suppressed:
        return (cell.value, cell.value)
    if cell.primary:
        return (0, threshold - 1)
    return (threshold, UNBOUNDED)


def knowledge(result: Protected, counts: list[list[int]], threshold: int) -> Knowledge:
    cells = []
    for true_line, shown_line in zip(counts, result.cells, strict=True):
        line = []
        for true, cell in zip(true_line, shown_line, strict=True):
            if not cell.suppressed:
                line.append((cell.value, cell.value))
            elif cell.primary:
                line.append((0, threshold - 1))
            else:
                line.append((max(threshold, true - WINDOW), true + WINDOW))
        cells.append(line)
    rows = [
        _total_interval(result.row_totals[i] if result.row_totals else None, threshold)
        for i in range(len(counts))
    ]
    cols = [
        _total_interval(result.column_totals[j] if result.column_totals else None, threshold)
        for j in range(len(counts[0]))
    ]
    return Knowledge(cells, rows, cols, _total_interval(result.total, threshold))


def feasible(k: Knowledge) -> bool:
    """Is there an integer table inside every interval of `k`? Row-wise DFS, memoised."""
    n_rows, n_cols = len(k.cells), len(k.cells[0])
    # Every assignment of each row that fits its row interval.
    row_options = []
    for i in range(n_rows):
        lo, hi = k.rows[i]
        ranges = [range(a, b + 1) for a, b in k.cells[i]]
        row_options.append([row for row in product(*ranges) if lo <= sum(row) <= hi])
    # Smallest and largest sum the rows from i onward can still add to each column.
    rest_min = [[0] * n_cols for _ in range(n_rows + 1)]
    rest_max = [[0] * n_cols for _ in range(n_rows + 1)]
    for i in range(n_rows - 1, -1, -1):
        for j in range(n_cols):
            rest_min[i][j] = rest_min[i + 1][j] + k.cells[i][j][0]
            rest_max[i][j] = rest_max[i + 1][j] + k.cells[i][j][1]
    dead: set[tuple[int, tuple[int, ...]]] = set()

    def fits(i: int, partial: tuple[int, ...]) -> bool:
        for j, (lo, hi) in enumerate(k.cols):
            if partial[j] + rest_min[i][j] > hi or partial[j] + rest_max[i][j] < lo:
                return False
        grand = sum(partial)
        return grand + sum(rest_min[i]) <= k.grand[1] and grand + sum(rest_max[i]) >= k.grand[0]

    def search(i: int, partial: tuple[int, ...]) -> bool:
        if i == n_rows:
            return True  # `fits` at n_rows already checked the columns and the grand total
        if (i, partial) in dead:
            return False
        for row in row_options[i]:
            new = tuple(a + b for a, b in zip(partial, row, strict=True))
            if fits(i + 1, new) and search(i + 1, new):
                return True
        dead.add((i, partial))
        return False

    start = (0,) * n_cols
    return fits(0, start) and search(0, start)


def _replace(intervals: list, index: int, value: tuple[int, int]) -> list:
    return [value if n == index else old for n, old in enumerate(intervals)]


def has_other_value(k: Knowledge, where: tuple, true: int) -> bool:
    """Can the entry at `where` differ from `true` in some table the attacker cannot rule out?

    `where` is ("cell", i, j), ("row", i), ("col", j) or ("grand",).
    """
    kind = where[0]
    current = {
        "cell": lambda: k.cells[where[1]][where[2]],
        "row": lambda: k.rows[where[1]],
        "col": lambda: k.cols[where[1]],
        "grand": lambda: k.grand,
    }[kind]()
    for piece in ((current[0], true - 1), (true + 1, current[1])):
        if piece[0] > piece[1]:
            continue
        if kind == "cell":
            i, j = where[1], where[2]
            cells = [list(line) for line in k.cells]
            cells[i][j] = piece
            variant = Knowledge(cells, k.rows, k.cols, k.grand)
        elif kind == "row":
            variant = Knowledge(k.cells, _replace(k.rows, where[1], piece), k.cols, k.grand)
        elif kind == "col":
            variant = Knowledge(k.cells, k.rows, _replace(k.cols, where[1], piece), k.grand)
        else:
            variant = Knowledge(k.cells, k.rows, k.cols, piece)
        if feasible(variant):
            return True
    return False


def primary_entries(result: Protected, counts: list[list[int]]):
    """(where, true value) of every primary-suppressed entry."""
    for i, line in enumerate(result.cells):
        for j, cell in enumerate(line):
            if cell.primary:
                yield ("cell", i, j), counts[i][j]
    for i, cell in enumerate(result.row_totals or []):
        if cell.primary:
            yield ("row", i), sum(counts[i])
    for j, cell in enumerate(result.column_totals or []):
        if cell.primary:
            yield ("col", j), sum(line[j] for line in counts)
    if result.total is not None and result.total.primary:
        yield ("grand",), sum(map(sum, counts))


def derivable(result: Protected, counts: list[list[int]], threshold: int) -> list[tuple]:
    k = knowledge(result, counts, threshold)
    assert feasible(k), "the true table must be consistent with what is published"
    return [
        where
        for where, true in primary_entries(result, counts)
        if not has_other_value(k, where, true)
    ]


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
        if true < threshold:
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
    assert derivable(result, counts, threshold) == []


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
