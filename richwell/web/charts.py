"""Server-rendered bar charts: the geometry of an SVG bar chart, worked out in Python so the
template only draws it (no chart library, no JavaScript). Every chart has a title and a
one-sentence description for screen readers, and the page shows the same numbers as a table."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WIDTH = 480
LABEL_WIDTH = 150
VALUE_WIDTH = 96
BAR_HEIGHT = 20
GAP = 8


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | int
    text: str
    y: int
    width: int
    href: str | None = None


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str
    bars: list[Bar]
    height: int
    width: int = WIDTH
    label_width: int = LABEL_WIDTH

    @property
    def bar_x(self) -> int:
        return self.label_width

    def value_x(self, bar: Bar) -> int:
        return self.label_width + bar.width + 6


def bar_chart(title: str, items: list[tuple[str, Decimal | int, str, str | None]], unit: str = "") -> BarChart:
    """Horizontal bars for (label, value, text shown, link or None), longest = full width."""
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    top = max((float(v) for _, v, _, _ in items), default=0.0)
    bars = [Bar(label, value, text, i * (BAR_HEIGHT + GAP),
                int(room * float(value) / top) if top > 0 and float(value) > 0 else 0, href)
            for i, (label, value, text, href) in enumerate(items)]
    parts = ", ".join(f"{b.label}: {b.text}" for b in bars[:12])
    more = f" and {len(bars) - 12} more" if len(bars) > 12 else ""
    description = f"{title}{' (' + unit + ')' if unit else ''}. {parts}{more}." if bars else f"{title}: no data."
    return BarChart(title, description, bars, max(len(bars), 1) * (BAR_HEIGHT + GAP))
