"""A brute-force oracle for small-cell suppression: can a reader pin down a hidden small count?

It shares no code or theory with `insats.reporting.suppression` (only its two result types):
it enumerates integer tables row by row and asks whether some set of tables consistent with the
published figures gives a primary-suppressed entry another value.

What the reader knows is every figure the page publishes and the page's structure: rows add up
to their totals, columns to theirs, and rows of tables that share a total (every row of the
change per life area and of the indicator changes counts each compared case once) add up to one
number, published or not. A table is described by anything with ``counts`` and
``shared_row_total`` (a name, or None); its published figures are a `Protected`, read as the
reader reads them: "<t" is 0..t-1, "×" at least t, ".." nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import product

from insats.reporting.suppression import Cell, Protected

WITHHELD_TEXT = ".."

UNBOUNDED = 10**9
# Window for complementary cells around their true value. The attacker only knows ">= t"; the
# oracle tries fewer tables than the attacker could, so finding a second value inside the window
# still proves the entry is protected (the test can only become stricter, never laxer).
WINDOW = 2


@dataclass(frozen=True)
class Knowledge:
    """What the attacker knows of one table: an interval per inner cell and per line sum."""

    cells: list[list[tuple[int, int]]]
    rows: list[tuple[int, int]]
    cols: list[tuple[int, int]]
    grand: tuple[int, int]


@dataclass(frozen=True)
class Shared:
    """Rows, as (table, row), that add up to one number; and what is known of that number."""

    rows: tuple[tuple[int, int], ...]
    interval: tuple[int, int]


@dataclass(frozen=True)
class PageKnowledge:
    tables: dict[int, Knowledge]  # by the table's place on the page; withheld tables left out
    shared: list[Shared]


def _interval(cell: Cell | None, threshold: int) -> tuple[int, int]:
    if cell is None or cell.text == WITHHELD_TEXT:  # not published: nothing known
        return (-UNBOUNDED, UNBOUNDED)
    if not cell.suppressed:
        return (cell.value, cell.value)
    if cell.primary:
        return (0, threshold - 1)
    return (threshold, UNBOUNDED)


def knowledge(
    result: Protected, counts: list[list[int]], threshold: int, *, row_totals: bool = True
) -> Knowledge:
    """One table's published figures; `row_totals=False` leaves its row totals to `Shared`."""
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
        _interval(result.row_totals[i] if result.row_totals and row_totals else None, threshold)
        for i in range(len(counts))
    ]
    cols = [
        _interval(result.column_totals[j] if result.column_totals else None, threshold)
        for j in range(len(counts[0]))
    ]
    return Knowledge(cells, rows, cols, _interval(result.total, threshold))


def withheld(result: Protected) -> bool:
    """Nothing published: every figure reads "..", as a withheld table's do."""
    figures = [
        *(cell for line in result.cells for cell in line),
        *(result.row_totals or []),
        *(result.column_totals or []),
        *([result.total] if result.total is not None else []),
    ]
    return all(cell.text == WITHHELD_TEXT for cell in figures)


def page_knowledge(tables: list, results: list[Protected], threshold: int):
    """The page's published figures plus its structure: rows sharing a total are one `Shared`,
    known as well as the best table of it that shows its row totals says."""
    known = {}
    groups: dict[str, list[tuple[int, int]]] = {}
    intervals: dict[str, tuple[int, int]] = {}
    for index, (table, result) in enumerate(zip(tables, results, strict=True)):
        if withheld(result):
            continue
        name = table.shared_row_total
        known[index] = knowledge(
            result, [list(line) for line in table.counts], threshold, row_totals=name is None
        )
        if name is None:
            continue
        groups.setdefault(name, []).extend((index, i) for i in range(len(table.counts)))
        lo, hi = intervals.get(name, (-UNBOUNDED, UNBOUNDED))
        for cell in result.row_totals or []:
            a, b = _interval(cell, threshold)
            lo, hi = max(lo, a), min(hi, b)
        intervals[name] = (lo, hi)
    shared = [Shared(tuple(rows), intervals[name]) for name, rows in groups.items()]
    return PageKnowledge(known, shared)


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


def feasible_page(page: PageKnowledge) -> bool:
    """Is there a set of integer tables inside every interval, rows sharing a total adding up
    to the same number? Tries every value of each shared total the rows leave possible."""
    choices = []
    for group in page.shared:
        lo, hi = group.interval
        if not group.rows:  # nothing adds up to it: any one value will do
            choices.append(range(lo, lo + 1) if lo <= hi else range(0))
            continue
        for index, i in group.rows:
            line = page.tables[index].cells[i]
            lo = max(lo, sum(a for a, _b in line))
            hi = min(hi, sum(b for _a, b in line))
        choices.append(range(lo, hi + 1))
    for values in product(*choices):
        rows = {index: list(k.rows) for index, k in page.tables.items()}
        for group, n in zip(page.shared, values, strict=True):
            for index, i in group.rows:
                a, b = rows[index][i]
                rows[index][i] = (max(a, n), min(b, n))  # empty when n is outside it
        if all(
            all(a <= b for a, b in rows[index]) and feasible(replace(k, rows=rows[index]))
            for index, k in page.tables.items()
        ):
            return True
    return False


def _replace(intervals: list, index: int, value: tuple[int, int]) -> list:
    return [value if n == index else old for n, old in enumerate(intervals)]


def _variant(page: PageKnowledge, where: tuple, piece: tuple[int, int]) -> PageKnowledge:
    """`page` with the entry at `where` known to lie in `piece`."""
    if where[0] == "shared":
        shared = list(page.shared)
        shared[where[1]] = replace(shared[where[1]], interval=piece)
        return replace(page, shared=shared)
    index, kind = where[0], where[1]
    k = page.tables[index]
    if kind == "cell":
        i, j = where[2], where[3]
        cells = [list(line) for line in k.cells]
        cells[i][j] = piece
        k = replace(k, cells=cells)
    elif kind == "row":
        k = replace(k, rows=_replace(k.rows, where[2], piece))
    elif kind == "col":
        k = replace(k, cols=_replace(k.cols, where[2], piece))
    else:
        k = replace(k, grand=piece)
    return replace(page, tables={**page.tables, index: k})


def _current(page: PageKnowledge, where: tuple) -> tuple[int, int]:
    if where[0] == "shared":
        return page.shared[where[1]].interval
    k, kind = page.tables[where[0]], where[1]
    if kind == "cell":
        return k.cells[where[2]][where[3]]
    if kind == "row":
        return k.rows[where[2]]
    if kind == "col":
        return k.cols[where[2]]
    return k.grand


def has_other_value(page: PageKnowledge, where: tuple, true: int) -> bool:
    """Can the entry at `where` differ from `true` in some page the attacker cannot rule out?

    `where` is (table, "cell", i, j), (table, "row", i), (table, "col", j), (table, "grand")
    or ("shared", index into `page.shared`).
    """
    current = _current(page, where)
    for piece in ((current[0], true - 1), (true + 1, current[1])):
        if piece[0] <= piece[1] and feasible_page(_variant(page, where, piece)):
            return True
    return False


def primary_entries(tables: list, results: list[Protected]):
    """(where, true value) of every primary-suppressed entry the page shows; a shared total
    once, numbered as in `page_knowledge`."""
    shared: dict[str, tuple[bool, int]] = {}  # name: (shown as primary anywhere, true value)
    for index, (table, result) in enumerate(zip(tables, results, strict=True)):
        if withheld(result):
            continue
        counts = table.counts
        for i, line in enumerate(result.cells):
            for j, cell in enumerate(line):
                if cell.primary:
                    yield (index, "cell", i, j), counts[i][j]
        name = table.shared_row_total
        if name is not None:
            primary, true = shared.get(name, (False, None))
            if counts:
                true = sum(counts[0])
            shared[name] = (primary or any(c.primary for c in result.row_totals or []), true)
        else:
            for i, cell in enumerate(result.row_totals or []):
                if cell.primary:
                    yield (index, "row", i), sum(counts[i])
        for j, cell in enumerate(result.column_totals or []):
            if cell.primary:
                yield (index, "col", j), sum(line[j] for line in counts)
        if result.total is not None and result.total.primary:
            yield (index, "grand"), sum(map(sum, counts))
    for number, (primary, true) in enumerate(shared.values()):
        if primary:
            yield ("shared", number), true


def derivable_page(tables: list, results: list[Protected], threshold: int) -> list:
    page = page_knowledge(tables, results, threshold)
    assert feasible_page(page), "the true tables must be consistent with what is published"
    return [
        where
        for where, true in primary_entries(tables, results)
        if not has_other_value(page, where, true)
    ]


@dataclass(frozen=True)
class Layout:
    """A table's counts and the structure a reader knows of it."""

    counts: list[list[int]]
    shared_row_total: str | None = None


def derivable(result: Protected, counts: list[list[int]], threshold: int) -> list[tuple]:
    """One table that shares no total: entries as ("cell", i, j), ("row", i), ("col", j)..."""
    found = derivable_page([Layout(counts)], [result], threshold)
    return [where[1:] for where in found]


def all_hidden(tables: list, results: list[Protected], threshold: int) -> list:
    """What the page would show with every number hidden that it publishes at all."""

    def hide(n: int) -> Cell:
        return Cell(None, f"<{threshold}", primary=True) if n < threshold else Cell(None, "×")

    hidden = []
    for table, result in zip(tables, results, strict=True):
        counts = [list(line) for line in table.counts]
        columns = [sum(line[j] for line in counts) for j in range(len(counts[0]))]
        hidden.append(
            Protected(
                cells=[[hide(n) for n in line] for line in counts],
                row_totals=[hide(sum(line)) for line in counts]
                if result.row_totals is not None
                else None,
                column_totals=[hide(n) for n in columns]
                if result.column_totals is not None
                else None,
                total=hide(sum(columns)) if result.total is not None else None,
            )
        )
    return hidden


def cell_from_text(text: str, threshold: int) -> Cell:
    """A published cell as a reader sees it."""
    if text == f"<{threshold}":
        return Cell(None, text, primary=True)
    if text == WITHHELD_TEXT:
        return Cell(None, text)
    if text == "×":
        return Cell(None, text)
    return Cell(int(text), text)


def shown_as(cells: list[list[str]], row_totals: list[str] | None, threshold: int) -> Protected:
    """A table with row totals only, from the texts a reader sees."""
    return Protected(
        cells=[[cell_from_text(text, threshold) for text in line] for line in cells],
        row_totals=None
        if row_totals is None
        else [cell_from_text(text, threshold) for text in row_totals],
        column_totals=None,
        total=None,
    )
