"""The geometry of the server-drawn SVG charts (earnings page, rightsholder dashboard).

Pure functions from numbers to coordinates in a fixed viewBox; the templates
(templates/charts/) draw them, and CSS scales the SVG to its container's width. No
Django, no database: callers aggregate first and pass plain numbers in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta


def scale(value: int, top: int, span: float) -> float:
    """``value`` as a length out of ``span``, where ``top`` fills the whole span.
    Zero (and anything not positive) for an empty scale or a negative value."""
    if top <= 0 or value <= 0:
        return 0.0
    return round(min(value, top) / top * span, 1)


@dataclass(frozen=True)
class Datum:
    """One column (or row) of input: its label, its values (one per series, stacked
    bottom-up in a column chart) and the tooltip text of the whole column."""

    label: str
    values: tuple[int, ...]
    title: str = ""
    text: str = ""  # how a bar chart prints the value ("$12.00"); the number if empty
    series: str = "bar"  # a bar chart's CSS class suffix for this bar ("refused")

    @property
    def total(self) -> int:
        return sum(v for v in self.values if v > 0)


@dataclass(frozen=True)
class Segment:
    series: str
    value: int
    y: float
    h: float
    title: str


@dataclass(frozen=True)
class Column:
    label: str
    total: int
    x: float
    w: float
    y: float  # top of the whole stack
    segments: tuple[Segment, ...]
    title: str


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    left: int
    baseline: float
    top_value: int
    columns: tuple[Column, ...]

    @property
    def first_label(self) -> str:
        return self.columns[0].label if self.columns else ""

    @property
    def last_label(self) -> str:
        return self.columns[-1].label if self.columns else ""

    @property
    def middle_label(self) -> str:
        """The middle column's label, when there are enough columns to need one."""
        return self.columns[len(self.columns) // 2].label if len(self.columns) >= 5 else ""

    @property
    def middle_x(self) -> float:
        if not self.middle_label:
            return 0.0
        column = self.columns[len(self.columns) // 2]
        return round(column.x + column.w / 2, 1)


def column_chart(
    data: Sequence[Datum],
    *,
    series: Sequence[str] = ("value",),
    width: int = 600,
    height: int = 180,
    pad: int = 24,
    max_column: float = 40,
) -> ColumnChart:
    """Vertical columns, one per datum, evenly spaced between ``pad`` and the right
    edge, each a stack of one segment per series (negative values count as zero). The
    tallest column reaches ``pad`` from the top; with no positive value every column is
    flat on the baseline. A column is at most ``max_column`` wide, centred in its slot,
    so that one or two data points do not fill the chart with one slab."""
    top = max((d.total for d in data), default=0)
    plot = height - 2 * pad
    baseline = float(height - pad)
    step = (width - pad) / max(len(data), 1)
    columns = []
    for i, datum in enumerate(data):
        w = round(min(step * 0.7, max_column), 1)
        x = round(pad + i * step + (step - w) / 2, 1)
        segments = []
        floor = 0
        for name, value in zip(series, datum.values, strict=True):
            value = max(value, 0)
            bottom = baseline - scale(floor, top, plot)
            floor += value
            upper = baseline - scale(floor, top, plot)
            segments.append(
                Segment(
                    series=name,
                    value=value,
                    y=round(upper, 1),
                    h=round(bottom - upper, 1),
                    title=datum.title,
                )
            )
        columns.append(
            Column(
                label=datum.label,
                total=datum.total,
                x=x,
                w=w,
                y=round(baseline - scale(datum.total, top, plot), 1),
                segments=tuple(segments),
                title=datum.title,
            )
        )
    return ColumnChart(
        width=width,
        height=height,
        left=pad,
        baseline=baseline,
        top_value=top,
        columns=tuple(columns),
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float
    w: float
    value_x: float  # where the bar's number starts, just after its end
    text_y: float
    title: str
    text: str
    series: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bar_x: int
    bar_height: int
    top_value: int
    bars: tuple[Bar, ...]


def bar_chart(
    data: Sequence[Datum],
    *,
    width: int = 600,
    label_width: int = 180,
    value_width: int = 48,
    row: int = 30,
    bar_height: int = 18,
) -> BarChart:
    """Horizontal bars, one row per datum (its first value), in the given order: the
    label on the left, the bar from ``label_width``, the longest bar ending
    ``value_width`` short of the right edge to leave room for its number."""
    top = max((max(d.values[0], 0) for d in data), default=0)
    span = width - label_width - value_width
    bars = tuple(
        Bar(
            label=d.label,
            value=max(d.values[0], 0),
            y=float(i * row + (row - bar_height) / 2),
            w=scale(d.values[0], top, span),
            value_x=round(label_width + scale(d.values[0], top, span) + 6, 1),
            text_y=float(i * row + row / 2 + 4),
            title=d.title,
            text=d.text or str(max(d.values[0], 0)),
            series=d.series,
        )
        for i, d in enumerate(data)
    )
    return BarChart(
        width=width,
        height=max(len(data), 1) * row,
        bar_x=label_width,
        bar_height=bar_height,
        top_value=top,
        bars=bars,
    )


def time_buckets(
    points: Sequence[tuple[date, int]], *, end: date, days: int = 30, weeks: int = 12
) -> tuple[str, list[tuple[date, int]]]:
    """Amounts per day as a series of evenly spaced buckets ending at ``end``: every
    day of the last ``days`` (zeros included) when all the points fall in them, else
    every week (starting Mondays) of the last ``weeks``. Returns ("day" | "week",
    [(bucket start, total)]), oldest first. Points before the window are left out; if
    none falls in it, the window ends at the last point instead, so there is always
    something to draw."""
    if not points:
        return "day", []
    first, last = min(day for day, _ in points), max(day for day, _ in points)
    end = max(end, last)
    if (end - first).days < days:
        return "day", _buckets(points, end - timedelta(days=days - 1), days, 1)
    monday = end - timedelta(days=end.weekday())
    if (monday - last).days >= 7 * weeks:
        monday = last - timedelta(days=last.weekday())
    return "week", _buckets(points, monday - timedelta(weeks=weeks - 1), weeks, 7)


def _buckets(
    points: Sequence[tuple[date, int]], start: date, count: int, size: int
) -> list[tuple[date, int]]:
    totals: dict[int, int] = defaultdict(int)
    for day, amount in points:
        index = (day - start).days // size
        if 0 <= index < count:
            totals[index] += amount
    return [(start + timedelta(days=i * size), totals[i]) for i in range(count)]
