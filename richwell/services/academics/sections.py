"""Sections of a term and the classes (offerings) they offer: creating one or a block of
sections, their capacity, adding and removing a subject."""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from richwell.extensions import db
from richwell.models import Offering, Program, ScheduleSlot, Section, Semester, Subject, SubjectEnrollment, Term, User
from richwell.services.platform import audit
from richwell.services.platform.errors import Conflict, DomainError, NotFound, ValidationError
from richwell.services.platform.unit_of_work import unit_of_work

from .meetings import describe_slot, parse_capacity
from .rules import FieldErrors, whole_number

M = TypeVar("M")

BLOCK_MAX = 10
SECTION_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,29}$")


# ---------------------------------------------------------------- loading

def get_section(section_id: int) -> Section:
    """One section, or NotFound."""
    section = db.session.get(Section, section_id)
    if section is None:
        raise NotFound("That section does not exist.")
    return section


def chosen(model: type[M], raw_id: object, field_name: str, message: str) -> M:
    """The row a form's select box chose, or a ValidationError at that field."""
    try:
        found = db.session.get(model, int(str(raw_id)))
    except ValueError:
        found = None
    if found is None:
        raise ValidationError(message, field=field_name)
    return found


def lock_offering(offering_id: object) -> Offering:
    """The class, locked: its seats, professor and slots change one writer at a time."""
    try:
        oid = int(str(offering_id))
    except ValueError:
        raise NotFound("That class does not exist.") from None
    offering = db.session.execute(
        select(Offering).where(Offering.id == oid).with_for_update()
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if offering is None:
        raise NotFound("That class does not exist.")
    return offering


def _term_and_program(term_id: object, program_id: object) -> tuple[Term, Program]:
    """The chosen term and program, both reported at once when missing."""
    fields = FieldErrors()
    term = fields.check(lambda: chosen(Term, term_id, "term_id", "Choose the term."), None)
    program = fields.check(lambda: chosen(Program, program_id, "program_id", "Choose the program."), None)
    fields.raise_if_any()
    assert term is not None and program is not None  # raise_if_any refused otherwise
    return term, program


def _year_level(program: Program, raw: object) -> int:
    return whole_number(raw, "year_level", "Year level", 1, program.years)


def _normalize_section_code(raw: object) -> str:
    """Section codes are upper-case letters, digits and dashes, 2-30 long (BSIT-1A)."""
    code = "".join(str(raw or "").split()).upper()
    if not SECTION_CODE_RE.match(code):
        raise ValidationError("A section code is 2-30 letters, digits or dashes, like BSIT-1A.", field="code")
    return code


def _section_codes(term_id: int) -> set[str]:
    return set(db.session.scalars(select(Section.code).where(Section.term_id == term_id)))


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


def _code_taken(term: Term, codes: str) -> Conflict:
    return Conflict(f"{term.name} already has a section {codes}; another registrar just created it.", field="code")


# ---------------------------------------------------------------- sections

def create_section(actor: User | None, *, term_id: object, program_id: object, year_level: object,
                   code: object = None, capacity: object = 40) -> Section:
    """A section of a program's year level in a term, with a capacity (1-500, default 40);
    its code (e.g. BSIT-1A) is unique in the term and chosen automatically when blank."""
    term, program = _term_and_program(term_id, program_id)
    fields = FieldErrors()
    level = fields.check(lambda: _year_level(program, year_level), 0)
    seats = fields.check(lambda: parse_capacity(capacity), 0)
    wanted = fields.check(lambda: _normalize_section_code(code) if str(code or "").strip() else None, None)
    fields.raise_if_any()
    taken = _section_codes(term.id)
    section_code = wanted or _next_codes(program, level, taken, 1)[0]
    if section_code in taken:
        raise Conflict(f"{term.name} already has a section {section_code}.", field="code")
    try:
        with unit_of_work():
            section = Section(term_id=term.id, program_id=program.id, year_level=level,
                              code=section_code, capacity=seats)
            db.session.add(section)
            db.session.flush()
            audit.record(actor, "section.create", section,
                         after={"term": term.name, "code": section_code, "capacity": section.capacity})
    except IntegrityError:
        raise _code_taken(term, section_code) from None
    return section


def create_block_sections(actor: User | None, *, term_id: object, program_id: object, year_level: object,
                          count: object, capacity: object = 40) -> list[Section]:
    """Create N block sections of a program's year level, each offering every subject of
    that year and the term's semester (professor TBA), seats = the section's capacity."""
    term, program = _term_and_program(term_id, program_id)
    fields = FieldErrors()
    level = fields.check(lambda: _year_level(program, year_level), 0)
    how_many = fields.check(lambda: whole_number(count, "count", "Number of sections", 1, BLOCK_MAX), 0)
    seats = fields.check(lambda: parse_capacity(capacity), 0)
    fields.raise_if_any()
    subjects = list(db.session.scalars(select(Subject).where(
        Subject.program_id == program.id, Subject.year_level == level, Subject.semester == term.semester)
        .order_by(Subject.code)))
    if not subjects:
        raise ValidationError(
            f"{program.code} has no year {level} subjects for the {Semester(term.semester).label.lower()}; "
            "add them to the curriculum first.", field="year_level")
    codes = _next_codes(program, level, _section_codes(term.id), how_many)
    sections = []
    try:
        with unit_of_work():
            for code in codes:
                section = Section(term_id=term.id, program_id=program.id, year_level=level, code=code,
                                  capacity=seats)
                section.offerings = [Offering(subject_id=s.id, capacity=seats) for s in subjects]
                db.session.add(section)
                sections.append(section)
            db.session.flush()
            for section in sections:
                audit.record(actor, "section.block_create", section,
                             after={"term": term.name, "code": section.code, "capacity": section.capacity,
                                    "subjects": [s.code for s in subjects]})
    except IntegrityError:
        raise _code_taken(term, ", ".join(codes)) from None
    return sections


def update_section_capacity(actor: User | None, section_id: int, capacity: object) -> Section:
    """Change a section's capacity; its classes follow, but never below the students
    already enrolled in any of them."""
    section = get_section(section_id)
    new_capacity = parse_capacity(capacity)
    with unit_of_work():
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
    return section


@dataclass
class SectionSummary:
    """A section with how many classes it offers, have a professor, have a schedule."""

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
    summaries = {s.id: SectionSummary(s) for s in db.session.scalars(query)}
    if not summaries:
        return []
    slotted = select(ScheduleSlot.offering_id).distinct().subquery()
    rows = db.session.execute(
        select(Offering.section_id, func.count(Offering.id).label("total"),
               func.count(Offering.professor_id).label("assigned"),
               func.count(slotted.c.offering_id).label("scheduled"))
        .outerjoin(slotted, slotted.c.offering_id == Offering.id)
        .where(Offering.section_id.in_(summaries)).group_by(Offering.section_id))
    for row in rows:
        summary = summaries[row.section_id]
        summary.offerings, summary.assigned, summary.scheduled = row.total, row.assigned, row.scheduled
    return list(summaries.values())


# ---------------------------------------------------------------- classes

def add_offering(actor: User | None, section_id: int, subject_id: object) -> Offering:
    """Offer one more subject of the section's program in the section (seats = capacity)."""
    section = get_section(section_id)
    subject = chosen(Subject, subject_id, "subject_id", "Choose the subject to offer.")
    if subject.program_id != section.program_id:
        raise ValidationError(f"{subject.code} is not a subject of {section.program.code}.", field="subject_id")
    if db.session.scalar(select(func.count(Offering.id)).where(
            Offering.section_id == section.id, Offering.subject_id == subject.id)):
        raise _already_offered(section, subject)
    try:
        with unit_of_work():
            offering = Offering(section_id=section.id, subject_id=subject.id, capacity=section.capacity)
            db.session.add(offering)
            db.session.flush()
            audit.record(actor, "offering.create", offering, after={"section": section.code, "subject": subject.code})
    except IntegrityError:  # added by another registrar a moment earlier
        raise _already_offered(section, subject) from None
    return offering


def _already_offered(section: Section, subject: Subject) -> Conflict:
    return Conflict(f"{section.code} already offers {subject.code}.", field="subject_id")


def remove_offering(actor: User | None, offering_id: int) -> None:
    """Take a subject out of a section, only while no student has ever enrolled in it."""
    with unit_of_work():
        offering = lock_offering(offering_id)
        used = db.session.scalar(select(func.count(SubjectEnrollment.id)).where(
            SubjectEnrollment.offering_id == offering.id))
        if offering.enrolled_count or used:
            raise DomainError(f"Students have enrolled in {offering.subject.code} in {offering.section.code}; "
                              "it cannot be removed.", code="offering_in_use")
        audit.record(actor, "offering.remove", offering,
                     before={"section": offering.section.code, "subject": offering.subject.code,
                             "slots": [describe_slot(s) for s in offering.slots]})
        db.session.delete(offering)
