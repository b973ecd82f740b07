"""Charts drawn on the server as plain SVG: no script, no external library, printable.

A chart only repeats a table that is always shown beside it, so screen-reader users and
anyone printing in black and white get the same figures. Suppressed cells draw no bar and
carry their shown text ("<5", "×") instead of a number, so a chart never reveals more than
the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Colours with at least 3:1 contrast against white (WCAG 2.1 non-text contrast).
PALETTE = ("#1f5fa8", "#a04a00", "#2e7d32", "#6a3d9a", "#555555")
LABEL_WIDTH = 190
BAR_AREA = 330
ROW_HEIGHT = 26


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the shown value: "12", "<5", "×"
    y: int
    width: int
    colour: str


@dataclass
class HorizontalBars:
    """One bar per category, for a single series (counts per source, per reason …)."""

    title: str
    bars: list[Bar] = field(default_factory=list)
    height: int = 0
    width: int = LABEL_WIDTH + BAR_AREA + 60
    label_width: int = LABEL_WIDTH


def horizontal_bars(title: str, items) -> HorizontalBars:
    """`items`: (label, value or None when suppressed, shown text)."""
    items = list(items)
    largest = max((value for _label, value, _text in items if value), default=0)
    chart = HorizontalBars(title=title, height=ROW_HEIGHT * len(items) + 8)
    for index, (label, value, text) in enumerate(items):
        width = round(BAR_AREA * value / largest) if value and largest else 0
        chart.bars.append(Bar(label, text, 4 + index * ROW_HEIGHT, width, PALETTE[0]))
    return chart


@dataclass(frozen=True)
class Column:
    x: int
    y: int
    height: int
    text: str
    colour: str
    series: str


@dataclass
class ColumnGroup:
    label: str
    x: int
    columns: list[Column]


@dataclass
class GroupedColumns:
    """Several series side by side per category (intakes, enrolments, discharges per period)."""

    title: str
    groups: list[ColumnGroup] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (series, colour)
    width: int = 0
    height: int = 0
    baseline: int = 0


COLUMN_WIDTH = 18
GROUP_GAP = 26
GROUP_MIN = 110
PLOT_HEIGHT = 160


def grouped_columns(title: str, categories, series) -> GroupedColumns:
    """`categories`: labels along the x axis; `series`: (name, [(value or None, text)]) with
    one entry per category."""
    categories = list(categories)
    series = list(series)
    largest = max((value for _name, cells in series for value, _text in cells if value), default=0)
    # Wide enough for its label (about 16 characters) under the columns.
    group_width = max(COLUMN_WIDTH * len(series) + GROUP_GAP, GROUP_MIN)
    chart = GroupedColumns(
        title=title,
        width=max(group_width * len(categories) + 20, 320),
        height=PLOT_HEIGHT + 60,
        baseline=PLOT_HEIGHT + 20,
        legend=[(name, PALETTE[i % len(PALETTE)]) for i, (name, _cells) in enumerate(series)],
    )
    for c, label in enumerate(categories):
        x0 = 10 + c * group_width
        columns = []
        for s, (name, cells) in enumerate(series):
            value, text = cells[c]
            height = round(PLOT_HEIGHT * value / largest) if value and largest else 0
            columns.append(
                Column(
                    x=x0 + s * COLUMN_WIDTH,
                    y=chart.baseline - height,
                    height=height,
                    text=text,
                    colour=PALETTE[s % len(PALETTE)],
                    series=name,
                )
            )
        chart.groups.append(ColumnGroup(label, x0, columns))
    return chart
