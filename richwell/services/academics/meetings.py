"""Pure rules on weekly meetings (schedule slots): reading a day, a time and a room from a
form, printing them the school's way, and telling when two meetings overlap. No database."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time

from richwell.models import DAYS, Offering, ScheduleSlot
from richwell.services.platform.errors import ValidationError

from .rules import optional_text, whole_number

DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DAY_CHOICES = [(str(i), name) for i, name in enumerate(DAY_NAMES)]
CAPACITY_MIN, CAPACITY_MAX = 1, 500
ROOM_RE = re.compile(r"^[A-Z0-9][A-Z0-9 .#/-]{0,39}$")
REASON_MIN = 10
# The three kinds of conflict: one professor in two places, a room booked twice, a section's
# two classes at once.
PROFESSOR, ROOM, SECTION = "PROFESSOR", "ROOM", "SECTION"


# ---------------------------------------------------------------- printing

def clock_time(value: time) -> str:
    """7:30 AM, the way the school prints class times."""
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def describe_times(day: int, start: time, end: time) -> str:
    """Mon 7:30 AM–9:00 AM."""
    return f"{DAYS[day]} {clock_time(start)}–{clock_time(end)}"


def describe_slot(slot: ScheduleSlot) -> str:
    """A weekly meeting's day and times, e.g. Mon 7:30 AM–9:00 AM."""
    return describe_times(slot.day, slot.start_time, slot.end_time)


def professor_name(offering: Offering) -> str:
    """The class's professor, or TBA while none is assigned."""
    return offering.professor.full_name if offering.professor else "TBA"


# ---------------------------------------------------------------- reading a form

def parse_day(raw: object) -> int:
    """A day of the week, 0 (Monday) to 6 (Sunday)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        text = str(raw if raw is not None else "").strip()
        if not re.fullmatch(r"[0-9]", text):
            raise ValidationError("Choose the day of the week.", field="day")
        value = int(text)
    if not 0 <= value <= 6:
        raise ValidationError("Choose the day of the week.", field="day")
    return value


def parse_time(raw: object, name: str, label: str) -> time:
    """A time of day like 07:30 or 13:00 (seconds are dropped)."""
    if isinstance(raw, time):
        return raw.replace(second=0, microsecond=0)
    text = str(raw if raw is not None else "").strip()
    match = re.fullmatch(r"([0-9]{1,2}):([0-9]{2})(?::[0-9]{2})?", text)
    if not text:
        raise ValidationError(f"Enter the {label} time.", field=name)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValidationError(f"Enter the {label} time like 07:30 or 13:00.", field=name)
    return time(int(match.group(1)), int(match.group(2)))


def normalize_room(raw: object) -> str | None:
    """Rooms compare case- and space-insensitively: stored upper-case with single spaces."""
    text = " ".join(str(raw or "").split()).upper()
    if not text or text == "TBA":
        return None
    if len(text) > 40:
        raise ValidationError("The room may be at most 40 characters.", field="room")
    if not ROOM_RE.match(text):
        raise ValidationError("Use letters, digits, spaces and . # / - in the room.", field="room")
    return text


def parse_capacity(raw: object) -> int:
    """Seats in a section or class: a whole number from 1 to 500."""
    return whole_number(raw, "capacity", "Capacity", CAPACITY_MIN, CAPACITY_MAX)


def parse_override_reason(raw: object) -> str | None:
    """The reason a registrar gives for placing a class over a professor conflict: blank, or
    at least a sentence."""
    reason = optional_text(raw, "override_reason", "reason", 500)
    if reason is not None and len(reason) < REASON_MIN:
        raise ValidationError(f"Write the reason in a sentence (at least {REASON_MIN} characters).",
                              field="override_reason")
    return reason


# ---------------------------------------------------------------- overlaps

def overlapping(slots: Iterable[ScheduleSlot], day: int, start: time, end: time,
                exclude_offering: int | None = None, exclude_slot: int | None = None) -> list[ScheduleSlot]:
    """The meetings that share some minutes with `day start–end` (touching is not overlapping)."""
    return [s for s in slots
            if s.day == day and s.start_time < end and start < s.end_time
            and s.offering_id != exclude_offering and s.id != exclude_slot]


def professor_clash_message(other: ScheduleSlot) -> str:
    """Why a professor cannot also take this meeting: they already teach `other`."""
    o = other.offering
    return (f"{professor_name(o)} already teaches {o.subject.code} in {o.section.code} "
            f"on {describe_slot(other)}.")


def room_clash_message(other: ScheduleSlot) -> str:
    """The warning for a room already booked by `other` at that time."""
    o = other.offering
    return (f"Room {other.room} is also booked for {o.subject.code} in {o.section.code} on "
            f"{describe_slot(other)} (double-booked).")


def section_clash_message(other: ScheduleSlot) -> str:
    """The warning for a section whose class `other` meets at the same time."""
    o = other.offering
    return (f"{o.section.code} already has {o.subject.code} on {describe_slot(other)}; "
            "its students could not attend both.")


# ---------------------------------------------------------------- the weekly grid

@dataclass(frozen=True)
class GridEntry:
    """One block of the weekly grid (the `weekly_grid` macro's entry)."""
    day: int
    start: time
    end: time
    title: str
    subtitle: str
    clash: bool = False


def mark_overlaps(entries: list[GridEntry]) -> list[GridEntry]:
    """The same entries, each marked as a clash when it overlaps another one."""
    marked = []
    for entry in entries:
        overlaps = any(other is not entry and other.day == entry.day and other.start < entry.end
                       and entry.start < other.end for other in entries)
        marked.append(GridEntry(entry.day, entry.start, entry.end, entry.title, entry.subtitle,
                                entry.clash or overlaps))
    return marked
