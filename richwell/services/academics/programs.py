"""Curriculum: programs, their subjects, and prerequisite links that never form a cycle."""
from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import Program, Semester, Subject, User, subject_prerequisites
from richwell.services.platform import audit
from richwell.services.platform.errors import Conflict, DomainError, NotFound, ValidationError

PROGRAM_CODE_RE = re.compile(r"^[A-Z][A-Z0-9-]{1,19}$")
SUBJECT_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9 .-]{0,19}$")
UNITS_MIN, UNITS_MAX = 1, 6
YEARS_MAX = 5  # the subjects table allows year levels 1-5
SEMESTER_ORDER = [s.value for s in Semester]
SEMESTER_CHOICES = [(s.value, s.label) for s in Semester]
ARROW = " → "


# ---------------------------------------------------------------- parsing helpers

def clean_text(raw, field: str, label: str, max_len: int, required: bool = True) -> str | None:
    """Trimmed text with single spaces; empty is refused when required, long is refused."""
    text = " ".join(str(raw if raw is not None else "").split())
    if not text:
        if required:
            raise ValidationError(f"Enter the {label}.", field=field)
        return None
    if len(text) > max_len:
        raise ValidationError(f"The {label} may be at most {max_len} characters.", field=field)
    return text


def whole_number(raw, field: str, label: str, low: int, high: int) -> int:
    """A whole number from `low` to `high`, from a form string or an int (never a bool)."""
    message = f"{label} must be a whole number from {low} to {high}."
    if isinstance(raw, bool):
        raise ValidationError(message, field=field)
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw if raw is not None else "").strip()
        if not re.fullmatch(r"[+-]?\d{1,6}", text):
            raise ValidationError(message, field=field)
        value = int(text)
    if not low <= value <= high:
        raise ValidationError(message, field=field)
    return value


def parse_units(raw) -> int:
    """Units are a whole number from 1 to 6."""
    return whole_number(raw, "units", "Units", UNITS_MIN, UNITS_MAX)


def parse_semester(raw, field: str = "semester") -> str:
    value = str(raw or "").strip().upper()
    if value not in SEMESTER_ORDER:
        raise ValidationError("Choose the 1st semester, the 2nd semester or summer.", field=field)
    return value


def parse_flag(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    return str(raw or "").strip().lower() in {"1", "true", "on", "yes", "y", "major"}


def normalize_subject_code(raw) -> str:
    """Subject codes are upper-case letters, digits, spaces, dots and dashes, at most 20."""
    code = " ".join(str(raw or "").split()).upper()
    if not code:
        raise ValidationError("Enter the subject code, like IT101.", field="code")
    if len(code) > 20:
        raise ValidationError("The subject code may be at most 20 characters.", field="code")
    if not SUBJECT_CODE_RE.match(code):
        raise ValidationError("Use only letters, digits, spaces, dots and dashes in the code.", field="code")
    return code


# ---------------------------------------------------------------- programs

def list_programs(active_only: bool = False) -> list[Program]:
    query = select(Program).order_by(Program.code)
    if active_only:
        query = query.where(Program.is_active.is_(True))
    return list(db.session.scalars(query))


def get_program(program_id: int) -> Program:
    program = db.session.get(Program, program_id)
    if program is None:
        raise NotFound("That program does not exist.")
    return program


def create_program(actor: User | None, *, code, name, years=4) -> Program:
    """An administrator creates a program: a unique code (e.g. BSIT), a name, 1-5 years."""
    code_text = "".join(str(code or "").split()).upper()
    if not code_text:
        raise ValidationError("Enter the program code, like BSIT.", field="code")
    if not PROGRAM_CODE_RE.match(code_text):
        raise ValidationError("The program code is 2-20 letters, digits or dashes, starting with a letter.",
                              field="code")
    program_name = clean_text(name, "name", "program name", 200)
    program_years = whole_number(years, "years", "Years", 1, YEARS_MAX)
    if db.session.scalar(select(func.count(Program.id)).where(Program.code == code_text)):
        raise Conflict(f"A program with the code {code_text} already exists.", field="code")
    program = Program(code=code_text, name=program_name, years=program_years, is_active=True)
    db.session.add(program)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"A program with the code {code_text} already exists.", field="code") from None
    audit.record(actor, "curriculum.program_create", program,
                 after={"code": code_text, "name": program_name, "years": program_years})
    db.session.commit()
    return program


def update_program(actor: User | None, program_id: int, *, name, years, is_active) -> Program:
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
    program.name, program.years, program.is_active = program_name, program_years, active
    audit.record(actor, "curriculum.program_update", program, before=before, after=after)
    db.session.commit()
    return program


# ---------------------------------------------------------------- subjects

def get_subject(subject_id: int) -> Subject:
    subject = db.session.get(Subject, subject_id)
    if subject is None:
        raise NotFound("That subject does not exist.")
    return subject


def _subject_values(program: Program, *, code, title, units, is_major, year_level, semester) -> dict:
    """Validate every field first and report them all at once, so nothing half-saves."""
    values: dict = {}
    errors: dict[str, list[str]] = {}
    checks = {
        "code": lambda: normalize_subject_code(code),
        "title": lambda: clean_text(title, "title", "subject title", 200),
        "units": lambda: parse_units(units),
        "year_level": lambda: whole_number(year_level, "year_level", "Year level", 1, program.years),
        "semester": lambda: parse_semester(semester),
    }
    for name, check in checks.items():
        try:
            values[name] = check()
        except ValidationError as error:
            for key, messages in error.fields.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationError(first, fields=errors)
    values["is_major"] = parse_flag(is_major)
    return values


def _duplicate_code(program: Program, code: str) -> Conflict:
    return Conflict(f"{program.code} already has a subject with the code {code}.", field="code")


def create_subject(actor: User | None, program_id: int, *, code, title, units, is_major=True,
                   year_level, semester) -> Subject:
    """Add a subject to a program's curriculum: code unique within the program, units 1-6,
    major or minor, recommended year level (within the program's years) and semester."""
    program = get_program(program_id)
    values = _subject_values(program, code=code, title=title, units=units, is_major=is_major,
                             year_level=year_level, semester=semester)
    if db.session.scalar(select(func.count(Subject.id)).where(
            Subject.program_id == program.id, Subject.code == values["code"])):
        raise _duplicate_code(program, values["code"])
    subject = Subject(program_id=program.id, **values)
    db.session.add(subject)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise _duplicate_code(program, values["code"]) from None
    audit.record(actor, "curriculum.subject_create", subject, after={"program": program.code, **values})
    db.session.commit()
    return subject


def update_subject(actor: User | None, subject_id: int, *, code, title, units, is_major,
                   year_level, semester) -> Subject:
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
    for key, value in values.items():
        setattr(subject, key, value)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise _duplicate_code(program, values["code"]) from None
    audit.record(actor, "curriculum.subject_update", subject, before=before, after=values)
    db.session.commit()
    return subject


# ---------------------------------------------------------------- prerequisites

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
    for subject_id, prerequisite_id in rows:
        graph.setdefault(subject_id, set()).add(prerequisite_id)
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
                path = [nxt]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])
                return [subject_id, *reversed(path)]
            queue.append(nxt)
    return None


def link_prerequisite(actor: User | None, subject_id: int, prerequisite_id) -> Subject:
    """Make a subject require another subject of the same program. A link that would
    close a cycle is refused, naming the cycle (e.g. "IT201 → IT301 → IT201")."""
    subject = get_subject(subject_id)
    try:
        prereq_id = int(prerequisite_id)
    except (TypeError, ValueError):
        raise ValidationError("Choose the prerequisite subject.", field="prerequisite_id") from None
    prerequisite = db.session.get(Subject, prereq_id)
    if prerequisite is None:
        raise ValidationError("Choose the prerequisite subject.", field="prerequisite_id")
    if prerequisite.program_id != subject.program_id:
        raise ValidationError(
            f"{prerequisite.code} belongs to {prerequisite.program.code}; a prerequisite must be a "
            f"subject of {subject.program.code}.", field="prerequisite_id")
    _lock_program(subject.program_id)
    requires = _requires_map(subject.program_id)
    if prerequisite.id in requires.get(subject.id, set()):
        raise Conflict(f"{prerequisite.code} is already a prerequisite of {subject.code}.",
                       field="prerequisite_id")
    cycle = find_cycle(requires, subject.id, prerequisite.id)
    if cycle:
        codes = dict(db.session.execute(select(Subject.id, Subject.code).where(Subject.id.in_(set(cycle)))).all())
        named = ARROW.join(codes[i] for i in cycle)
        raise DomainError(
            f"{subject.code} cannot require {prerequisite.code}: that would close the cycle {named}.",
            code="prerequisite_cycle", field="prerequisite_id")
    db.session.execute(insert(subject_prerequisites).values(subject_id=subject.id, prerequisite_id=prerequisite.id))
    audit.record(actor, "curriculum.prerequisite_link", subject,
                 after={"subject": subject.code, "prerequisite": prerequisite.code})
    db.session.commit()
    db.session.expire(subject, ["prerequisites"])
    return subject


def unlink_prerequisite(actor: User | None, subject_id: int, prerequisite_id: int) -> Subject:
    """Remove a prerequisite link (removing one can never create a cycle)."""
    subject = get_subject(subject_id)
    prerequisite = db.session.get(Subject, prerequisite_id)
    if prerequisite is None or prerequisite.program_id != subject.program_id:
        raise NotFound("That prerequisite link does not exist.")
    _lock_program(subject.program_id)
    result = db.session.execute(delete(subject_prerequisites).where(
        subject_prerequisites.c.subject_id == subject.id,
        subject_prerequisites.c.prerequisite_id == prerequisite.id))
    if not result.rowcount:
        db.session.rollback()
        raise NotFound(f"{prerequisite.code} is not a prerequisite of {subject.code}.")
    audit.record(actor, "curriculum.prerequisite_unlink", subject,
                 before={"subject": subject.code, "prerequisite": prerequisite.code})
    db.session.commit()
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
    links = [(sid, pid) for sid, pid in db.session.execute(
        select(subject_prerequisites.c.subject_id, subject_prerequisites.c.prerequisite_id)
        .join(Subject, Subject.id == subject_prerequisites.c.subject_id)
        .where(Subject.program_id == program.id))
        if sid in rows and pid in rows]
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
