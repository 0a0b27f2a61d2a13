"""Bar charts drawn on the server as inline SVG: the numbers become bar widths here, in Python.

The CSP forbids inline styles, so templates draw bars with SVG presentation attributes (x, width,
fill via classes); every chart also has a text label per bar, so nothing is said by colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 720
"""The SVG's width in user units (it scales to the card)."""
LABEL_WIDTH = 240
BAR_AREA = 300
ROW_HEIGHT = 28
BAR_HEIGHT = 18


@dataclass(frozen=True, slots=True)
class Segment:
    """One coloured part of a bar."""

    value: float
    x: float
    width: float
    kind: str


@dataclass(frozen=True, slots=True)
class Bar:
    """One row: a label, its segments (drawn left to right) and the number written after it."""

    label: str
    note: str
    y: int
    segments: tuple[Segment, ...]
    href: str = ""

    @property
    def end(self) -> float:
        """Where the bar ends (the note is written just after)."""
        return LABEL_WIDTH + sum(s.width for s in self.segments)


@dataclass(frozen=True, slots=True)
class BarChart:
    """A horizontal bar chart: title (for screen readers too), rows and the overall size."""

    title: str
    bars: tuple[Bar, ...]
    legend: tuple[tuple[str, str], ...] = ()

    @property
    def height(self) -> int:
        """The SVG's height."""
        return max(1, len(self.bars)) * ROW_HEIGHT + 8

    @property
    def width(self) -> int:
        """The SVG's width."""
        return WIDTH

    @property
    def bar_x(self) -> int:
        """Where bars start (labels end just before)."""
        return LABEL_WIDTH

    @property
    def bar_area(self) -> int:
        """The length of a full bar."""
        return BAR_AREA

    @property
    def bar_height(self) -> int:
        """The height of a bar."""
        return BAR_HEIGHT


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, Sequence[tuple[float, str]], str, str]],
    *,
    scale: float | None = None,
    legend: Sequence[tuple[str, str]] = (),
) -> BarChart:
    """A chart of ``rows`` = (label, [(value, kind), …], note, href), bars scaled to the largest.

    ``scale`` fixes the value of a full-length bar (100 for percentages).
    """
    largest = scale or max((sum(v for v, _ in parts) for _, parts, _, _ in rows), default=0)
    bars = []
    for i, (label, parts, note, href) in enumerate(rows):
        x = float(LABEL_WIDTH)
        segments = []
        for value, kind in parts:
            width = BAR_AREA * value / largest if largest else 0.0
            segments.append(Segment(value=value, x=round(x, 1), width=round(width, 1), kind=kind))
            x += width
        bars.append(
            Bar(
                label=shorten(label),
                note=note,
                y=i * ROW_HEIGHT + 4,
                segments=tuple(segments),
                href=href,
            )
        )
    return BarChart(title=title, bars=tuple(bars), legend=tuple(legend))


def shorten(label: str, limit: int = 34) -> str:
    """A label short enough for the chart's label column."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"
