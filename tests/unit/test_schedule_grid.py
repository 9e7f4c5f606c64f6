"""The weekly grid's geometry: days shown, hours spanned, overlapping entries side by side."""
from datetime import time

from richwell.web import schedule_grid


def entry(day, start, end, title="X", clash=False):
    return {"day": day, "start": time(*start), "end": time(*end), "title": title, "subtitle": "", "clash": clash}


def test_an_empty_week_shows_monday_to_saturday_from_7_to_6():
    grid = schedule_grid.layout([])
    assert [d.short for d in grid.days] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    assert (grid.span_hours, grid.count, grid.hours[0][0]) == (11, 0, "7 AM")


def test_sunday_and_early_or_late_classes_widen_the_grid():
    grid = schedule_grid.layout([entry(6, (6, 30), (8, 0)), entry(0, (19, 0), (21, 15))])
    assert grid.days[-1].name == "Sunday"
    assert grid.hours[0][0] == "6 AM" and grid.span_hours == 16  # 6 AM to 10 PM


def test_entries_are_placed_by_time_from_the_top():
    grid = schedule_grid.layout([entry(0, (7, 0), (8, 0)), entry(0, (12, 30), (18, 0))])
    first, second = grid.days[0].entries
    assert (round(first.top, 3), round(first.height, 3)) == (0, round(100 / 11, 3))
    assert round(second.top + second.height, 3) == 100
    assert second.time_label == "12:30 PM–6:00 PM"


def test_overlapping_entries_sit_side_by_side_and_clashes_are_counted():
    grid = schedule_grid.layout([
        entry(1, (8, 0), (9, 30), "A", True), entry(1, (9, 0), (10, 30), "B", True),
        entry(1, (10, 30), (12, 0), "C"), entry(1, (11, 0), (11, 30), "D"),
    ])
    placed = {e.title: (e.lane, e.lanes) for e in grid.days[1].entries}
    assert placed == {"A": (0, 2), "B": (1, 2), "C": (0, 2), "D": (1, 2)}
    assert grid.clashes == 2


def test_objects_work_as_well_as_dicts():
    class Entry:
        day, start, end, title, subtitle, clash = 3, time(13, 0), time(14, 0), "IT101", "RM 1", False

    grid = schedule_grid.layout([Entry()])
    assert grid.days[3].entries[0].title == "IT101"
