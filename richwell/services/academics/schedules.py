"""A class's professor and weekly meetings. A professor may not teach two overlapping
meetings in a term unless a registrar writes an override reason (stored on the slot,
audited); a room or section overlap is saved with a warning."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from sqlalchemy import select

from richwell.extensions import db
from richwell.models import Offering, Role, ScheduleSlot, Section, User
from richwell.services.platform import audit
from richwell.services.platform.errors import DomainError, Forbidden, NotFound, ValidationError
from richwell.services.platform.unit_of_work import unit_of_work

from .conflicts import professor_slots, slot_query
from .meetings import (
    describe_slot,
    describe_times,
    normalize_room,
    overlapping,
    parse_day,
    parse_override_reason,
    parse_time,
    professor_clash_message,
    room_clash_message,
    section_clash_message,
)
from .rules import FieldErrors
from .sections import chosen, lock_offering


def _lock_professor(professor_id: int) -> None:
    """Checks of one professor's timetable run one at a time, so two registrars can never
    both place an overlapping class for the same professor unseen."""
    db.session.execute(select(User.id).where(User.id == professor_id).with_for_update())


def _professor(raw: object) -> User | None:
    """The chosen professor (an active one), or None for TBA."""
    if raw in (None, "", "TBA", "0", 0):
        return None
    user = chosen(User, raw, "professor_id", "Choose a professor, or TBA.")
    if user.role != Role.PROFESSOR.value or not user.is_active_account:
        raise ValidationError("Choose an active professor, or TBA.", field="professor_id")
    return user


def _require_registrar_override(actor: User | None) -> None:
    """Only a registrar (or head registrar) may place a class over a professor conflict."""
    if actor is None or not actor.is_registrar:
        raise Forbidden("Only a registrar may override a professor's schedule conflict.",
                        field="override_reason")


def _conflict_refusal(messages: list[str]) -> DomainError:
    more = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
    return DomainError(f"{messages[0]}{more} A registrar may override this with a written reason.",
                       code="professor_conflict", field="override_reason")


# ---------------------------------------------------------------- the professor

def assign_professor(actor: User | None, offering_id: int, professor_id: object,
                     override_reason: object = None) -> Offering:
    """Give a class its professor (or TBA). If the professor already teaches at one of
    its times, the assignment is refused unless a registrar writes an override reason."""
    with unit_of_work():
        offering = lock_offering(offering_id)
        professor = _professor(professor_id)
        reason = parse_override_reason(override_reason)
        if (professor.id if professor else None) == offering.professor_id:
            return offering
        clashes: list[tuple[ScheduleSlot, ScheduleSlot]] = []
        if professor is not None:
            _lock_professor(professor.id)
            theirs = professor_slots(offering.section.term_id, professor.id)
            for slot in offering.slots:
                clashes += [(slot, other) for other in overlapping(
                    theirs, slot.day, slot.start_time, slot.end_time, exclude_offering=offering.id)]
        if clashes:
            if reason is None:
                raise _conflict_refusal([professor_clash_message(other) for _, other in clashes])
            _require_registrar_override(actor)
            for slot, _ in clashes:
                slot.override_reason = reason
        before = offering.professor.full_name if offering.professor else "TBA"
        offering.professor_id = professor.id if professor else None
        after = professor.full_name if professor else "TBA"
        audit.record(actor, "offering.assign_professor", offering,
                     before={"professor": before},
                     after={"professor": after, "subject": offering.subject.code, "section": offering.section.code})
        if clashes:
            audit.record(actor, "schedule.override", offering, reason=reason,
                         after={"professor": after, "clashes": [professor_clash_message(o) for _, o in clashes]})
    db.session.expire(offering, ["professor"])  # professor_id changed under the loaded relationship
    return offering


# ---------------------------------------------------------------- weekly meetings

@dataclass
class SlotResult:
    """The placed slot, the warnings it was saved with, and the conflicts it overrode."""

    slot: ScheduleSlot
    warnings: list[str] = field(default_factory=list)
    overridden: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Meeting:
    day: int
    start: time
    end: time
    room: str | None
    reason: str | None


def _meeting(day: object, start_time: object, end_time: object, room: object, override_reason: object) -> _Meeting:
    """The meeting a form describes, every bad field reported at once; it must end after it starts."""
    fields = FieldErrors()
    meeting = _Meeting(
        day=fields.check(lambda: parse_day(day), 0),
        start=fields.check(lambda: parse_time(start_time, "start_time", "start"), time()),
        end=fields.check(lambda: parse_time(end_time, "end_time", "end"), time()),
        room=fields.check(lambda: normalize_room(room), None),
        reason=fields.check(lambda: parse_override_reason(override_reason), None),
    )
    fields.raise_if_any()
    if meeting.end <= meeting.start:
        raise ValidationError("The class must end after it starts.", field="end_time")
    return meeting


def _professor_clashes(actor: User | None, offering: Offering, meeting: _Meeting) -> list[str]:
    """The professor's other meetings this one overlaps; refused unless a registrar overrides."""
    if offering.professor_id is None:
        return []
    _lock_professor(offering.professor_id)
    clashes = [professor_clash_message(o) for o in overlapping(
        professor_slots(offering.section.term_id, offering.professor_id), meeting.day, meeting.start, meeting.end)]
    if clashes and meeting.reason is None:
        raise _conflict_refusal(clashes)
    if clashes:
        _require_registrar_override(actor)
    return clashes


def _warnings(offering: Offering, meeting: _Meeting) -> list[str]:
    """The room double-bookings and the overlaps inside the section: saved, but said."""
    day, start, end = meeting.day, meeting.start, meeting.end
    warnings: list[str] = []
    if meeting.room is not None:
        same_room = db.session.scalars(slot_query().where(
            Section.term_id == offering.section.term_id, ScheduleSlot.room == meeting.room,
            ScheduleSlot.day == day)).unique()
        warnings += [room_clash_message(o) for o in overlapping(list(same_room), day, start, end)]
    same_section = db.session.scalars(slot_query().where(
        Offering.section_id == offering.section_id, ScheduleSlot.day == day)).unique()
    warnings += [section_clash_message(o) for o in overlapping(list(same_section), day, start, end)]
    return warnings


def add_slot(actor: User | None, offering_id: int, *, day: object, start_time: object, end_time: object,
             room: object = None, override_reason: object = None) -> SlotResult:
    """Place a weekly meeting of a class (day, start, end, room; it must end after it starts).

    A professor overlap is refused unless a registrar writes an override reason (kept on
    the slot and audited); a room double-booking or an overlap inside the section is
    saved with a warning.
    """
    with unit_of_work():
        offering = lock_offering(offering_id)
        meeting = _meeting(day, start_time, end_time, room, override_reason)
        clashes = _professor_clashes(actor, offering, meeting)
        warnings = _warnings(offering, meeting)
        slot = ScheduleSlot(offering_id=offering.id, day=meeting.day, start_time=meeting.start,
                            end_time=meeting.end, room=meeting.room,
                            override_reason=meeting.reason if clashes else None)
        db.session.add(slot)
        db.session.flush()
        when = describe_times(meeting.day, meeting.start, meeting.end)
        audit.record(actor, "schedule.slot_add", slot,
                     after={"section": offering.section.code, "subject": offering.subject.code,
                            "when": when, "room": meeting.room, "warnings": warnings})
        if clashes:
            audit.record(actor, "schedule.override", slot, reason=meeting.reason,
                         after={"section": offering.section.code, "subject": offering.subject.code,
                                "when": when, "clashes": clashes})
    return SlotResult(slot, warnings, clashes)


def remove_slot(actor: User | None, slot_id: int) -> Offering:
    """Remove a weekly meeting from a class; audited."""
    with unit_of_work():
        slot = db.session.get(ScheduleSlot, slot_id)
        if slot is None:
            raise NotFound("That schedule slot does not exist.")
        offering = lock_offering(slot.offering_id)
        audit.record(actor, "schedule.slot_remove", slot,
                     before={"section": offering.section.code, "subject": offering.subject.code,
                             "when": describe_slot(slot), "room": slot.room,
                             "override_reason": slot.override_reason})
        db.session.delete(slot)
    db.session.expire(offering, ["slots"])
    return offering
