"""Small-cell suppression for published count tables.

Leadership and analysts see counts, never people, but a count of 1 or 2 in a small unit can point
at a person. So every published count below the threshold is hidden as "<t" (*primary*
suppression), and further counts are hidden as "×" (*complementary* suppression) until no hidden
small count can be recovered by subtracting what is shown from a row or column total.

Attacker model (deliberately generous to the attacker):

* every shown number is exact;
* a primary-suppressed count is known to lie in ``[0, threshold - 1]`` (the text says so).
  Zeros are hidden too: were they shown, "<t" would mean 1..t-1, and t-1 cells of "<t" under a
  total of "<t" would each be known to be 1 whatever else is hidden;
* a complementary-suppressed count is known to be ``>= threshold`` (else it would be primary);
* totals that are not published are unknown;
* rows add up to their row totals, columns to their column totals, and the totals to the grand
  total.

A primary count is *derivable* when it has the same value in every table consistent with that
knowledge. We check this exactly with a network argument. Put the table and its margins into an
``(R + 1) x (C + 1)`` matrix with the margins negated::

    x[0][0] ... x[0][C-1]   -r[0]
    ...
    -c[0]   ... -c[C-1]      T

Every row and every column of that matrix sums to zero. Read entry ``(i, j)`` as an edge between
"row node" ``i`` and "column node" ``j`` of a bipartite graph; a change to the hidden entries that
keeps all sums at zero is then a circulation, and it decomposes into alternating cycles (+1, -1,
+1, ...). The matrix is totally unimodular, so if an entry can change at all it can change by
one step along a single cycle. Hence a suppressed entry can take another value iff it lies on a
directed cycle of the *residual graph*: for each hidden entry, an arc row -> column when its
matrix value may grow by one within its bounds, and an arc column -> row when it may shrink.
Unpublished margins are hidden entries without bounds.

The complementary step is greedy: for each primary entry that is still derivable, find the
cheapest such cycle when shown entries may be hidden too (inner cells before totals, then smaller
counts first), and hide the shown entries on it. Hiding more never makes a protected entry
derivable again (it only adds arcs), so one pass over the primary entries suffices and the loop
always ends. Everything is iterated in a fixed order, so the output is deterministic. Checks use
a cached breadth-first search, so a 290 x 10 table takes a fraction of a second.

Thresholds below 3 are refused: with 2, a hidden total of exactly 2 over two "<2" cells gives
both away whatever else is hidden (see `_check_threshold`).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

COMPLEMENTARY_TEXT = "×"


@dataclass(frozen=True)
class Cell:
    """One published number; ``value`` is None when hidden so the true count never escapes."""

    value: int | None
    text: str
    primary: bool = False

    @property
    def suppressed(self) -> bool:
        return self.value is None

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Protected:
    """A table ready to publish: inner cells plus the margins that were asked for."""

    cells: list[list[Cell]]
    row_totals: list[Cell] | None
    column_totals: list[Cell] | None
    total: Cell | None  # only when both margins are published


def _check_threshold(threshold: int) -> None:
    """Refuse thresholds that the display itself would betray.

    With 1, "<1" means 0. With 2, a hidden total "×" (so >= 2) over two "<2" cells (so <= 1
    each) forces both to be 1, however much else is hidden. From 3 on there is always room.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 3:
        raise ValueError(f"threshold must be an integer >= 3, not {threshold!r}")


def _primary_text(threshold: int) -> str:
    return f"<{threshold}"


def protect_value(n: int, *, threshold: int) -> Cell:
    """A lone count (no totals to subtract from): only primary suppression applies."""
    _check_threshold(threshold)
    if n < 0:
        raise ValueError("counts cannot be negative")
    if n < threshold:
        return Cell(None, _primary_text(threshold), primary=True)
    return Cell(n, str(n))


class _Status(Enum):
    SHOWN = "shown"
    PRIMARY = "primary"
    COMPLEMENTARY = "complementary"
    FREE = "free"  # an unpublished margin: the attacker knows nothing about it


@dataclass
class _Entry:
    row: int  # 0..R, R being the row of column totals
    col: int  # 0..C, C being the column of row totals
    count: int
    sign: int  # +1 for inner cells and the grand total, -1 for margins (see module docstring)
    is_total: bool
    status: _Status


# Path costs compare as tuples: fewer hidden totals first, then a smaller sum of hidden counts,
# then fewer hidden cells.
_ZERO = (0, 0, 0)


class _Network:
    """The extended matrix as a bipartite residual graph (row nodes 0..R, column nodes R+1..)."""

    def __init__(self, entries: dict[tuple[int, int], _Entry], rows: int, cols: int, t: int):
        self.entries = entries
        self.rows = rows  # R: row nodes are 0..R
        self.cols = cols  # C: column nodes are R+1 .. R+1+C
        self.t = t
        self._residual: list[list[tuple[int, _Entry]]] | None = None

    def col_node(self, j: int) -> int:
        return self.rows + 1 + j

    def _count_moves(self, entry: _Entry, status: _Status) -> tuple[bool, bool]:
        """Whether the count may go (up, down) by one under the attacker's bounds for `status`."""
        if status is _Status.FREE:
            return True, True
        if status is _Status.PRIMARY:
            return entry.count < self.t - 1, entry.count > 0
        if status is _Status.COMPLEMENTARY:
            return True, entry.count > self.t
        return False, False

    def _matrix_moves(self, entry: _Entry, status: _Status) -> tuple[bool, bool]:
        """Moves of the (signed) matrix value: grow = arc row->column, shrink = column->row."""
        up, down = self._count_moves(entry, status)
        return (up, down) if entry.sign > 0 else (down, up)

    def _arcs(self, node: int, exclude: _Entry):
        """Arcs (next node, entry, cost) leaving `node` if shown entries may be hidden too.

        A shown entry is costed as if it were hidden as complementary (known to be >= t).
        """
        if node <= self.rows:  # a row node: arcs that grow an entry of this row
            line = [self.entries[node, j] for j in range(self.cols + 1)]
            grow = True
        else:  # a column node: arcs that shrink an entry of this column
            line = [self.entries[i, node - self.rows - 1] for i in range(self.rows + 1)]
            grow = False
        for entry in line:
            if entry is exclude:
                continue
            if entry.status is _Status.SHOWN:
                status, cost = _Status.COMPLEMENTARY, (int(entry.is_total), entry.count, 1)
            else:
                status, cost = entry.status, _ZERO
            moves = self._matrix_moves(entry, status)
            if grow and moves[0]:
                yield self.col_node(entry.col), entry, cost
            elif not grow and moves[1]:
                yield entry.row, entry, cost

    def _cheapest_path(self, source: int, target: int, exclude: _Entry):
        """Dijkstra from `source` to `target`; returns (cost, entries on the path) or None."""
        best = {source: _ZERO}
        previous: dict[int, tuple[int, _Entry]] = {}
        heap = [(_ZERO, source)]
        while heap:
            cost, node = heapq.heappop(heap)
            if cost > best[node]:
                continue
            if node == target:
                path = []
                while node != source:
                    node, entry = previous[node]
                    path.append(entry)
                return cost, path[::-1]
            for nxt, entry, step in self._arcs(node, exclude):
                new = (cost[0] + step[0], cost[1] + step[1], cost[2] + step[2])
                if nxt not in best or new < best[nxt]:
                    best[nxt] = new
                    previous[nxt] = (node, entry)
                    heapq.heappush(heap, (new, nxt))
        return None

    def _cheapest_cycles(self, entry: _Entry):
        """The cheapest cycle through `entry` for each direction it may move, grow first."""
        grow, shrink = self._matrix_moves(entry, entry.status)
        row, col = entry.row, self.col_node(entry.col)
        found = []
        if grow:  # arc row -> col, closed by a path col -> row
            found.append(self._cheapest_path(col, row, entry))
        if shrink:  # arc col -> row, closed by a path row -> col
            found.append(self._cheapest_path(row, col, entry))
        return [cycle for cycle in found if cycle is not None]

    def _residual_arcs(self) -> list[list[tuple[int, _Entry]]]:
        """Arcs of the hidden entries per node; cached, since most checks change nothing."""
        if self._residual is None:
            arcs: list[list[tuple[int, _Entry]]] = [[] for _ in range(self.rows + self.cols + 2)]
            for entry in self.entries.values():
                if entry.status is _Status.SHOWN:
                    continue
                grow, shrink = self._matrix_moves(entry, entry.status)
                row, col = entry.row, self.col_node(entry.col)
                if grow:
                    arcs[row].append((col, entry))
                if shrink:
                    arcs[col].append((row, entry))
            self._residual = arcs
        return self._residual

    def _reachable(self, source: int, target: int, exclude: _Entry) -> bool:
        """Plain breadth-first search over hidden entries: the fast path of `can_change`."""
        arcs = self._residual_arcs()
        seen = {source}
        queue = deque([source])
        while queue:
            for nxt, entry in arcs[queue.popleft()]:
                if nxt in seen or entry is exclude:
                    continue
                if nxt == target:
                    return True
                seen.add(nxt)
                queue.append(nxt)
        return False

    def can_change(self, entry: _Entry) -> bool:
        """True iff `entry` can take another value given what is currently shown."""
        grow, shrink = self._matrix_moves(entry, entry.status)
        row, col = entry.row, self.col_node(entry.col)
        return (grow and self._reachable(col, row, entry)) or (
            shrink and self._reachable(row, col, entry)
        )

    def protect(self, entry: _Entry) -> None:
        """Hide the cheapest set of shown entries that puts `entry` on a feasible cycle."""
        cycles = self._cheapest_cycles(entry)
        if not cycles:
            # Not seen for thresholds >= 3 (see _check_threshold); hide everything to be safe.
            hidden = list(self.entries.values())
        else:
            hidden = min(cycles, key=lambda cycle: cycle[0])[1]  # min keeps the first on ties
        for other in hidden:
            if other.status is _Status.SHOWN:
                other.status = _Status.COMPLEMENTARY
        self._residual = None


def _validate(counts: Sequence[Sequence[int]]) -> tuple[int, int]:
    rows = len(counts)
    cols = len(counts[0]) if rows else 0
    for line in counts:
        if len(line) != cols:
            raise ValueError("all rows must have the same number of columns")
        for n in line:
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise ValueError(f"counts must be non-negative integers, not {n!r}")
    return rows, cols


def protect(
    counts: Sequence[Sequence[int]],
    *,
    threshold: int,
    row_totals: bool = True,
    column_totals: bool = True,
) -> Protected:
    """Apply primary and complementary suppression to an R x C table of counts.

    Margins are computed here from the counts (never passed in) so they always agree with the
    cells; the grand total is published only when both margins are.
    """
    _check_threshold(threshold)
    rows, cols = _validate(counts)
    row_sums = [sum(line) for line in counts]
    col_sums = [sum(counts[i][j] for i in range(rows)) for j in range(cols)]
    grand = sum(row_sums)
    publish_grand = row_totals and column_totals

    def status(count: int, published: bool) -> _Status:
        if not published:
            return _Status.FREE
        return _Status.PRIMARY if count < threshold else _Status.SHOWN

    entries: dict[tuple[int, int], _Entry] = {}
    for i in range(rows):
        for j in range(cols):
            n = counts[i][j]
            entries[i, j] = _Entry(i, j, n, 1, False, status(n, True))
        entries[i, cols] = _Entry(i, cols, row_sums[i], -1, True, status(row_sums[i], row_totals))
    for j in range(cols):
        n = col_sums[j]
        entries[rows, j] = _Entry(rows, j, n, -1, True, status(n, column_totals))
    entries[rows, cols] = _Entry(rows, cols, grand, 1, True, status(grand, publish_grand))

    network = _Network(entries, rows, cols, threshold)
    # Fixed order: inner cells row by row, then row totals, column totals, grand total.
    order = sorted(entries.values(), key=lambda e: (e.is_total, e.row == rows, e.row, e.col))
    for entry in order:
        if entry.status is _Status.PRIMARY and not network.can_change(entry):
            network.protect(entry)

    def cell(entry: _Entry) -> Cell:
        if entry.status is _Status.PRIMARY:
            return Cell(None, _primary_text(threshold), primary=True)
        if entry.status is _Status.COMPLEMENTARY:
            return Cell(None, COMPLEMENTARY_TEXT)
        return Cell(entry.count, str(entry.count))

    return Protected(
        cells=[[cell(entries[i, j]) for j in range(cols)] for i in range(rows)],
        row_totals=[cell(entries[i, cols]) for i in range(rows)] if row_totals else None,
        column_totals=[cell(entries[rows, j]) for j in range(cols)] if column_totals else None,
        total=cell(entries[rows, cols]) if publish_grand else None,
    )
