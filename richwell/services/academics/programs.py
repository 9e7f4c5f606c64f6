"""Curriculum: programs, their subjects, and prerequisite links that never form a cycle."""
from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, case, delete, func, insert, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from richwell.extensions import db
from richwell.models import Program, Semester, Subject, User, subject_prerequisites
from richwell.services.platform import audit
from richwell.services.platform.errors import Conflict, DomainError, NotFound, ValidationError
from richwell.services.platform.unit_of_work import unit_of_work

from .rules import (
    SEMESTER_ORDER,
    FieldErrors,
    clean_text,
    normalize_subject_code,
    parse_flag,
    parse_semester,
    whole_number,
)

PROGRAM_CODE_RE = re.compile(r"^[A-Z][A-Z0-9-]{1,19}$")
UNITS_MIN, UNITS_MAX = 1, 6
YEARS_MAX = 5  # the subjects table allows year levels 1-5
ARROW = " → "

SubjectValue = str | int | bool


def parse_units(raw: object) -> int:
    """Units are a whole number from 1 to 6."""
    return whole_number(raw, "units", "Units", UNITS_MIN, UNITS_MAX)


# ---------------------------------------------------------------- programs

def list_programs(active_only: bool = False) -> list[Program]:
    """Every program by code (only the active ones when asked)."""
    query = select(Program).order_by(Program.code)
    if active_only:
        query = query.where(Program.is_active.is_(True))
    return list(db.session.scalars(query))


def get_program(program_id: int) -> Program:
    """One program, or NotFound."""
    program = db.session.get(Program, program_id)
    if program is None:
        raise NotFound("That program does not exist.")
    return program


def active_programs() -> Select[Program]:
    """The programs the school offers now, by code: a statement the caller pages through."""
    return select(Program).where(Program.is_active.is_(True)).order_by(Program.code, Program.id)


def active_program(program_id: int) -> Program:
    """A program the school offers now; an inactive one is not found, like a missing one."""
    program = db.session.get(Program, program_id)
    if program is None or not program.is_active:
        raise NotFound("That program does not exist.")
    return program


class SubjectTotals(NamedTuple):
    """A program's number of subjects and their units."""

    subjects: int
    units: int


def subject_totals() -> dict[int, SubjectTotals]:
    """Per program id: how many subjects its curriculum has and their units, in one query
    (programs without subjects are left out)."""
    rows = db.session.execute(
        select(Subject.program_id, func.count(Subject.id).label("subjects"), func.sum(Subject.units).label("units"))
        .group_by(Subject.program_id))
    return {row.program_id: SubjectTotals(row.subjects, row.units) for row in rows}


def _program_code(raw: object) -> str:
    """Program codes are 2-20 upper-case letters, digits or dashes, starting with a letter."""
    code = "".join(str(raw or "").split()).upper()
    if not code:
        raise ValidationError("Enter the program code, like BSIT.", field="code")
    if not PROGRAM_CODE_RE.match(code):
        raise ValidationError("The program code is 2-20 letters, digits or dashes, starting with a letter.",
                              field="code")
    return code


def create_program(actor: User | None, *, code: object, name: object, years: object = 4) -> Program:
    """An administrator creates a program: a unique code (e.g. BSIT), a name, 1-5 years."""
    code_text = _program_code(code)
    program_name = clean_text(name, "name", "program name", 200)
    program_years = whole_number(years, "years", "Years", 1, YEARS_MAX)
    try:
        with unit_of_work():
            if db.session.scalar(select(func.count(Program.id)).where(Program.code == code_text)):
                raise _duplicate_program(code_text)
            program = Program(code=code_text, name=program_name, years=program_years, is_active=True)
            db.session.add(program)
            db.session.flush()
            audit.record(actor, "curriculum.program_create", program,
                         after={"code": code_text, "name": program_name, "years": program_years})
    except IntegrityError:  # another administrator took the code a moment earlier
        raise _duplicate_program(code_text) from None
    return program


def _duplicate_program(code: str) -> Conflict:
    return Conflict(f"A program with the code {code} already exists.", field="code")


def update_program(actor: User | None, program_id: int, *, name: object, years: object,
                   is_active: object) -> Program:
    """Rename a program, change its years (never below a year that has subjects) or (de)activate it."""
    program = get_program(program_id)
    program_name = clean_text(name, "name", "program name", 200)
    program_years = whole_number(years, "years", "Years", 1, YEARS_MAX)
    highest = db.session.scalar(select(func.max(Subject.year_level)).where(Subject.program_id == program.id))
    if highest and program_years < highest:
        raise ValidationError(f"{program.code} has subjects in year {highest}; it needs at least {highest} years.",
                              field="years")
    active = parse_flag(is_active)
    before = {"name": program.name, "years": program.years, "active": program.is_active}
    after = {"name": program_name, "years": program_years, "active": active}
    if before == after:
        return program
    with unit_of_work():
        program.name, program.years, program.is_active = program_name, program_years, active
        audit.record(actor, "curriculum.program_update", program, before=before, after=after)
    return program


# ---------------------------------------------------------------- subjects

def get_subject(subject_id: int) -> Subject:
    """One subject, or NotFound."""
    subject = db.session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("That subject does not exist.")
    return subject


def _subject_values(program: Program, *, code: object, title: object, units: object, is_major: object,
                    year_level: object, semester: object) -> dict[str, SubjectValue]:
    """Validate every field first and report them all at once, so nothing half-saves."""
    fields = FieldErrors()
    values: dict[str, SubjectValue] = {
        "code": fields.check(lambda: normalize_subject_code(code), ""),
        "title": fields.check(lambda: clean_text(title, "title", "subject title", 200), ""),
        "units": fields.check(lambda: parse_units(units), 0),
        "year_level": fields.check(lambda: whole_number(year_level, "year_level", "Year level", 1, program.years), 0),
        "semester": fields.check(lambda: parse_semester(semester), ""),
    }
    fields.raise_if_any()
    values["is_major"] = parse_flag(is_major)
    return values


def _duplicate_code(program: Program, code: SubjectValue) -> Conflict:
    return Conflict(f"{program.code} already has a subject with the code {code}.", field="code")


def create_subject(actor: User | None, program_id: int, *, code: object, title: object, units: object,
                   is_major: object = True, year_level: object, semester: object) -> Subject:
    """Add a subject to a program's curriculum: code unique within the program, units 1-6,
    major or minor, recommended year level (within the program's years) and semester."""
    program = get_program(program_id)
    values = _subject_values(program, code=code, title=title, units=units, is_major=is_major,
                             year_level=year_level, semester=semester)
    try:
        with unit_of_work():
            if db.session.scalar(select(func.count(Subject.id)).where(
                    Subject.program_id == program.id, Subject.code == values["code"])):
                raise _duplicate_code(program, values["code"])
            subject = Subject(program_id=program.id, **values)
            db.session.add(subject)
            db.session.flush()
            audit.record(actor, "curriculum.subject_create", subject, after={"program": program.code, **values})
    except IntegrityError:  # the same code added a moment earlier
        raise _duplicate_code(program, values["code"]) from None
    return subject


def update_subject(actor: User | None, subject_id: int, *, code: object, title: object, units: object,
                   is_major: object, year_level: object, semester: object) -> Subject:
    """Edit a subject with the same rules as creating one; the code stays unique in the program."""
    subject = get_subject(subject_id)
    program = subject.program
    values = _subject_values(program, code=code, title=title, units=units, is_major=is_major,
                             year_level=year_level, semester=semester)
    if values["code"] != subject.code and db.session.scalar(select(func.count(Subject.id)).where(
            Subject.program_id == program.id, Subject.code == values["code"], Subject.id != subject.id)):
        raise _duplicate_code(program, values["code"])
    before = {k: getattr(subject, k) for k in values}
    if before == values:
        return subject
    try:
        with unit_of_work():
            for key, value in values.items():
                setattr(subject, key, value)
            db.session.flush()
            audit.record(actor, "curriculum.subject_update", subject, before=before, after=values)
    except IntegrityError:  # the code was taken by another edit a moment earlier
        raise _duplicate_code(program, values["code"]) from None
    return subject


_SEMESTER_RANK = case({s.value: i for i, s in enumerate(Semester)}, value=Subject.semester, else_=len(Semester))


def curriculum_subjects(program: Program) -> Select[Subject]:
    """A program's subjects in curriculum order (year level, semester, code) with their
    prerequisites: a statement the caller pages through."""
    return (select(Subject).where(Subject.program_id == program.id)
            .options(selectinload(Subject.prerequisites))
            .order_by(Subject.year_level, _SEMESTER_RANK, Subject.code, Subject.id))


# ---------------------------------------------------------------- prerequisites

def prerequisite_choices(subject: Subject) -> list[Subject]:
    """The subjects a subject could still require: the others of its program that are not
    already its prerequisites, in curriculum order."""
    current = {p.id for p in subject.prerequisites}
    return [s for s in db.session.scalars(
        select(Subject).where(Subject.program_id == subject.program_id, Subject.id != subject.id)
        .order_by(Subject.year_level, Subject.semester, Subject.code)) if s.id not in current]


def _lock_program(program_id: int) -> Program:
    """Prerequisite changes of one program run one at a time, so two links made at the
    same moment can never close a cycle that neither saw alone."""
    return db.session.execute(
        select(Program).where(Program.id == program_id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()


def _requires_map(program_id: int) -> dict[int, set[int]]:
    """subject id → the ids it requires, for one program, in one query."""
    rows = db.session.execute(
        select(subject_prerequisites.c.subject_id, subject_prerequisites.c.prerequisite_id)
        .join(Subject, Subject.id == subject_prerequisites.c.subject_id)
        .where(Subject.program_id == program_id))
    graph: dict[int, set[int]] = {}
    for row in rows:
        graph.setdefault(row.subject_id, set()).add(row.prerequisite_id)
    return graph


def find_cycle(requires: dict[int, set[int]], subject_id: int, prerequisite_id: int) -> list[int] | None:
    """The cycle that making `subject_id` require `prerequisite_id` would close, as ids
    from the subject back to itself (shortest one), or None when the link is safe.

    The link closes a cycle exactly when the prerequisite already (transitively)
    requires the subject. Breadth-first and iterative, so long chains are fine.
    """
    if subject_id == prerequisite_id:
        return [subject_id, subject_id]
    parent: dict[int, int | None] = {prerequisite_id: None}
    queue = deque([prerequisite_id])
    while queue:
        current = queue.popleft()
        for nxt in sorted(requires.get(current, ())):
            if nxt in parent:
                continue
            parent[nxt] = current
            if nxt == subject_id:
                return [subject_id, *reversed(_path_back(parent, nxt))]
            queue.append(nxt)
    return None


def _path_back(parent: dict[int, int | None], last: int) -> list[int]:
    """From `last` back to the start of the search, following the parents."""
    path = [last]
    step = parent[last]
    while step is not None:
        path.append(step)
        step = parent[step]
    return path


def _prerequisite_of(subject: Subject, prerequisite_id: int | str | None) -> Subject:
    """The chosen prerequisite: an existing subject of the same program."""
    try:
        prereq_id = int(prerequisite_id) if prerequisite_id is not None else None
    except ValueError:
        prereq_id = None
    prerequisite = db.session.get(Subject, prereq_id) if prereq_id is not None else None
    if prerequisite is None:
        raise ValidationError("Choose the prerequisite subject.", field="prerequisite_id")
    if prerequisite.program_id != subject.program_id:
        raise ValidationError(
            f"{prerequisite.code} belongs to {prerequisite.program.code}; a prerequisite must be a "
            f"subject of {subject.program.code}.", field="prerequisite_id")
    return prerequisite


def link_prerequisite(actor: User | None, subject_id: int, prerequisite_id: int | str | None) -> Subject:
    """Make a subject require another subject of the same program. A link that would
    close a cycle is refused, naming the cycle (e.g. "IT201 → IT301 → IT201")."""
    subject = get_subject(subject_id)
    prerequisite = _prerequisite_of(subject, prerequisite_id)
    with unit_of_work():
        _lock_program(subject.program_id)
        requires = _requires_map(subject.program_id)
        if prerequisite.id in requires.get(subject.id, set()):
            raise Conflict(f"{prerequisite.code} is already a prerequisite of {subject.code}.",
                           field="prerequisite_id")
        cycle = find_cycle(requires, subject.id, prerequisite.id)
        if cycle:
            codes = {row.id: row.code for row in db.session.execute(
                select(Subject.id, Subject.code).where(Subject.id.in_(set(cycle))))}
            named = ARROW.join(codes[i] for i in cycle)
            raise DomainError(
                f"{subject.code} cannot require {prerequisite.code}: that would close the cycle {named}.",
                code="prerequisite_cycle", field="prerequisite_id")
        db.session.execute(insert(subject_prerequisites).values(subject_id=subject.id,
                                                                prerequisite_id=prerequisite.id))
        audit.record(actor, "curriculum.prerequisite_link", subject,
                     after={"subject": subject.code, "prerequisite": prerequisite.code})
    db.session.expire(subject, ["prerequisites"])  # inside a caller's unit nothing was committed yet
    return subject


def unlink_prerequisite(actor: User | None, subject_id: int, prerequisite_id: int) -> Subject:
    """Remove a prerequisite link (removing one can never create a cycle)."""
    subject = get_subject(subject_id)
    prerequisite = db.session.get(Subject, prerequisite_id)
    if prerequisite is None or prerequisite.program_id != subject.program_id:
        raise NotFound("That prerequisite link does not exist.")
    with unit_of_work():
        _lock_program(subject.program_id)
        result = cast(CursorResult[Any], db.session.execute(delete(subject_prerequisites).where(
            subject_prerequisites.c.subject_id == subject.id,
            subject_prerequisites.c.prerequisite_id == prerequisite.id)))
        if not result.rowcount:
            raise NotFound(f"{prerequisite.code} is not a prerequisite of {subject.code}.")
        audit.record(actor, "curriculum.prerequisite_unlink", subject,
                     before={"subject": subject.code, "prerequisite": prerequisite.code})
    db.session.expire(subject, ["prerequisites"])
    return subject


# ---------------------------------------------------------------- the curriculum view

@dataclass
class CurriculumSubject:
    subject: Subject
    prerequisites: list[Subject] = field(default_factory=list)
    required_by: list[Subject] = field(default_factory=list)

    @property
    def prerequisite_codes(self) -> list[str]:
        return [p.code for p in self.prerequisites]


@dataclass
class CurriculumSemester:
    semester: str
    subjects: list[CurriculumSubject]

    @property
    def label(self) -> str:
        return Semester(self.semester).label

    @property
    def units(self) -> int:
        return sum(s.subject.units for s in self.subjects)


@dataclass
class CurriculumYear:
    year: int
    semesters: list[CurriculumSemester]

    @property
    def units(self) -> int:
        return sum(s.units for s in self.semesters)


@dataclass
class Curriculum:
    """A program's curriculum: years, semesters, subjects by id, prerequisite links."""

    program: Program
    years: list[CurriculumYear]
    subjects: dict[int, CurriculumSubject]
    links: list[tuple[int, int]]  # (subject id, prerequisite id)

    @property
    def total_units(self) -> int:
        return sum(y.units for y in self.years)

    @property
    def subject_count(self) -> int:
        return len(self.subjects)


YEAR_NAMES = {1: "First year", 2: "Second year", 3: "Third year", 4: "Fourth year", 5: "Fifth year"}


def curriculum(program_id: int) -> Curriculum:
    """A program's curriculum year by year and semester by semester, with prerequisites
    by code; three queries whatever the number of subjects."""
    program = get_program(program_id)
    subjects = list(db.session.scalars(
        select(Subject).where(Subject.program_id == program.id)
        .order_by(Subject.year_level, Subject.code)))
    rows = {s.id: CurriculumSubject(s) for s in subjects}
    links = [(link.subject_id, link.prerequisite_id) for link in db.session.execute(
        select(subject_prerequisites.c.subject_id, subject_prerequisites.c.prerequisite_id)
        .join(Subject, Subject.id == subject_prerequisites.c.subject_id)
        .where(Subject.program_id == program.id))
        if link.subject_id in rows and link.prerequisite_id in rows]
    for sid, pid in links:
        rows[sid].prerequisites.append(rows[pid].subject)
        rows[pid].required_by.append(rows[sid].subject)
    for row in rows.values():
        row.prerequisites.sort(key=lambda s: s.code)
        row.required_by.sort(key=lambda s: s.code)
    highest = max([program.years, *(s.year_level for s in subjects)])
    years = []
    for year in range(1, highest + 1):
        semesters = []
        for semester in SEMESTER_ORDER:
            items = [rows[s.id] for s in subjects if s.year_level == year and s.semester == semester]
            # Summer shows only when the program has summer subjects that year.
            if items or semester != Semester.SUMMER.value:
                semesters.append(CurriculumSemester(semester, items))
        years.append(CurriculumYear(year, semesters))
    return Curriculum(program, years, rows, sorted(links))
