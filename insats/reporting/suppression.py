"""Small-cell suppression for published count tables.

Leadership and analysts see counts, never people, but a count of 1 or 2 in a small unit can point
at a person. So every published count below the threshold is hidden as "<t" (*primary*
suppression), and further counts are hidden as "×" (*complementary* suppression) until no hidden
small count can be recovered from what the page shows.

A page is protected as a whole (`protect_page`), because its tables can share numbers: every row
of the change per life area and every row of the indicator changes counts each compared case
once, so all those rows add up to one number, the cases compared. A reader who sees that number
anywhere, or can add it up from one fully shown row, knows every such row's total, whether or
not the row shows it; and "Förbättrad 5" in a row of 5 then gives away the row's three hidden
cells (all 0). A table declares such a number by name (`Table.shared_row_total`); rows of every
table with the same name add up to it.

Attacker model (deliberately generous to the attacker):

* every shown number is exact;
* a primary-suppressed count is known to lie in ``[0, threshold - 1]`` (the text says so).
  Zeros are hidden too: were they shown, "<t" would mean 1..t-1, and t-1 cells of "<t" under a
  total of "<t" would each be known to be 1 whatever else is hidden;
* a complementary-suppressed count is known to be ``>= threshold`` (else it would be primary);
* totals that are not published are unknown, except for structure: rows sharing a total add
  up to the same number even where no table shows it;
* rows add up to their row totals, columns to their column totals, and the totals to the grand
  total.

A primary count is *derivable* when it has the same value in every set of tables consistent with
that knowledge. We check this exactly with a network argument: every constraint above is flow
conservation at a node of a directed graph, each published or hidden number being the flow on
one arc.

* A cross table with its margins: "row node" ``i`` for each row, "column node" ``j`` for each
  column, node ``R`` for the column totals and node ``C`` for the row totals. Cell ``(i, j)`` is
  an arc ``i -> j``, row total ``i`` an arc ``C -> i``, column total ``j`` an arc ``j -> R``, the
  grand total an arc ``R -> C``. Conservation at row node ``i`` says the row adds up to its
  total, at column node ``j`` that the column does, at ``R`` and ``C`` that both kinds of margin
  add up to the grand total. Unpublished margins are arcs without bounds.
* Rows sharing a total (from one table or several; such tables publish no column totals): a ring
  of nodes ``v0 -> v1 -> ... -> vK -> v0``. Row ``k``'s cells are parallel arcs ``v(k-1) -> vk``
  and the shared total is the arc ``vK -> v0``: conservation at every node says each row adds up
  to the shared total. The total is published when some table of the ring shows its row totals,
  else it is an arc without bounds (the rows still add up to the same number).

A change to the hidden numbers that keeps every table consistent is then a circulation, and it
decomposes into cycles. The constraint matrix is a node-arc incidence matrix, hence totally
unimodular, so if a number can change at all it can change by one step along a single cycle.
Hence a suppressed number can take another value iff it lies on a directed cycle of the
*residual graph*: for each hidden number an arc tail -> head when it may grow by one within its
bounds, and an arc head -> tail when it may shrink.

The complementary step is greedy: for each primary entry that is still derivable, find the
cheapest such cycle when shown entries may be hidden too (inner cells before totals, then smaller
counts first), and hide the shown entries on it. Hiding more never makes a protected entry
derivable again (it only adds arcs), so one pass over the primary entries suffices and the loop
always ends. Everything is iterated in a fixed order, so the output is deterministic. Checks use
a cached breadth-first search, so a 290 x 10 table takes a fraction of a second.

When not even hiding every shown number would protect a primary entry, the displayed bounds
alone give it away, and the table (with every table it shares a total with) is *withheld*: it
publishes nothing (`Protected.withheld`, every text ".."). It is rare, but it happens: with
threshold 3, in ``[[1, 2], [1, 2]]`` with both margins each row total "×" is at least 3 and each
cell "<3" at most 2, so each cell of the first column is at least 1, and their total "<3" makes
both exactly 1, and then everything else follows. Rows sharing a total add more ways: with
threshold 4, a row "<4 <4 <4 <4" says the shared total is at most 12, so in a row 4 + 4 + 4 + 0
the 0 is 0 whatever is hidden. Thresholds below 3 are refused outright (see `_check_threshold`).
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

COMPLEMENTARY_TEXT = "×"
WITHHELD_TEXT = ".."  # as in official statistics: figure not available


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


WITHHELD = Cell(None, WITHHELD_TEXT)


@dataclass(frozen=True)
class Table:
    """One table of a page as `protect_page` takes it: counts and which margins it publishes.

    ``shared_row_total`` names a number every row of the table adds up to (a reader knows this
    from what the table counts); rows of all tables of the page with the same name add up to the
    same number. Such a table publishes no column totals.
    """

    counts: Sequence[Sequence[int]]
    row_totals: bool = True
    column_totals: bool = True
    shared_row_total: str | None = None


@dataclass(frozen=True)
class Protected:
    """A table ready to publish: inner cells plus the margins that were asked for."""

    cells: list[list[Cell]]
    row_totals: list[Cell] | None
    column_totals: list[Cell] | None
    total: Cell | None  # only when both margins are published
    withheld: bool = False  # nothing can be shown: every cell is WITHHELD


def _check_threshold(threshold: int) -> None:
    """Refuse thresholds that the display itself would betray.

    With 1, "<1" means 0. With 2, a hidden total "×" (so >= 2) over two "<2" cells (so <= 1
    each) forces both to be 1, however much else is hidden: nearly every table with a small
    count would be withheld. From 3 on that takes a rare pattern (see the module docstring).
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
    FREE = "free"  # an unpublished total: the attacker knows nothing about its value


@dataclass(eq=False)
class _Entry:
    """One number of the page: the flow on the arc tail -> head (see the module docstring)."""

    tail: int
    head: int
    count: int
    is_total: bool
    status: _Status
    component: int  # the tables it is protected with: one table, or a ring of shared totals
    order: tuple  # where the greedy pass meets it
    down_first: bool = False  # on equal cost, prefer the cycle that lowers it (for margins)


# Path costs compare as tuples: fewer hidden totals first, then a smaller sum of hidden counts,
# then fewer hidden cells.
_ZERO = (0, 0, 0)


class _Network:
    """The page as a residual graph over its nodes."""

    def __init__(self, entries: list[_Entry], nodes: int, t: int):
        self.entries = entries
        self.t = t
        self.incident: list[list[_Entry]] = [[] for _ in range(nodes)]
        for entry in entries:  # creation order: it settles ties, so keep it fixed
            self.incident[entry.tail].append(entry)
            self.incident[entry.head].append(entry)
        self._residual: list[list[tuple[int, _Entry]]] | None = None

    def _moves(self, entry: _Entry, status: _Status) -> tuple[bool, bool]:
        """Whether the count may go (up, down) by one under the attacker's bounds for `status`."""
        if status is _Status.FREE:
            return True, True
        if status is _Status.PRIMARY:
            return entry.count < self.t - 1, entry.count > 0
        if status is _Status.COMPLEMENTARY:
            return True, entry.count > self.t
        return False, False

    def _arcs(self, node: int, exclude: _Entry):
        """Arcs (next node, entry, cost) leaving `node` if shown entries may be hidden too.

        A shown entry is costed as if it were hidden as complementary (known to be >= t).
        """
        for entry in self.incident[node]:
            if entry is exclude:
                continue
            if entry.status is _Status.SHOWN:
                status, cost = _Status.COMPLEMENTARY, (int(entry.is_total), entry.count, 1)
            else:
                status, cost = entry.status, _ZERO
            up, down = self._moves(entry, status)
            if entry.tail == node and up:
                yield entry.head, entry, cost
            elif entry.head == node and down:
                yield entry.tail, entry, cost

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
        """The cheapest cycle through `entry` for each direction it may move, up first."""
        up, down = self._moves(entry, entry.status)
        found = []
        if up:  # arc tail -> head, closed by a path head -> tail
            found.append(self._cheapest_path(entry.head, entry.tail, entry))
        if down:  # arc head -> tail, closed by a path tail -> head
            found.append(self._cheapest_path(entry.tail, entry.head, entry))
        if entry.down_first:
            found.reverse()
        return [cycle for cycle in found if cycle is not None]

    def _residual_arcs(self) -> list[list[tuple[int, _Entry]]]:
        """Arcs of the hidden entries per node; cached, since most checks change nothing."""
        if self._residual is None:
            arcs: list[list[tuple[int, _Entry]]] = [[] for _ in self.incident]
            for entry in self.entries:
                if entry.status is _Status.SHOWN:
                    continue
                up, down = self._moves(entry, entry.status)
                if up:
                    arcs[entry.tail].append((entry.head, entry))
                if down:
                    arcs[entry.head].append((entry.tail, entry))
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
        up, down = self._moves(entry, entry.status)
        return (up and self._reachable(entry.head, entry.tail, entry)) or (
            down and self._reachable(entry.tail, entry.head, entry)
        )

    def protect(self, entry: _Entry) -> bool:
        """Hide the cheapest set of shown entries that puts `entry` on a feasible cycle.

        False when there is none: even with everything else hidden, `entry` is known.
        """
        cycles = self._cheapest_cycles(entry)
        if not cycles:
            return False
        for other in min(cycles, key=lambda cycle: cycle[0])[1]:  # min keeps the first on ties
            if other.status is _Status.SHOWN:
                other.status = _Status.COMPLEMENTARY
        self._residual = None
        return True


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


class _Builder:
    """Puts the tables of a page into one network and reads the result back."""

    def __init__(self, tables: Sequence[Table], threshold: int):
        self.tables = list(tables)
        self.t = threshold
        self.entries: list[_Entry] = []
        self.nodes = 0
        self.cells: list[list[list[_Entry]]] = []  # per table, row, column
        self.row_totals: list[list[_Entry] | None] = []
        self.column_totals: list[list[_Entry] | None] = []
        self.totals: list[_Entry | None] = []
        self.component: list[int] = []  # per table

    def _status(self, count: int, published: bool) -> _Status:
        if not published:
            return _Status.FREE
        return _Status.PRIMARY if count < self.t else _Status.SHOWN

    def _entry(
        self, tail, head, count, is_total, published, component, order, down_first=False
    ) -> _Entry:
        entry = _Entry(
            tail,
            head,
            count,
            is_total,
            self._status(count, published),
            component,
            order,
            down_first,
        )
        self.entries.append(entry)
        return entry

    def _nodes(self, n: int) -> int:
        first = self.nodes
        self.nodes += n
        return first

    def build(self) -> _Network:
        shapes = [_validate(table.counts) for table in self.tables]
        rings: dict[str, list[int]] = {}
        for index, table in enumerate(self.tables):
            if table.shared_row_total is not None:
                if table.column_totals:
                    raise ValueError("a table with a shared row total publishes no column totals")
                rings.setdefault(table.shared_row_total, []).append(index)
        self.cells = [[] for _ in self.tables]
        self.row_totals = [None] * len(self.tables)
        self.column_totals = [None] * len(self.tables)
        self.totals = [None] * len(self.tables)
        self.component = [0] * len(self.tables)
        components = 0
        for index, table in enumerate(self.tables):
            if table.shared_row_total is None:
                self._cross_table(index, *shapes[index], component=components)
                components += 1
        for name, members in rings.items():
            self._ring(name, members, shapes, component=components)
            components += 1
        return _Network(self.entries, self.nodes, self.t)

    def _cross_table(self, index: int, rows: int, cols: int, component: int) -> None:
        """Row nodes 0..R (R: the column totals), column nodes 0..C (C: the row totals).

        The margins run from column to row nodes, against the cells: on equal cost, the cycle
        that lowers a margin is taken first, as the choice among equally cheap cycles has
        always been made.
        """
        table = self.tables[index]
        counts = table.counts
        row_node = self._nodes(rows + 1)
        col_node = self._nodes(cols + 1)
        publish_grand = table.row_totals and table.column_totals
        self.component[index] = component

        def order(rank: int, i: int, j: int) -> tuple:
            return (rank > 0, index, rank, i, j)

        row_totals = []
        for i in range(rows):
            line = []
            for j in range(cols):
                line.append(
                    self._entry(
                        row_node + i,
                        col_node + j,
                        counts[i][j],
                        False,
                        True,
                        component,
                        order(0, i, j),
                    )
                )
            self.cells[index].append(line)
            row_totals.append(
                self._entry(
                    col_node + cols,
                    row_node + i,
                    sum(counts[i]),
                    True,
                    table.row_totals,
                    component,
                    order(1, i, cols),
                    down_first=True,
                )
            )
        column_totals = [
            self._entry(
                col_node + j,
                row_node + rows,
                sum(counts[i][j] for i in range(rows)),
                True,
                table.column_totals,
                component,
                order(2, rows, j),
                down_first=True,
            )
            for j in range(cols)
        ]
        grand = self._entry(
            row_node + rows,
            col_node + cols,
            sum(map(sum, counts)),
            True,
            publish_grand,
            component,
            order(3, rows, cols),
        )
        self.row_totals[index] = row_totals if table.row_totals else None
        self.column_totals[index] = column_totals if table.column_totals else None
        self.totals[index] = grand if publish_grand else None

    def _ring(self, name: str, members: list[int], shapes, component: int) -> None:
        """Nodes v0..vK for the K rows of every member table, in page order."""
        lines = [(index, i) for index in members for i in range(shapes[index][0])]
        sums = {sum(self.tables[index].counts[i]) for index, i in lines}
        if len(sums) > 1:
            raise ValueError(f"rows said to share the total {name!r} add up to {sorted(sums)}")
        for index in members:
            self.component[index] = component
        if not lines:
            for index in members:
                self.row_totals[index] = [] if self.tables[index].row_totals else None
            return
        first = self._nodes(len(lines) + 1)
        for k, (index, i) in enumerate(lines):
            self.cells[index].append(
                [
                    self._entry(
                        first + k, first + k + 1, n, False, True, component, (False, index, 0, i, j)
                    )
                    for j, n in enumerate(self.tables[index].counts[i])
                ]
            )
        published = any(self.tables[index].row_totals for index in members)
        shared = self._entry(
            first + len(lines),
            first,
            sums.pop(),
            True,
            published,
            component,
            (True, members[0], 1, 0, 0),
        )
        for index in members:
            rows = shapes[index][0]
            self.row_totals[index] = [shared] * rows if self.tables[index].row_totals else None

    def protected(self, withheld: set[int]) -> list[Protected]:
        result = []
        for index in range(len(self.tables)):
            hide_all = self.component[index] in withheld

            def show(entry: _Entry, hide_all=hide_all) -> Cell:
                if hide_all:
                    return WITHHELD
                if entry.status is _Status.PRIMARY:
                    return Cell(None, _primary_text(self.t), primary=True)
                if entry.status is _Status.COMPLEMENTARY:
                    return Cell(None, COMPLEMENTARY_TEXT)
                return Cell(entry.count, str(entry.count))

            def line(entries: list[_Entry] | None, show=show) -> list[Cell] | None:
                return None if entries is None else [show(entry) for entry in entries]

            total = self.totals[index]
            result.append(
                Protected(
                    cells=[line(entries) for entries in self.cells[index]],
                    row_totals=line(self.row_totals[index]),
                    column_totals=line(self.column_totals[index]),
                    total=None if total is None else show(total),
                    withheld=hide_all,
                )
            )
        return result


def protect_page(tables: Sequence[Table], *, threshold: int) -> list[Protected]:
    """Apply primary and complementary suppression to all the tables one page shows.

    Margins are computed here from the counts (never passed in) so they always agree with the
    cells; a table's grand total is published only when both its margins are. Tables that share
    no total are protected each on its own, exactly as `protect` would.
    """
    _check_threshold(threshold)
    builder = _Builder(tables, threshold)
    network = builder.build()
    withheld: set[int] = set()
    for entry in sorted(network.entries, key=lambda e: e.order):
        if entry.component in withheld or entry.status is not _Status.PRIMARY:
            continue
        if not network.can_change(entry) and not network.protect(entry):
            withheld.add(entry.component)
    return builder.protected(withheld)


def protect(
    counts: Sequence[Sequence[int]],
    *,
    threshold: int,
    row_totals: bool = True,
    column_totals: bool = True,
) -> Protected:
    """Apply primary and complementary suppression to one R x C table of counts that shares
    no total with any other table of its page (see `protect_page`)."""
    return protect_page(
        [Table(counts, row_totals=row_totals, column_totals=column_totals)], threshold=threshold
    )[0]
