"""Timetables: the weekly grids of a section, a professor and a room, the section page with
its live conflicts, and a professor's own classes. Reads only."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from richwell.extensions import db
from richwell.models import Offering, Role, ScheduleSlot, Section, Subject, User
from richwell.services.platform.errors import NotFound

from .conflicts import professor_slots, slot_query
from .meetings import (
    PROFESSOR,
    ROOM,
    SECTION,
    GridEntry,
    describe_slot,
    mark_overlaps,
    normalize_room,
    overlapping,
    professor_clash_message,
    professor_name,
    room_clash_message,
)


def list_professors() -> list[User]:
    """The active professors, by last name (the choices for a class's professor)."""
    return list(db.session.scalars(
        select(User).where(User.role == Role.PROFESSOR.value, User.is_active_account.is_(True))
        .order_by(User.last_name, User.first_name)))


# ---------------------------------------------------------------- the section page

@dataclass
class SlotView:
    slot: ScheduleSlot
    clashes: list[tuple[str, str]] = field(default_factory=list)  # (kind, message)

    @property
    def professor_clash(self) -> bool:
        return any(kind == PROFESSOR for kind, _ in self.clashes)

    @property
    def room_clash(self) -> bool:
        return any(kind == ROOM for kind, _ in self.clashes)

    @property
    def section_clash(self) -> bool:
        return any(kind == SECTION for kind, _ in self.clashes)


@dataclass
class OfferingView:
    offering: Offering
    slots: list[SlotView]


@dataclass
class SectionSchedule:
    """Everything the section page shows (see `section_schedule`)."""

    section: Section
    offerings: list[OfferingView]
    entries: list[GridEntry]
    professors: list[User]
    addable_subjects: list[Subject]

    @property
    def units(self) -> int:
        return sum(o.offering.subject.units for o in self.offerings)

    @property
    def clash_count(self) -> int:
        return sum(1 for o in self.offerings for s in o.slots if s.clashes)


@dataclass
class _TermSlots:
    """The slots of the section's term that its own slots may clash with."""
    own: list[ScheduleSlot]
    professors: list[ScheduleSlot]
    rooms: list[ScheduleSlot]


def _slot_view(offering: Offering, slot: ScheduleSlot, term: _TermSlots) -> SlotView:
    """One meeting with every live clash: its professor elsewhere, its room, its own section."""
    view = SlotView(slot)
    day, start, end = slot.day, slot.start_time, slot.end_time
    if offering.professor_id:
        mine = [s for s in term.professors if s.offering.professor_id == offering.professor_id]
        view.clashes += [(PROFESSOR, professor_clash_message(o)) for o in overlapping(
            mine, day, start, end, exclude_slot=slot.id, exclude_offering=offering.id)]
    if slot.room:
        view.clashes += [(ROOM, room_clash_message(o)) for o in overlapping(
            [s for s in term.rooms if s.room == slot.room], day, start, end,
            exclude_slot=slot.id, exclude_offering=offering.id)]
    view.clashes += [(SECTION, f"Overlaps {other.offering.subject.code} ({describe_slot(other)}) in this section.")
                     for other in overlapping(term.own, day, start, end, exclude_slot=slot.id)]
    return view


def section_schedule(section_id: int) -> SectionSchedule:
    """Everything the section page shows: classes, slots with their live conflicts, the
    weekly grid, professors to choose from and subjects still addable. A fixed number of
    queries whatever the number of classes."""
    section = db.session.scalar(select(Section).where(Section.id == section_id)
                                .options(joinedload(Section.term), joinedload(Section.program)))
    if section is None:
        raise NotFound("That section does not exist.")
    offerings = list(db.session.scalars(
        select(Offering).where(Offering.section_id == section.id)
        .join(Offering.subject).order_by(Subject.code)
        .options(contains_eager(Offering.subject), joinedload(Offering.professor),
                 selectinload(Offering.slots))).unique())
    own = [s for o in offerings for s in o.slots]
    professor_ids = {o.professor_id for o in offerings if o.professor_id}
    rooms = {s.room for s in own if s.room}
    in_term = slot_query().where(Section.term_id == section.term_id)
    term = _TermSlots(
        own,
        list(db.session.scalars(in_term.where(Offering.professor_id.in_(professor_ids))).unique())
        if professor_ids else [],
        list(db.session.scalars(in_term.where(ScheduleSlot.room.in_(rooms))).unique()) if rooms else [])
    views = []
    entries = []
    for offering in offerings:
        slot_views = [_slot_view(offering, slot, term) for slot in offering.slots]
        entries += [GridEntry(view.slot.day, view.slot.start_time, view.slot.end_time, offering.subject.code,
                              f"{view.slot.room or 'Room TBA'} · {professor_name(offering)}", bool(view.clashes))
                    for view in slot_views]
        views.append(OfferingView(offering, slot_views))
    offered = {o.subject_id for o in offerings}
    addable = [s for s in db.session.scalars(select(Subject).where(Subject.program_id == section.program_id)
                                             .order_by(Subject.year_level, Subject.code)) if s.id not in offered]
    return SectionSchedule(section, views, entries, list_professors(), addable)


# ---------------------------------------------------------------- weekly grids

def section_entries(section_id: int) -> list[GridEntry]:
    """The weekly grid of one section (overlaps inside it marked)."""
    slots = db.session.scalars(slot_query().where(Offering.section_id == section_id)).unique()
    return mark_overlaps([GridEntry(
        s.day, s.start_time, s.end_time, s.offering.subject.code,
        f"{s.room or 'Room TBA'} · {professor_name(s.offering)}")
        for s in slots])


def professor_entries(term_id: int, professor_id: int) -> list[GridEntry]:
    """A professor's weekly grid for a term (their overlapping classes marked)."""
    return mark_overlaps([GridEntry(
        s.day, s.start_time, s.end_time, f"{s.offering.subject.code} · {s.offering.section.code}",
        s.room or "Room TBA") for s in professor_slots(term_id, professor_id)])


def room_entries(term_id: int, room: object) -> list[GridEntry]:
    """A room's weekly grid for a term (double-bookings marked)."""
    name = normalize_room(room)
    if name is None:
        return []
    slots = db.session.scalars(slot_query().where(Section.term_id == term_id, ScheduleSlot.room == name)).unique()
    return mark_overlaps([GridEntry(
        s.day, s.start_time, s.end_time, f"{s.offering.subject.code} · {s.offering.section.code}",
        professor_name(s.offering)) for s in slots])


def rooms_in_term(term_id: int) -> list[str]:
    """Every room used in a term, in order (the room grid's choices)."""
    rooms = db.session.scalars(
        select(ScheduleSlot.room).distinct().join(ScheduleSlot.offering).join(Offering.section)
        .where(Section.term_id == term_id, ScheduleSlot.room.is_not(None)).order_by(ScheduleSlot.room))
    return [room for room in rooms if room is not None]


def professor_classes(term_id: int, professor_id: int) -> list[Offering]:
    """A professor's own classes in a term with subject, section and slots (their home page)."""
    return list(db.session.scalars(
        select(Offering).join(Offering.section).join(Offering.subject)
        .where(Section.term_id == term_id, Offering.professor_id == professor_id)
        .order_by(Subject.code, Section.code)
        .options(contains_eager(Offering.section), contains_eager(Offering.subject),
                 selectinload(Offering.slots))).unique())
