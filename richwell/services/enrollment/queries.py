"""Reads of subject enrollment, each one statement with labelled columns read by name: a term
enrollment's standing, the student's history, a subject in a section, the week's meetings, the
current enrollment and the picker's preview.

The add path runs these thousands of times a minute on enrollment day, so its statements are
built once (`cached_statement`) with binds and run as Core on the session's connection, without
the ORM layer."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any, Unpack

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    CursorResult,
    Executable,
    Integer,
    Row,
    ScalarSelect,
    Select,
    TextualSelect,
    and_,
    bindparam,
    literal,
    null,
    select,
    union_all,
)

from richwell.extensions import db
from richwell.models import (
    CreditStatus,
    MonthBucket,
    Offering,
    Program,
    Role,
    ScheduleSlot,
    Section,
    Semester,
    Setting,
    Student,
    Subject,
    SubjectEnrollment,
    SubjectEnrollmentStatus,
    Term,
    TermEnrollment,
    TransferCredit,
    User,
)
from richwell.services.academics import CREDITED
from richwell.services.platform import settings
from richwell.services.platform.errors import NotFound
from richwell.services.platform.sql import cached_statement, hot_sql, returning

from .rules import (
    NO_ENROLLMENT,
    READERS,
    Attempt,
    Meeting,
    PrerequisiteRef,
    RawId,
    Standing,
    SubjectFacts,
    check_id,
    person_name,
    professor_name,
)

te, st, tm, mb = (m.__table__ for m in (TermEnrollment, Student, Term, MonthBucket))
se, sec, off, sub, slot = (m.__table__ for m in (SubjectEnrollment, Section, Offering, Subject, ScheduleSlot))
usr, prog = User.__table__, Program.__table__

# Rows and statements of any width (SQLAlchemy types them by their columns' tuple).
AnyRow = Row[Unpack[tuple[Any, ...]]]
AnySelect = Select[Unpack[tuple[Any, ...]]]


def run(statement: Executable, **params: Any) -> CursorResult[Unpack[tuple[Any, ...]]]:
    """Run a prebuilt statement inside the session's transaction (Core, no ORM layer)."""
    return db.session.connection().execute(statement, params)


# --- the standing: the enrollment, its student, term, month-1 bucket and the unit cap ----

def _standing_statement(advising: bool) -> AnySelect:
    """Enrolling and dropping read it under the enrollment's row lock; advising without the
    lock and with the student's name and program."""
    max_units = (select(Setting.__table__.c.value).where(Setting.__table__.c.key == "max_units")
                 .scalar_subquery().label("max_units"))
    stmt = (
        select(te.c.id.label("term_enrollment_id"), te.c.student_id, te.c.status, te.c.enrolled_units,
               te.c.monthly_commitment, st.c.user_id.label("student_user_id"), st.c.student_number,
               st.c.program_id, st.c.year_level, tm.c.id.label("term_id"), tm.c.academic_year, tm.c.semester,
               tm.c.is_current, tm.c.enrollment_open, tm.c.enrollment_close, tm.c.drop_deadline,
               mb.c.required.label("month1_required"), mb.c.paid.label("month1_paid"), max_units)
        .select_from(te.join(st, st.c.id == te.c.student_id).join(tm, tm.c.id == te.c.term_id)
                     .outerjoin(mb, and_(mb.c.term_enrollment_id == te.c.id, mb.c.month == 1)))
        .where(te.c.id == bindparam("te_id"))
    )
    if not advising:
        return stmt.with_for_update(of=te)
    return (stmt.add_columns(usr.c.first_name, usr.c.middle_name, usr.c.last_name, prog.c.code.label("program_code"))
            .join(usr, usr.c.id == st.c.user_id).join(prog, prog.c.id == st.c.program_id))


def _standing(row: AnyRow) -> Standing:
    return Standing(
        term_enrollment_id=row.term_enrollment_id, student_id=row.student_id, student_user_id=row.student_user_id,
        student_number=row.student_number, program_id=row.program_id, year_level=row.year_level,
        status=row.status, enrolled_units=row.enrolled_units or 0, monthly_commitment=row.monthly_commitment,
        term_id=row.term_id, term_name=f"{Semester(row.semester).label} {row.academic_year}",
        term_semester=row.semester, term_is_current=bool(row.is_current), enrollment_open=row.enrollment_open,
        enrollment_close=row.enrollment_close, drop_deadline=row.drop_deadline,
        month1_required=row.month1_required, month1_paid=row.month1_paid,
        max_units=settings.typed("max_units", row.max_units))


def lock_standing(term_enrollment_id: int) -> Standing | None:
    """One statement: the standing, with the term enrollment's row locked until the commit
    (always locked first: the enrollment, then the offering)."""
    row = run(cached_statement("enrollment.standing", _standing_statement, False), te_id=term_enrollment_id).first()
    return None if row is None else _standing(row)


@dataclass(frozen=True)
class Person:
    """The student as the picker heads it."""

    name: str
    program_code: str


def standing_for_advising(term_enrollment_id: int) -> tuple[Standing, Person] | None:
    """One statement: the standing (unlocked) with the student's name and program."""
    row = run(cached_statement("enrollment.standing", _standing_statement, True), te_id=term_enrollment_id).first()
    if row is None:
        return None
    return _standing(row), Person(person_name(row.first_name, row.middle_name, row.last_name), row.program_code)


# --- the history: every attempt of the student and accepted transfer credits -------------

def history_statement() -> CompoundSelect[Unpack[tuple[Any, ...]]]:
    """Every attempt of the student (by `student_id`) and the subjects of accepted transfer
    credits (status CREDITED), labelled as `apply_history` reads them."""
    tc = TransferCredit.__table__
    attempts = (
        select(se.c.subject_id, se.c.status, se.c.id.label("subject_enrollment_id"), se.c.term_enrollment_id,
               se.c.offering_id, tm.c.academic_year, tm.c.semester, sec.c.code.label("section_code"),
               tm.c.start_date, se.c.enrolled_at)
        .select_from(se.join(te, te.c.id == se.c.term_enrollment_id).join(tm, tm.c.id == te.c.term_id)
                     .outerjoin(off, off.c.id == se.c.offering_id).outerjoin(sec, sec.c.id == off.c.section_id))
        .where(te.c.student_id == bindparam("student_id"))
    )
    credits = (
        select(tc.c.subject_id, literal(CREDITED), null(), null(), null(), null(), null(), null(), null(), null())
        .where(tc.c.student_id == bindparam("student_id"), tc.c.status == CreditStatus.ACCEPTED.value)
    )
    return union_all(attempts, credits)


def load_history(standing: Standing) -> None:
    """One statement: every attempt of the student (all terms, oldest first: the last one wins)
    and the subjects of accepted transfer credits."""
    rows = run(cached_statement("enrollment.history", history_statement), student_id=standing.student_id).all()
    apply_history(standing, rows)


def apply_history(standing: Standing, rows: Iterable[AnyRow]) -> None:
    """The student's history from rows of `history_statement` (rows without a subject, which a
    statement reading more beside the history may carry, hold no attempt)."""
    rows = [r for r in rows if r.subject_id is not None]
    attempts = sorted((r for r in rows if r.status != CREDITED),
                      key=lambda r: (r.start_date, r.enrolled_at, r.subject_enrollment_id))
    standing.history = [
        Attempt(subject_id=r.subject_id, status=r.status, subject_enrollment_id=r.subject_enrollment_id,
                term_enrollment_id=r.term_enrollment_id, offering_id=r.offering_id,
                term_name=f"{Semester(r.semester).label} {r.academic_year}", section_code=r.section_code)
        for r in attempts
    ]
    standing.credited = [r.subject_id for r in rows if r.status == CREDITED]


# --- a subject in a section --------------------------------------------------------------

@dataclass(frozen=True)
class SectionOffer:
    """A section, and the offering of the chosen subject in it (offering_id None when not offered)."""

    section_id: int
    term_id: int
    code: str
    offering_id: int | None
    capacity: int | None
    enrolled_count: int | None
    professor: str


# The standing's columns as `_standing_statement` labels them, then the choice's. Text: its
# Core form's cache key, derived on every execution, cost more CPU than running it.
_STANDING_COLUMNS = """
       enrollment.id AS term_enrollment_id, enrollment.student_id, enrollment.status, enrollment.enrolled_units,
       enrollment.monthly_commitment, student.user_id AS student_user_id, student.student_number,
       student.program_id, student.year_level, term.id AS term_id, term.academic_year, term.semester,
       term.is_current, term.enrollment_open, term.enrollment_close, term.drop_deadline,
       month1.required AS month1_required, month1.paid AS month1_paid,
       (SELECT setting.value FROM settings AS setting WHERE setting.key = :max_units_key) AS max_units"""
_STANDING_FROM = """
FROM term_enrollments AS enrollment
JOIN students AS student ON student.id = enrollment.student_id
JOIN terms AS term ON term.id = enrollment.term_id
LEFT JOIN month_buckets AS month1 ON month1.term_enrollment_id = enrollment.id AND month1.month = 1"""
_LOCKED_CHOICE = "SELECT" + _STANDING_COLUMNS + """,
       subject.id AS subject_id, subject.program_id AS subject_program_id, subject.code AS subject_code,
       subject.title AS subject_title, subject.units, subject.year_level AS subject_year_level,
       subject.semester AS subject_semester, prereq.id AS prerequisite_id, prereq.code AS prerequisite_code,
       prereq.title AS prerequisite_title, section.id AS section_id, section.term_id AS section_term_id,
       section.code AS section_code, offering.id AS offering_id, offering.capacity, offering.enrolled_count,
       professor.first_name AS professor_first_name, professor.last_name AS professor_last_name""" \
    + _STANDING_FROM + """
LEFT JOIN subjects AS subject ON subject.id = :subject_id
LEFT JOIN subject_prerequisites AS link ON link.subject_id = subject.id
LEFT JOIN subjects AS prereq ON prereq.id = link.prerequisite_id
LEFT JOIN sections AS section ON section.id = :section_id
LEFT JOIN offerings AS offering ON offering.section_id = section.id AND offering.subject_id = subject.id
LEFT JOIN users AS professor ON professor.id = offering.professor_id
WHERE enrollment.id = :te_id
ORDER BY prereq.code
"""


# The names of `_STANDING_COLUMNS`, in order, and the types of those a row needs converted.
_STANDING_NAMES = (
    "term_enrollment_id", "student_id", "status", "enrolled_units", "monthly_commitment", "student_user_id",
    "student_number", "program_id", "year_level", "term_id", "academic_year", "semester", "is_current",
    "enrollment_open", "enrollment_close", "drop_deadline", "month1_required", "month1_paid", "max_units")
_STANDING_TYPES = {
    "monthly_commitment": te.c.monthly_commitment.type, "month1_required": mb.c.required.type,
    "month1_paid": mb.c.paid.type, "is_current": tm.c.is_current.type, "enrollment_open": tm.c.enrollment_open.type,
    "enrollment_close": tm.c.enrollment_close.type, "drop_deadline": tm.c.drop_deadline.type,
    "max_units": Setting.__table__.c.value.type}
_CHOICE_NAMES = (
    "subject_id", "subject_program_id", "subject_code", "subject_title", "units", "subject_year_level",
    "subject_semester", "prerequisite_id", "prerequisite_code", "prerequisite_title", "section_id",
    "section_term_id", "section_code", "offering_id", "capacity", "enrolled_count", "professor_first_name",
    "professor_last_name")
_ATTEMPT_NAMES = (
    "attempt_term_enrollment_id", "attempt_status", "offering_id", "is_retake", "is_irregular", "grade",
    "subject_id", "code", "title", "units", "section_id", "section_code")


def _standing_text(sql: str, more: tuple[str, ...]) -> TextualSelect:
    """A text statement reading `_STANDING_COLUMNS` with their types, then the columns `more`."""
    return returning(hot_sql(sql).bindparams(max_units_key="max_units"), _STANDING_NAMES + more, _STANDING_TYPES)


def _locked_choice_statement(dialect: str) -> TextualSelect:
    """The standing under the enrollment's row lock, each row carrying the chosen subject with
    one of its prerequisites, the section, and the offering of that subject in that section
    with its professor (outer joins: a missing subject or section reads as NULLs). SQLite has
    no row locks (its writers are serialised)."""
    lock = "FOR UPDATE OF enrollment" if dialect == "postgresql" else ""
    return _standing_text(_LOCKED_CHOICE + lock, _CHOICE_NAMES)


@dataclass(frozen=True)
class LockedChoice:
    """The locked standing and what the student chose (None: that subject or section does not exist)."""

    standing: Standing
    subject: SubjectFacts | None
    section: SectionOffer | None


def lock_standing_with_choice(term_enrollment_id: int, subject_id: int, section_id: int) -> LockedChoice | None:
    """One statement: the standing with the term enrollment's row locked until the commit (as
    `lock_standing`), and the subject with its prerequisites, the section and the offering of
    that subject in that section (with its professor), if any. None: no such enrollment."""
    statement = cached_statement("enrollment.standing_with_choice", _locked_choice_statement,
                                 db.session.get_bind().dialect.name)
    rows = run(statement, te_id=term_enrollment_id, subject_id=subject_id, section_id=section_id).all()
    if not rows:
        return None
    first = rows[0]
    standing = _standing(first)
    if first.subject_id is None:
        return LockedChoice(standing, None, None)
    prereqs = tuple(PrerequisiteRef(r.prerequisite_id, r.prerequisite_code, r.prerequisite_title)
                    for r in rows if r.prerequisite_id is not None)
    subject = SubjectFacts(first.subject_id, first.subject_program_id, first.subject_code, first.subject_title,
                           first.units, first.subject_year_level, first.subject_semester, prereqs)
    if first.section_id is None:
        return LockedChoice(standing, subject, None)
    return LockedChoice(standing, subject, SectionOffer(
        section_id=first.section_id, term_id=first.section_term_id, code=first.section_code,
        offering_id=first.offering_id, capacity=first.capacity, enrolled_count=first.enrolled_count,
        professor=professor_name(first.professor_first_name, first.professor_last_name)))


# --- the subject enrollment a drop names, locked with its term enrollment ----------------

_LOCKED_ATTEMPT = "SELECT" + _STANDING_COLUMNS + """,
       attempt.term_enrollment_id AS attempt_term_enrollment_id, attempt.status AS attempt_status,
       attempt.offering_id, attempt.is_retake, attempt.is_irregular, attempt.grade, subject.id AS subject_id,
       subject.code, subject.title, subject.units, section.id AS section_id, section.code AS section_code""" \
    + _STANDING_FROM + """
JOIN subject_enrollments AS attempt ON attempt.id = :se_id AND attempt.term_enrollment_id = enrollment.id
JOIN subjects AS subject ON subject.id = attempt.subject_id
LEFT JOIN offerings AS offering ON offering.id = attempt.offering_id
LEFT JOIN sections AS section ON section.id = offering.section_id
WHERE enrollment.id = :te_id
FOR UPDATE OF enrollment, attempt
"""


def lock_standing_with_attempt(term_enrollment_id: int, subject_enrollment_id: int) -> tuple[Standing, AnyRow] | None:
    """One statement (PostgreSQL): the standing and one of its subject enrollments (with its
    subject and section), both rows locked until the commit. PostgreSQL hands back the latest
    version of each locked row, so a concurrent drop of the same subject, committed while
    this waited, is seen. None: no such enrollment, or that subject is not in it."""
    statement = cached_statement("enrollment.standing_with_attempt", _standing_text, _LOCKED_ATTEMPT, _ATTEMPT_NAMES)
    row = run(statement, te_id=term_enrollment_id, se_id=subject_enrollment_id).first()
    return None if row is None else (_standing(row), row)


# --- the week ----------------------------------------------------------------------------

def meeting_columns() -> tuple[ColumnElement[Any], ...]:
    """A weekly meeting's columns, labelled as `Meeting`'s fields (joins: slot, offering, subject, section)."""
    return (slot.c.offering_id, off.c.subject_id, sub.c.code.label("subject_code"),
            sub.c.title.label("subject_title"), sec.c.code.label("section_code"), slot.c.day,
            slot.c.start_time.label("start"), slot.c.end_time.label("end"), slot.c.room)


def meeting(row: AnyRow) -> Meeting:
    """A row of `meeting_columns` as a Meeting (its labels are Meeting's fields)."""
    return Meeting(**row._mapping)


MEETING_NAMES = tuple(f.name for f in fields(Meeting))


def meeting_among(row: AnyRow) -> Meeting:
    """The Meeting in a row that carries `meeting_columns` beside other columns."""
    mapping = row._mapping
    return Meeting(**{name: mapping[name] for name in MEETING_NAMES})


def _meetings_statement(where: ColumnElement[bool]) -> AnySelect:
    return (
        select(*meeting_columns())
        .select_from(slot.join(off, off.c.id == slot.c.offering_id).join(sub, sub.c.id == off.c.subject_id)
                     .join(sec, sec.c.id == off.c.section_id))
        .where(where)
        .order_by(slot.c.day, slot.c.start_time, sub.c.code)
    )


def load_meetings(where: ColumnElement[bool]) -> list[Meeting]:
    """The weekly meetings matching `where` (one statement), by day and start."""
    return [meeting(row) for row in db.session.execute(_meetings_statement(where))]


def enrolled_offering_ids(term_enrollment_id: int) -> ScalarSelect[Any]:
    """The offerings a term enrollment is ENROLLED in (a subquery)."""
    return (select(SubjectEnrollment.offering_id)
            .where(SubjectEnrollment.term_enrollment_id == term_enrollment_id,
                   SubjectEnrollment.status == SubjectEnrollmentStatus.ENROLLED.value,
                   SubjectEnrollment.offering_id.is_not(None))
            .scalar_subquery())


def week_meetings(term_enrollment_id: int) -> list[Meeting]:
    """The student's week: the meetings of every ENROLLED class of the term enrollment."""
    return load_meetings(ScheduleSlot.offering_id.in_(enrolled_offering_ids(term_enrollment_id)))


def week_with_statement() -> AnySelect:
    """The meetings of a term enrollment's (`te_id`) ENROLLED classes and of one more offering
    (`off_id`), by day, start and subject code."""
    enrolled = (select(se.c.offering_id)
                .where(se.c.term_enrollment_id == bindparam("te_id"),
                       se.c.status == SubjectEnrollmentStatus.ENROLLED.value,
                       se.c.offering_id.is_not(None)))
    # One IN over a union (not an OR): the planner then walks the slot index for these few
    # offerings instead of scanning every offering of the term.
    return _meetings_statement(slot.c.offering_id.in_(union_all(select(bindparam("off_id", type_=Integer)),
                                                                enrolled)))


def week_with(term_enrollment_id: int, offering_id: int) -> list[Meeting]:
    """One statement: the student's enrolled classes and one more offering's meetings."""
    rows = run(cached_statement("enrollment.week_with", week_with_statement),
               off_id=offering_id, te_id=term_enrollment_id)
    return [meeting(row) for row in rows]


# --- the current enrollment and the picker's preview --------------------------------------

def current_enrollment_id(student_user_id: int) -> int | None:
    """The id of the student's term enrollment for the current term (None when not opened)."""
    found: int | None = db.session.scalar(
        select(TermEnrollment.id)
        .join(Student, Student.id == TermEnrollment.student_id)
        .join(Term, Term.id == TermEnrollment.term_id)
        .where(Student.user_id == student_user_id, Term.is_current.is_(True)))
    return found


def require_reader(actor: User, term_enrollment_id: int) -> None:
    """Refuse (NotFound) a term enrollment the actor may not read: a student's own only (one
    statement), any for registrars and administrators (none)."""
    if actor.role in READERS:
        return
    owner = None
    if actor.role == Role.STUDENT.value:
        owner = db.session.scalar(select(Student.user_id).join(TermEnrollment, TermEnrollment.student_id == Student.id)
                                  .where(TermEnrollment.id == term_enrollment_id))
    if owner is None or owner != actor.id:
        raise NotFound(NO_ENROLLMENT)


def preview_meetings(term_enrollment_id: RawId, actor: User,
                     offering_id: RawId = None) -> tuple[list[Meeting], list[Meeting]]:
    """The student's enrolled meetings this term and, when given, a candidate offering's
    meetings (the picker's preview marks clashes before anything is submitted). A student
    previews only their own enrollment."""
    te_id = check_id(term_enrollment_id, "term_enrollment_id", "term enrollment")
    require_reader(actor, te_id)
    enrolled = week_meetings(te_id)
    if offering_id is None or any(m.offering_id == offering_id for m in enrolled):
        return enrolled, []
    off_id = check_id(offering_id, "offering_id", "section")
    return enrolled, load_meetings(ScheduleSlot.offering_id == off_id)
