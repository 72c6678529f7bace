"""Small bar charts for the console, as plain geometry the templates draw as inline SVG.

Pure functions over ``(day, count)`` pairs: no JavaScript, no remote assets, nothing to escape
but the labels (the templates autoescape them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Bar:
    """One bar: its box in SVG user units, its value and a tooltip label."""

    x: float
    y: float
    width: float
    height: float
    value: int
    label: str


@dataclass(frozen=True)
class Chart:
    """A bar chart: the canvas, its bars, the peak value and the first and last day labels."""

    width: int
    height: int
    bars: tuple[Bar, ...]
    peak: int
    total: int
    first_label: str
    last_label: str
    baseline: float


def daily_series(
    counts: Iterable[tuple[date, int]], first: date, last: date
) -> list[tuple[date, int]]:
    """Every day from ``first`` to ``last`` (inclusive) with its count, 0 for missing days."""
    by_day: dict[date, int] = {}
    for day, count in counts:
        by_day[day] = by_day.get(day, 0) + int(count)
    days = max(0, (last - first).days) + 1
    return [
        (first + timedelta(days=i), by_day.get(first + timedelta(days=i), 0)) for i in range(days)
    ]


def bar_chart(
    series: Sequence[tuple[date, int]],
    *,
    width: int = 120,
    height: int = 28,
    gap: float = 1.0,
    axis: int = 0,
    top: int = 0,
    noun: str = "new",
) -> Chart:
    """Bars for ``series`` scaled to ``height``, keeping ``axis`` units free below (day labels)
    and ``top`` units above (the peak label).

    A zero day still gets a 1-unit stub so the days stay countable; the tallest bar fills the
    plot height.
    """
    plot = max(1, height - axis - top)
    peak = max((count for _, count in series), default=0)
    step = width / len(series) if series else float(width)
    bar_width = max(1.0, step - gap)
    bars = []
    for index, (day, count) in enumerate(series):
        tall = plot * count / peak if peak else 0.0
        tall = max(tall, 1.0)
        bars.append(
            Bar(
                x=round(index * step, 2),
                y=round(top + plot - tall, 2),
                width=round(bar_width, 2),
                height=round(tall, 2),
                value=count,
                label=f"{day:%a %d %b}: {count} {noun}",
            )
        )
    return Chart(
        width=width,
        height=height,
        bars=tuple(bars),
        peak=peak,
        total=sum(count for _, count in series),
        first_label=f"{series[0][0]:%d %b}" if series else "",
        last_label=f"{series[-1][0]:%d %b}" if series else "",
        baseline=float(top + plot),
    )
