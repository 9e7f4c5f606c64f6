"""Sections, offerings and weekly schedule slots.

A professor may not teach two overlapping slots in a term unless a registrar writes
an override reason (stored on the slot, audited); a room or section overlap is a
warning. `find_schedule_conflicts` finds whatever slipped in, for the nightly check.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from datetime import time

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from richwell.extensions import db
from richwell.models import (
    DAYS,
    Offering,
    Program,
    Role,
    ScheduleConflict,
    ScheduleSlot,
    Section,
    Semester,
    Subject,
    SubjectEnrollment,
    Term,
    User,
)
from richwell.services.platform import audit, clock, notifications
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError

from .programs import clean_text, whole_number

DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DAY_CHOICES = [(str(i), name) for i, name in enumerate(DAY_NAMES)]
CAPACITY_MIN, CAPACITY_MAX = 1, 500
BLOCK_MAX = 10
SECTION_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,29}$")
ROOM_RE = re.compile(r"^[A-Z0-9][A-Z0-9 .#/-]{0,39}$")
REASON_MIN = 10
PROFESSOR, ROOM, SECTION = "PROFESSOR", "ROOM", "SECTION"
CONFLICTS_LINK = "/registrar/schedules/conflicts"


# ---------------------------------------------------------------- formatting and parsing

def clock_time(value: time) -> str:
    """7:30 AM, the way the school prints class times."""
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def describe_times(day: int, start: time, end: time) -> str:
    return f"{DAYS[day]} {clock_time(start)}–{clock_time(end)}"


def describe_slot(slot: ScheduleSlot) -> str:
    return describe_times(slot.day, slot.start_time, slot.end_time)


def parse_day(raw) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        text = str(raw if raw is not None else "").strip()
        if not re.fullmatch(r"\d", text):
            raise ValidationError("Choose the day of the week.", field="day")
        value = int(text)
    if not 0 <= value <= 6:
        raise ValidationError("Choose the day of the week.", field="day")
    return value


def parse_time(raw, name: str, label: str) -> time:
    if isinstance(raw, time):
        return raw.replace(second=0, microsecond=0)
    text = str(raw if raw is not None else "").strip()
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::\d{2})?", text)
    if not text:
        raise ValidationError(f"Enter the {label} time.", field=name)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValidationError(f"Enter the {label} time like 07:30 or 13:00.", field=name)
    return time(int(match.group(1)), int(match.group(2)))


def normalize_room(raw) -> str | None:
    """Rooms compare case- and space-insensitively: stored upper-case with single spaces."""
    text = " ".join(str(raw or "").split()).upper()
    if not text or text == "TBA":
        return None
    if len(text) > 40:
        raise ValidationError("The room may be at most 40 characters.", field="room")
    if not ROOM_RE.match(text):
        raise ValidationError("Use letters, digits, spaces and . # / - in the room.", field="room")
    return text


def parse_capacity(raw) -> int:
    return whole_number(raw, "capacity", "Capacity", CAPACITY_MIN, CAPACITY_MAX)


def _collect(checks: dict) -> dict:
    """Run field checks, report every failing field at once."""
    values, errors = {}, {}
    for name, check in checks.items():
        try:
            values[name] = check()
        except ValidationError as error:
            for key, messages in error.fields.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], fields=errors)
    return values


def _override_reason(actor: User | None, raw) -> str | None:
    reason = clean_text(raw, "override_reason", "reason", 500, required=False)
    if reason is not None and len(reason) < REASON_MIN:
        raise ValidationError(f"Write the reason in a sentence (at least {REASON_MIN} characters).",
                              field="override_reason")
    return reason


def _require_registrar_override(actor: User | None) -> None:
    if actor is None or not actor.is_registrar:
        raise Forbidden("Only a registrar may override a professor's schedule conflict.",
                        field="override_reason")


# ---------------------------------------------------------------- loading helpers

def _slot_query():
    """Slots with their offering, section, subject and professor, in one statement."""
    return (select(ScheduleSlot)
            .join(ScheduleSlot.offering).join(Offering.section)
            .options(contains_eager(ScheduleSlot.offering).contains_eager(Offering.section),
                     contains_eager(ScheduleSlot.offering).joinedload(Offering.subject),
                     contains_eager(ScheduleSlot.offering).joinedload(Offering.professor)))


def _lock_offering(offering_id) -> Offering:
    try:
        oid = int(offering_id)
    except (TypeError, ValueError):
        raise NotFound("That class does not exist.") from None
    offering = db.session.execute(
        select(Offering).where(Offering.id == oid).with_for_update()
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if offering is None:
        raise NotFound("That class does not exist.")
    return offering


def _lock_professor(professor_id: int) -> None:
    """Checks of one professor's timetable run one at a time, so two registrars can never
    both place an overlapping class for the same professor unseen."""
    db.session.execute(select(User.id).where(User.id == professor_id).with_for_update())


def _professor_slots(term_id: int, professor_id: int) -> list[ScheduleSlot]:
    return list(db.session.scalars(_slot_query().where(
        Section.term_id == term_id, Offering.professor_id == professor_id)).unique())


def _overlapping(slots, day: int, start: time, end: time, exclude_offering: int | None = None,
                 exclude_slot: int | None = None) -> list[ScheduleSlot]:
    return [s for s in slots
            if s.day == day and s.start_time < end and start < s.end_time
            and s.offering_id != exclude_offering and s.id != exclude_slot]


def _professor_clash_message(other: ScheduleSlot) -> str:
    o = other.offering
    return (f"{o.professor.full_name} already teaches {o.subject.code} in {o.section.code} "
            f"on {describe_slot(other)}.")


def _room_clash_message(other: ScheduleSlot) -> str:
    o = other.offering
    return (f"Room {other.room} is also booked for {o.subject.code} in {o.section.code} on "
            f"{describe_slot(other)} (double-booked).")


def _section_clash_message(other: ScheduleSlot) -> str:
    o = other.offering
    return (f"{o.section.code} already has {o.subject.code} on {describe_slot(other)}; "
            "its students could not attend both.")


# ---------------------------------------------------------------- sections

def get_section(section_id: int) -> Section:
    section = db.session.get(Section, section_id)
    if section is None:
        raise NotFound("That section does not exist.")
    return section


def _term_and_program(term_id, program_id) -> tuple[Term, Program]:
    values = _collect({
        "term_id": lambda: _exists(Term, term_id, "term_id", "Choose the term."),
        "program_id": lambda: _exists(Program, program_id, "program_id", "Choose the program."),
    })
    return values["term_id"], values["program_id"]


def _exists(model, raw_id, field_name: str, message: str):
    try:
        obj = db.session.get(model, int(raw_id))
    except (TypeError, ValueError):
        obj = None
    if obj is None:
        raise ValidationError(message, field=field_name)
    return obj


def _year_level(program: Program, raw) -> int:
    return whole_number(raw, "year_level", "Year level", 1, program.years)


def _normalize_section_code(raw) -> str:
    code = "".join(str(raw or "").split()).upper()
    if not SECTION_CODE_RE.match(code):
        raise ValidationError("A section code is 2-30 letters, digits or dashes, like BSIT-1A.", field="code")
    return code


def _section_codes(term_id: int) -> set[str]:
    return set(db.session.scalars(select(Section.code).where(Section.term_id == term_id)))


def create_section(actor: User | None, *, term_id, program_id, year_level, code=None, capacity=40) -> Section:
    """A section of a program's year level in a term, with a capacity (1-500, default 40);
    its code (e.g. BSIT-1A) is unique in the term and chosen automatically when blank."""
    term, program = _term_and_program(term_id, program_id)
    values = _collect({
        "year_level": lambda: _year_level(program, year_level),
        "capacity": lambda: parse_capacity(capacity),
        "code": lambda: _normalize_section_code(code) if str(code or "").strip() else None,
    })
    taken = _section_codes(term.id)
    section_code = values["code"] or _next_codes(program, values["year_level"], taken, 1)[0]
    if section_code in taken:
        raise Conflict(f"{term.name} already has a section {section_code}.", field="code")
    section = Section(term_id=term.id, program_id=program.id, year_level=values["year_level"],
                      code=section_code, capacity=values["capacity"])
    db.session.add(section)
    _flush_section_codes(term, section_code)
    audit.record(actor, "section.create", section,
                 after={"term": term.name, "code": section_code, "capacity": section.capacity})
    db.session.commit()
    return section


def _flush_section_codes(term: Term, codes) -> None:
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"{term.name} already has a section {codes}; another registrar just created it.",
                       field="code") from None


def _next_codes(program: Program, year_level: int, taken: set[str], count: int) -> list[str]:
    """The next free block letters for the program's year: BSIT-1A, BSIT-1B, ..."""
    codes = []
    for letter in string.ascii_uppercase:
        code = f"{program.code}-{year_level}{letter}"
        if code not in taken:
            codes.append(code)
            if len(codes) == count:
                return codes
    raise ValidationError(f"{program.code} year {year_level} has no free section letters left.", field="count")


def create_block_sections(actor: User | None, *, term_id, program_id, year_level, count,
                          capacity=40) -> list[Section]:
    """Create N block sections of a program's year level, each offering every subject of
    that year and the term's semester (professor TBA), seats = the section's capacity."""
    term, program = _term_and_program(term_id, program_id)
    values = _collect({
        "year_level": lambda: _year_level(program, year_level),
        "count": lambda: whole_number(count, "count", "Number of sections", 1, BLOCK_MAX),
        "capacity": lambda: parse_capacity(capacity),
    })
    level = values["year_level"]
    subjects = list(db.session.scalars(select(Subject).where(
        Subject.program_id == program.id, Subject.year_level == level, Subject.semester == term.semester)
        .order_by(Subject.code)))
    if not subjects:
        raise ValidationError(
            f"{program.code} has no year {level} subjects for the {Semester(term.semester).label.lower()}; "
            "add them to the curriculum first.", field="year_level")
    codes = _next_codes(program, level, _section_codes(term.id), values["count"])
    sections = []
    for code in codes:
        section = Section(term_id=term.id, program_id=program.id, year_level=level, code=code,
                          capacity=values["capacity"])
        section.offerings = [Offering(subject_id=s.id, capacity=values["capacity"]) for s in subjects]
        db.session.add(section)
        sections.append(section)
    _flush_section_codes(term, ", ".join(codes))
    for section in sections:
        audit.record(actor, "section.block_create", section,
                     after={"term": term.name, "code": section.code, "capacity": section.capacity,
                            "subjects": [s.code for s in subjects]})
    db.session.commit()
    return sections


def update_section_capacity(actor: User | None, section_id: int, capacity) -> Section:
    """Change a section's capacity; its classes follow, but never below the students
    already enrolled in any of them."""
    section = get_section(section_id)
    new_capacity = parse_capacity(capacity)
    # Lock the classes in id order: enrollment changes enrolled_count under the same lock.
    offerings = db.session.execute(
        select(Offering).where(Offering.section_id == section.id).order_by(Offering.id)
        .with_for_update().execution_options(populate_existing=True)).scalars().all()
    too_full = [o for o in offerings if o.enrolled_count > new_capacity]
    if too_full:
        worst = max(too_full, key=lambda o: o.enrolled_count)
        raise ValidationError(
            f"{worst.subject.code} already has {worst.enrolled_count} students enrolled; "
            f"the capacity cannot go below {worst.enrolled_count}.", field="capacity")
    if section.capacity == new_capacity and all(o.capacity == new_capacity for o in offerings):
        return section
    before = section.capacity
    section.capacity = new_capacity
    for offering in offerings:
        offering.capacity = new_capacity
    audit.record(actor, "section.capacity", section, before={"capacity": before},
                 after={"capacity": new_capacity})
    db.session.commit()
    return section


@dataclass
class SectionSummary:
    section: Section
    offerings: int = 0
    assigned: int = 0
    scheduled: int = 0


def list_sections(term_id: int | None, program_id: int | None = None) -> list[SectionSummary]:
    """Sections of a term with how many classes have a professor and a schedule."""
    if term_id is None:
        return []
    query = (select(Section).options(joinedload(Section.program)).where(Section.term_id == term_id)
             .order_by(Section.code))
    if program_id:
        query = query.where(Section.program_id == program_id)
    sections = list(db.session.scalars(query))
    summaries = {s.id: SectionSummary(s) for s in sections}
    if not summaries:
        return []
    slotted = select(ScheduleSlot.offering_id).distinct().subquery()
    rows = db.session.execute(
        select(Offering.section_id, func.count(Offering.id), func.count(Offering.professor_id),
               func.count(slotted.c.offering_id))
        .outerjoin(slotted, slotted.c.offering_id == Offering.id)
        .where(Offering.section_id.in_(summaries)).group_by(Offering.section_id))
    for section_id, total, assigned, scheduled in rows:
        summary = summaries[section_id]
        summary.offerings, summary.assigned, summary.scheduled = total, assigned, scheduled
    return list(summaries.values())


# ---------------------------------------------------------------- offerings

def add_offering(actor: User | None, section_id: int, subject_id) -> Offering:
    """Offer one more subject of the section's program in the section (seats = capacity)."""
    section = get_section(section_id)
    subject = _exists(Subject, subject_id, "subject_id", "Choose the subject to offer.")
    if subject.program_id != section.program_id:
        raise ValidationError(f"{subject.code} is not a subject of {section.program.code}.", field="subject_id")
    if db.session.scalar(select(func.count(Offering.id)).where(
            Offering.section_id == section.id, Offering.subject_id == subject.id)):
        raise Conflict(f"{section.code} already offers {subject.code}.", field="subject_id")
    offering = Offering(section_id=section.id, subject_id=subject.id, capacity=section.capacity)
    db.session.add(offering)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"{section.code} already offers {subject.code}.", field="subject_id") from None
    audit.record(actor, "offering.create", offering, after={"section": section.code, "subject": subject.code})
    db.session.commit()
    return offering


def remove_offering(actor: User | None, offering_id: int) -> None:
    """Take a subject out of a section, only while no student has ever enrolled in it."""
    offering = _lock_offering(offering_id)
    used = db.session.scalar(select(func.count(SubjectEnrollment.id)).where(
        SubjectEnrollment.offering_id == offering.id))
    if offering.enrolled_count or used:
        raise DomainError(f"Students have enrolled in {offering.subject.code} in {offering.section.code}; "
                          "it cannot be removed.", code="offering_in_use")
    audit.record(actor, "offering.remove", offering,
                 before={"section": offering.section.code, "subject": offering.subject.code,
                         "slots": [describe_slot(s) for s in offering.slots]})
    db.session.delete(offering)
    db.session.commit()


def list_professors() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.role == Role.PROFESSOR.value, User.is_active_account.is_(True))
        .order_by(User.last_name, User.first_name)))


def _professor(raw) -> User | None:
    if raw in (None, "", "TBA", "0", 0):
        return None
    user = _exists(User, raw, "professor_id", "Choose a professor, or TBA.")
    if user.role != Role.PROFESSOR.value or not user.is_active_account:
        raise ValidationError("Choose an active professor, or TBA.", field="professor_id")
    return user


def _conflict_refusal(messages: list[str]) -> DomainError:
    more = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
    return DomainError(f"{messages[0]}{more} A registrar may override this with a written reason.",
                       code="professor_conflict", field="override_reason")


def assign_professor(actor: User | None, offering_id: int, professor_id, override_reason=None) -> Offering:
    """Give a class its professor (or TBA). If the professor already teaches at one of
    its times, the assignment is refused unless a registrar writes an override reason."""
    offering = _lock_offering(offering_id)
    professor = _professor(professor_id)
    reason = _override_reason(actor, override_reason)
    if (professor.id if professor else None) == offering.professor_id:
        return offering
    clashes: list[tuple[ScheduleSlot, ScheduleSlot]] = []
    if professor is not None:
        _lock_professor(professor.id)
        theirs = _professor_slots(offering.section.term_id, professor.id)
        for slot in offering.slots:
            clashes += [(slot, other) for other in _overlapping(
                theirs, slot.day, slot.start_time, slot.end_time, exclude_offering=offering.id)]
    if clashes:
        if reason is None:
            raise _conflict_refusal([_professor_clash_message(other) for _, other in clashes])
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
                     after={"professor": after, "clashes": [_professor_clash_message(o) for _, o in clashes]})
    db.session.commit()
    db.session.expire(offering, ["professor"])
    return offering


# ---------------------------------------------------------------- slots

@dataclass
class SlotResult:
    slot: ScheduleSlot
    warnings: list[str] = field(default_factory=list)
    overridden: list[str] = field(default_factory=list)


def add_slot(actor: User | None, offering_id: int, *, day, start_time, end_time, room=None,
             override_reason=None) -> SlotResult:
    """Place a weekly meeting of a class (day, start, end, room; it must end after it starts).

    A professor overlap is refused unless a registrar writes an override reason (kept on
    the slot and audited); a room double-booking or an overlap inside the section is
    saved with a warning.
    """
    offering = _lock_offering(offering_id)
    values = _collect({
        "day": lambda: parse_day(day),
        "start_time": lambda: parse_time(start_time, "start_time", "start"),
        "end_time": lambda: parse_time(end_time, "end_time", "end"),
        "room": lambda: normalize_room(room),
        "override_reason": lambda: _override_reason(actor, override_reason),
    })
    d, start, end, where, reason = (values[k] for k in ("day", "start_time", "end_time", "room", "override_reason"))
    if end <= start:
        raise ValidationError("The class must end after it starts.", field="end_time")
    term_id = offering.section.term_id
    clashes: list[str] = []
    if offering.professor_id is not None:
        _lock_professor(offering.professor_id)
        clashes = [_professor_clash_message(o) for o in _overlapping(
            _professor_slots(term_id, offering.professor_id), d, start, end)]
        if clashes and reason is None:
            raise _conflict_refusal(clashes)
        if clashes:
            _require_registrar_override(actor)
    warnings: list[str] = []
    if where is not None:
        same_room = db.session.scalars(_slot_query().where(
            Section.term_id == term_id, ScheduleSlot.room == where, ScheduleSlot.day == d)).unique()
        warnings += [_room_clash_message(o) for o in _overlapping(list(same_room), d, start, end)]
    same_section = db.session.scalars(_slot_query().where(
        Offering.section_id == offering.section_id, ScheduleSlot.day == d)).unique()
    warnings += [_section_clash_message(o) for o in _overlapping(list(same_section), d, start, end)]
    slot = ScheduleSlot(offering_id=offering.id, day=d, start_time=start, end_time=end, room=where,
                        override_reason=reason if clashes else None)
    db.session.add(slot)
    db.session.flush()
    audit.record(actor, "schedule.slot_add", slot,
                 after={"section": offering.section.code, "subject": offering.subject.code,
                        "when": describe_times(d, start, end), "room": where, "warnings": warnings})
    if clashes:
        audit.record(actor, "schedule.override", slot, reason=reason,
                     after={"section": offering.section.code, "subject": offering.subject.code,
                            "when": describe_times(d, start, end), "clashes": clashes})
    db.session.commit()
    return SlotResult(slot, warnings, clashes)


def remove_slot(actor: User | None, slot_id: int) -> Offering:
    """Remove a weekly meeting from a class; audited."""
    slot = db.session.get(ScheduleSlot, slot_id)
    if slot is None:
        raise NotFound("That schedule slot does not exist.")
    offering = _lock_offering(slot.offering_id)
    audit.record(actor, "schedule.slot_remove", slot,
                 before={"section": offering.section.code, "subject": offering.subject.code,
                         "when": describe_slot(slot), "room": slot.room, "override_reason": slot.override_reason})
    db.session.delete(slot)
    db.session.commit()
    db.session.expire(offering, ["slots"])
    return offering


# ---------------------------------------------------------------- grids and the section page

@dataclass(frozen=True)
class GridEntry:
    """One block of the weekly grid (the `weekly_grid` macro's entry)."""
    day: int
    start: time
    end: time
    title: str
    subtitle: str
    clash: bool = False


def _mark_overlaps(entries: list[GridEntry]) -> list[GridEntry]:
    marked = []
    for entry in entries:
        overlaps = any(other is not entry and other.day == entry.day and other.start < entry.end
                       and entry.start < other.end for other in entries)
        marked.append(GridEntry(entry.day, entry.start, entry.end, entry.title, entry.subtitle,
                                entry.clash or overlaps))
    return marked


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
    in_term = _slot_query().where(Section.term_id == section.term_id)
    professor_slots = list(db.session.scalars(
        in_term.where(Offering.professor_id.in_(professor_ids))).unique()) if professor_ids else []
    room_slots = list(db.session.scalars(in_term.where(ScheduleSlot.room.in_(rooms))).unique()) if rooms else []
    views = []
    entries = []
    for offering in offerings:
        slot_views = []
        for slot in offering.slots:
            view = SlotView(slot)
            if offering.professor_id:
                mine = [s for s in professor_slots if s.offering.professor_id == offering.professor_id]
                view.clashes += [(PROFESSOR, _professor_clash_message(o)) for o in _overlapping(
                    mine, slot.day, slot.start_time, slot.end_time, exclude_slot=slot.id, exclude_offering=offering.id)]
            if slot.room:
                view.clashes += [(ROOM, _room_clash_message(o)) for o in _overlapping(
                    [s for s in room_slots if s.room == slot.room], slot.day, slot.start_time, slot.end_time,
                    exclude_slot=slot.id, exclude_offering=offering.id)]
            view.clashes += [(SECTION, f"Overlaps {other.offering.subject.code} "
                                       f"({describe_slot(other)}) in this section.")
                             for other in _overlapping(own, slot.day, slot.start_time, slot.end_time,
                                                       exclude_slot=slot.id)]
            slot_views.append(view)
            entries.append(GridEntry(
                slot.day, slot.start_time, slot.end_time, offering.subject.code,
                f"{slot.room or 'Room TBA'} · {offering.professor.full_name if offering.professor else 'TBA'}",
                bool(view.clashes)))
        views.append(OfferingView(offering, slot_views))
    offered = {o.subject_id for o in offerings}
    addable = [s for s in db.session.scalars(select(Subject).where(Subject.program_id == section.program_id)
                                             .order_by(Subject.year_level, Subject.code)) if s.id not in offered]
    return SectionSchedule(section, views, entries, list_professors(), addable)


def section_entries(section_id: int) -> list[GridEntry]:
    """The weekly grid of one section (overlaps inside it marked)."""
    slots = db.session.scalars(_slot_query().where(Offering.section_id == section_id)).unique()
    return _mark_overlaps([GridEntry(
        s.day, s.start_time, s.end_time, s.offering.subject.code,
        f"{s.room or 'Room TBA'} · {s.offering.professor.full_name if s.offering.professor else 'TBA'}")
        for s in slots])


def professor_entries(term_id: int, professor_id: int) -> list[GridEntry]:
    """A professor's weekly grid for a term (their overlapping classes marked)."""
    return _mark_overlaps([GridEntry(
        s.day, s.start_time, s.end_time, f"{s.offering.subject.code} · {s.offering.section.code}",
        s.room or "Room TBA") for s in _professor_slots(term_id, professor_id)])


def room_entries(term_id: int, room) -> list[GridEntry]:
    """A room's weekly grid for a term (double-bookings marked)."""
    name = normalize_room(room)
    if name is None:
        return []
    slots = db.session.scalars(_slot_query().where(Section.term_id == term_id, ScheduleSlot.room == name)).unique()
    return _mark_overlaps([GridEntry(
        s.day, s.start_time, s.end_time, f"{s.offering.subject.code} · {s.offering.section.code}",
        s.offering.professor.full_name if s.offering.professor else "TBA") for s in slots])


def rooms_in_term(term_id: int) -> list[str]:
    return list(db.session.scalars(
        select(ScheduleSlot.room).distinct().join(ScheduleSlot.offering).join(Offering.section)
        .where(Section.term_id == term_id, ScheduleSlot.room.is_not(None)).order_by(ScheduleSlot.room)))


def professor_classes(term_id: int, professor_id: int) -> list[Offering]:
    """A professor's own classes in a term with subject, section and slots (their home page)."""
    return list(db.session.scalars(
        select(Offering).join(Offering.section).join(Offering.subject)
        .where(Section.term_id == term_id, Offering.professor_id == professor_id)
        .order_by(Subject.code, Section.code)
        .options(contains_eager(Offering.section), contains_eager(Offering.subject),
                 selectinload(Offering.slots))).unique())


# ---------------------------------------------------------------- the nightly conflict check

@dataclass(frozen=True)
class FoundConflict:
    kind: str
    term_id: int
    slot_a_id: int
    slot_b_id: int
    description: str

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.kind, self.slot_a_id, self.slot_b_id)


def _conflict_pairs(kind: str, term_ids: list[int]) -> list[tuple[int, int, int]]:
    a, b = aliased(ScheduleSlot), aliased(ScheduleSlot)
    oa, ob = aliased(Offering), aliased(Offering)
    sa, sb = aliased(Section), aliased(Section)
    query = (select(sa.term_id, a.id, b.id)
             .join(oa, oa.id == a.offering_id).join(sa, sa.id == oa.section_id)
             .join(b, and_(b.day == a.day, b.id > a.id, b.start_time < a.end_time, a.start_time < b.end_time))
             .join(ob, ob.id == b.offering_id).join(sb, sb.id == ob.section_id)
             .where(sa.term_id.in_(term_ids), sb.term_id == sa.term_id))
    if kind == PROFESSOR:
        query = query.where(oa.professor_id.is_not(None), oa.professor_id == ob.professor_id, oa.id != ob.id)
    elif kind == ROOM:
        query = query.where(a.room.is_not(None), a.room == b.room, oa.id != ob.id)
    else:
        query = query.where(oa.section_id == ob.section_id)
    return [tuple(row) for row in db.session.execute(query)]


def _describe_conflict(kind: str, a: ScheduleSlot, b: ScheduleSlot) -> str:
    def where(slot):
        return f"{slot.offering.subject.code} in {slot.offering.section.code} ({describe_slot(slot)})"

    if kind == PROFESSOR:
        return f"{a.offering.professor.full_name} teaches {where(a)} and {where(b)} at the same time."
    if kind == ROOM:
        return f"Room {a.room} is double-booked: {where(a)} and {where(b)}."
    return (f"{a.offering.section.code} has {a.offering.subject.code} ({describe_slot(a)}) and "
            f"{b.offering.subject.code} ({describe_slot(b)}) at the same time.")


def find_schedule_conflicts(term_ids: list[int] | None = None) -> list[FoundConflict]:
    """Every overlapping pair of slots in the given terms (default: the current term):
    one professor in two places, a room booked twice, or a section's two classes at once.
    Overridden conflicts are included: they are still conflicts."""
    if term_ids is None:
        term_ids = list(db.session.scalars(select(Term.id).where(Term.is_current.is_(True))))
    if not term_ids:
        return []
    pairs = {kind: _conflict_pairs(kind, term_ids) for kind in (PROFESSOR, ROOM, SECTION)}
    ids = {i for rows in pairs.values() for _, x, y in rows for i in (x, y)}
    if not ids:
        return []
    slots = {s.id: s for s in db.session.scalars(_slot_query().where(ScheduleSlot.id.in_(ids))).unique()}
    found = [FoundConflict(kind, term_id, x, y, _describe_conflict(kind, slots[x], slots[y]))
             for kind, rows in pairs.items() for term_id, x, y in rows]
    return sorted(found, key=lambda f: (f.term_id, f.kind, f.slot_a_id, f.slot_b_id))


@dataclass(frozen=True)
class ConflictCheck:
    open: int
    new: int
    resolved: int


def notify_schedule_conflicts() -> ConflictCheck:
    """The nightly check: find conflicts in every term that has not ended, notify the
    registrars and head registrars of each new one exactly once, mark vanished ones
    resolved. Safe to run any number of times."""
    term_ids = list(db.session.scalars(select(Term.id).where(Term.end_date >= clock.today())))
    found = find_schedule_conflicts(term_ids) if term_ids else []
    known = {(c.kind, c.slot_a_id, c.slot_b_id): c for c in db.session.scalars(
        select(ScheduleConflict).where(ScheduleConflict.term_id.in_(term_ids)))} if term_ids else {}
    stamp = clock.now()
    fresh: list[FoundConflict] = []
    for conflict in found:
        row = known.get(conflict.key)
        if row is None:
            db.session.add(ScheduleConflict(term_id=conflict.term_id, kind=conflict.kind,
                                            slot_a_id=conflict.slot_a_id, slot_b_id=conflict.slot_b_id,
                                            description=conflict.description, first_found_at=stamp,
                                            notified_at=stamp))
            fresh.append(conflict)
        elif row.resolved_at is not None:
            row.resolved_at, row.notified_at, row.description = None, stamp, conflict.description
            fresh.append(conflict)
    keys = {c.key for c in found}
    resolved = 0
    for key, row in known.items():
        if key not in keys and row.resolved_at is None:
            row.resolved_at = stamp
            resolved += 1
    if fresh:
        registrars = db.session.scalars(select(User.id).where(
            User.role.in_([Role.REGISTRAR.value, Role.HEAD_REGISTRAR.value]),
            User.is_active_account.is_(True))).all()
        names = {t.id: t.name for t in db.session.scalars(select(Term).where(Term.id.in_(term_ids)))}
        for conflict in fresh:
            for user_id in registrars:
                notifications.notify(user_id, "schedule_conflict",
                                     f"Schedule conflict in {names[conflict.term_id]}: {conflict.description}",
                                     link=CONFLICTS_LINK)
    if fresh or resolved:
        audit.record(None, "schedule.conflict_check", target_type="ScheduleConflict",
                     after={"open": len(found), "new": len(fresh), "resolved": resolved})
    try:
        db.session.commit()
    except IntegrityError:
        # Another run recorded the same conflicts a moment earlier; it notified for them.
        db.session.rollback()
        return ConflictCheck(len(found), 0, 0)
    return ConflictCheck(len(found), len(fresh), resolved)


def open_conflicts(term_id: int) -> list[FoundConflict]:
    """The term's conflicts as they stand now (the registrar's conflicts page)."""
    return find_schedule_conflicts([term_id])
