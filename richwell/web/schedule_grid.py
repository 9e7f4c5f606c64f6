"""Geometry for the `weekly_grid` macro (templates/macros/schedule.html).

Entries are dicts or objects with `day` (0 = Monday … 6 = Sunday), `start`, `end`
(datetime.time), `title`, `subtitle` and `clash`. This only places them: percentages
from the top of the day, and side-by-side lanes where entries overlap.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time

DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DAY_SHORT = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
FIRST_HOUR, LAST_HOUR = 7, 18  # the grid always shows at least a school day


def _get(entry, name, default=None):
    if isinstance(entry, dict):
        return entry.get(name, default)
    return getattr(entry, name, default)


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def clock_label(value: time) -> str:
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


@dataclass
class PlacedEntry:
    title: str
    subtitle: str
    clash: bool
    start: time
    end: time
    top: float
    height: float
    lane: int = 0
    lanes: int = 1
    preview: bool = False  # a class being considered in the subject picker, not yet taken

    @property
    def time_label(self) -> str:
        return f"{clock_label(self.start)}–{clock_label(self.end)}"

    @property
    def style(self) -> str:
        return (f"--top:{self.top:.3f}%;--height:{self.height:.3f}%;"
                f"--lane:{self.lane};--lanes:{self.lanes}")


@dataclass
class GridDay:
    index: int
    name: str
    short: str
    entries: list[PlacedEntry]


@dataclass
class GridLayout:
    days: list[GridDay]
    hours: list[tuple[str, float]]  # (label, top %)
    span_hours: int
    count: int
    clashes: int


def _assign_lanes(items: list[PlacedEntry]) -> None:
    """Overlapping entries of one day sit side by side; each cluster shares its lane count."""
    items.sort(key=lambda e: (e.start, e.end))
    cluster: list[PlacedEntry] = []
    lane_ends: list[time] = []
    cluster_end: time | None = None

    def close():
        for item in cluster:
            item.lanes = max(len(lane_ends), 1)

    for item in items:
        if cluster_end is not None and item.start >= cluster_end:
            close()
            cluster, lane_ends, cluster_end = [], [], None
        for lane, lane_end in enumerate(lane_ends):
            if lane_end <= item.start:
                item.lane = lane
                lane_ends[lane] = item.end
                break
        else:
            item.lane = len(lane_ends)
            lane_ends.append(item.end)
        cluster.append(item)
        cluster_end = item.end if cluster_end is None else max(cluster_end, item.end)
    close()


def layout(entries) -> GridLayout:
    """Place entries on a Monday-Saturday grid (Sunday only when used) from 7 AM to 6 PM,
    widened to fit earlier or later classes."""
    entries = list(entries or [])
    first = min([FIRST_HOUR * 60, *(_minutes(_get(e, "start")) for e in entries)]) // 60
    last = max([LAST_HOUR * 60, *(_minutes(_get(e, "end")) for e in entries)])
    last = -(-last // 60)  # round up to the hour
    span = max(last - first, 1) * 60
    used_days = {int(_get(e, "day")) for e in entries}
    shown = list(range(6)) + ([6] if 6 in used_days else [])
    days = {d: GridDay(d, DAY_NAMES[d], DAY_SHORT[d], []) for d in shown}
    clashes = 0
    for entry in entries:
        start, end = _get(entry, "start"), _get(entry, "end")
        top = (_minutes(start) - first * 60) * 100 / span
        height = max(_minutes(end) - _minutes(start), 15) * 100 / span
        placed = PlacedEntry(str(_get(entry, "title", "")), str(_get(entry, "subtitle", "") or ""),
                             bool(_get(entry, "clash", False)), start, end, top, height,
                             preview=bool(_get(entry, "preview", False)))
        clashes += placed.clash
        days[int(_get(entry, "day"))].entries.append(placed)
    for day in days.values():
        _assign_lanes(day.entries)
    hours = [(clock_label(time(h, 0)).replace(":00", ""), (h - first) * 6000 / span)
             for h in range(first, last)]
    return GridLayout(list(days.values()), hours, last - first, len(entries), clashes)
