"""What the grade pages show: a class's roster with drafts, pending requests and INC clocks;
the professor's classes; the registrar's queues; a student's record by term; histories."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import joinedload

from richwell.extensions import db
from richwell.models import (
    ChangeRequestStatus,
    GradeChangeRequest,
    GradeEntry,
    GradeSheet,
    GradeSheetStatus,
    GradeVersion,
    IncRecord,
    IncStatus,
    Offering,
    Section,
    Student,
    Subject,
    SubjectEnrollment,
    Term,
    TermEnrollment,
    TermGpa,
    User,
)

# The LOA history is the student record's; the INC clock only reads it.
from richwell.services.admissions import loa_periods
from richwell.services.platform.clock import today

from . import gpa
from .access import get_student, offering_for
from .inc import inc_deadline
from .rules import S, Summary, distribution, entry_closes_on, summarize

# --- a class's grade sheet ------------------------------------------------------------------


def roster_query(offering_id: int) -> Select[SubjectEnrollment]:
    """The students of an offering who are in it (not dropped through enrollment), by name."""
    return (select(SubjectEnrollment)
            .join(TermEnrollment, TermEnrollment.id == SubjectEnrollment.term_enrollment_id)
            .join(Student, Student.id == TermEnrollment.student_id)
            .join(User, User.id == Student.user_id)
            .where(SubjectEnrollment.offering_id == offering_id, SubjectEnrollment.dropped_at.is_(None))
            .options(joinedload(SubjectEnrollment.enrollment).joinedload(TermEnrollment.student)
                     .joinedload(Student.user))
            .order_by(User.last_name, User.first_name, Student.student_number))


@dataclass
class RosterRow:
    """One student on a class's grade sheet: the draft, a waiting change request, the INC clock."""

    enrollment: SubjectEnrollment
    draft: str | None
    pending: GradeChangeRequest | None = None
    inc: IncRecord | None = None

    @property
    def student(self) -> Student:
        return self.enrollment.enrollment.student

    @property
    def final(self) -> str | None:
        return self.enrollment.grade

    @property
    def shown(self) -> str | None:
        """What the sheet shows: the final grade once posted, else the draft."""
        return self.enrollment.grade if self.enrollment.grade is not None else self.draft


def roster(offering_id: int) -> list[RosterRow]:
    """The grade sheet rows: each student with their draft, pending request and INC clock."""
    enrollments = db.session.scalars(roster_query(offering_id)).unique().all()
    ids = [se.id for se in enrollments]
    drafts = {row.subject_enrollment_id: row.value for row in db.session.execute(
        select(GradeEntry.subject_enrollment_id, GradeEntry.value).where(GradeEntry.offering_id == offering_id))}
    pending = {r.subject_enrollment_id: r for r in db.session.scalars(
        select(GradeChangeRequest).where(GradeChangeRequest.subject_enrollment_id.in_(ids),
                                         GradeChangeRequest.status == ChangeRequestStatus.PENDING.value))}
    incs = {r.subject_enrollment_id: r for r in db.session.scalars(
        select(IncRecord).where(IncRecord.subject_enrollment_id.in_(ids)))}
    return [RosterRow(se, drafts.get(se.id), pending.get(se.id), incs.get(se.id)) for se in enrollments]


def find_sheet(offering_id: int) -> GradeSheet | None:
    """The offering's grade sheet if one exists yet (read-only; pages use it)."""
    sheet: GradeSheet | None = db.session.scalar(select(GradeSheet).where(GradeSheet.offering_id == offering_id))
    return sheet


@dataclass
class SheetView:
    """One class's grade sheet as its pages show it."""

    offering: Offering
    term: Term
    sheet: GradeSheet | None
    rows: list[RosterRow]
    closes: date

    @property
    def status(self) -> str:
        return self.sheet.status if self.sheet is not None else GradeSheetStatus.OPEN.value

    @property
    def shown(self) -> list[str | None]:
        return [row.shown for row in self.rows]

    @property
    def summary(self) -> Summary:
        return summarize(self.shown)

    @property
    def chart(self) -> list[tuple[str, int]]:
        return distribution(self.shown)

    @property
    def entry_open(self) -> bool:
        """Drafts may still change: the sheet is OPEN and its entry period has not closed."""
        return self.status == GradeSheetStatus.OPEN.value and today() <= self.closes


def grade_sheet(viewer: User | None, offering_id: int) -> SheetView:
    """A class's grade sheet: its professor sees their own classes only, a registrar any."""
    offering = offering_for(viewer, offering_id)
    rows = roster(offering.id)
    sheet = find_sheet(offering.id)
    term = offering.section.term
    return SheetView(offering=offering, term=term, sheet=sheet, rows=rows, closes=entry_closes_on(sheet, term))


# --- lists for the professor and the registrar --------------------------------------------------

def professor_offerings(viewer: User) -> list[tuple[Offering, str]]:
    """The viewer's own classes, latest term first, with their sheet status."""
    rows = db.session.execute(
        select(Offering, func.coalesce(GradeSheet.status, GradeSheetStatus.OPEN.value).label("sheet_status"))
        .join(Section, Section.id == Offering.section_id).join(Term, Term.id == Section.term_id)
        .join(Subject, Subject.id == Offering.subject_id)
        .outerjoin(GradeSheet, GradeSheet.offering_id == Offering.id)
        .where(Offering.professor_id == viewer.id)
        .order_by(Term.start_date.desc(), Subject.code, Section.code))
    return [(row.Offering, row.sheet_status) for row in rows]


def sheets_with_status(status: str) -> list[GradeSheet]:
    """Grade sheets in one state (the registrar's queue), oldest submission first."""
    return list(db.session.scalars(
        select(GradeSheet).where(GradeSheet.status == status)
        .options(joinedload(GradeSheet.offering).joinedload(Offering.subject),
                 joinedload(GradeSheet.offering).joinedload(Offering.section).joinedload(Section.term),
                 joinedload(GradeSheet.offering).joinedload(Offering.professor))
        .order_by(GradeSheet.submitted_at, GradeSheet.id)).unique().all())


def open_past_deadline(on: date | None = None) -> list[Offering]:
    """Classes whose entry has closed without a submission (candidates for reopening)."""
    on = on or today()
    return list(db.session.scalars(
        select(Offering).join(Section, Section.id == Offering.section_id).join(Term, Term.id == Section.term_id)
        .outerjoin(GradeSheet, GradeSheet.offering_id == Offering.id)
        .where(func.coalesce(GradeSheet.status, GradeSheetStatus.OPEN.value) == GradeSheetStatus.OPEN.value,
               Term.grade_deadline < on,
               or_(GradeSheet.late_entry_until.is_(None), GradeSheet.late_entry_until < on),
               exists().where(SubjectEnrollment.offering_id == Offering.id,
                              SubjectEnrollment.status == S.ENROLLED.value))
        .order_by(Term.start_date.desc(), Offering.id).limit(200)).all())


def requests_for(viewer: User, status: str = ChangeRequestStatus.PENDING.value) -> list[GradeChangeRequest]:
    """Change requests with a status, newest first (registrars see all; the page sorts them)."""
    return list(db.session.scalars(
        select(GradeChangeRequest).where(GradeChangeRequest.status == status)
        .options(joinedload(GradeChangeRequest.subject_enrollment).joinedload(SubjectEnrollment.subject),
                 joinedload(GradeChangeRequest.requested_by))
        .order_by(GradeChangeRequest.requested_at.desc(), GradeChangeRequest.id.desc())).all())


def history(subject_enrollment_id: int) -> list[GradeVersion]:
    """Every value the grade took, oldest first."""
    return list(db.session.scalars(
        select(GradeVersion).where(GradeVersion.subject_enrollment_id == subject_enrollment_id)
        .options(joinedload(GradeVersion.actor))
        .order_by(GradeVersion.created_at, GradeVersion.id)).all())


def search_students(query: str, limit: int = 20) -> list[Student]:
    """Students by number or name, for the registrar's grade records."""
    text = (query or "").strip()[:100]
    if not text:
        return []
    like = f"%{text.lower()}%"
    return list(db.session.scalars(
        select(Student).join(User, User.id == Student.user_id)
        .where(or_(Student.student_number.like(f"{text}%"), func.lower(User.last_name).like(like),
                   func.lower(User.first_name).like(like)))
        .order_by(User.last_name, User.first_name).limit(limit)).all())


# --- a student's record ---------------------------------------------------------------------------

@dataclass
class StudentGrade:
    """One subject on a student's record, with its INC countdown or retake hint."""

    enrollment: SubjectEnrollment
    term: Term
    inc_deadline: date | None = None
    days_left: int | None = None
    inc_paused: bool = False
    retake_hint: str | None = None


def _retake_hint(se: SubjectEnrollment, later: list[str]) -> str | None:
    """What a failed or dropped subject asks of the student, given the later attempts' statuses."""
    if S.PASSED.value in later:
        return None
    if any(status in (S.ENROLLED.value, S.INC.value) for status in later):
        return "Retake in progress."
    return (f"Take {se.subject.code} again: it shows among your recommended subjects "
            "as a retake when it is offered.")


def student_record(viewer: User | None, student_id: int,
                   on: date | None = None) -> list[tuple[Term, list[StudentGrade]]]:
    """A student's subjects by term (oldest first) with INC countdowns and retake hints; the
    student sees only their own, a registrar anyone's."""
    student = get_student(viewer, student_id)
    on = on or today()
    rows = db.session.execute(
        select(SubjectEnrollment, Term)
        .join(TermEnrollment, TermEnrollment.id == SubjectEnrollment.term_enrollment_id)
        .join(Term, Term.id == TermEnrollment.term_id)
        .join(Subject, Subject.id == SubjectEnrollment.subject_id)
        .where(TermEnrollment.student_id == student.id)
        .options(joinedload(SubjectEnrollment.subject))
        .order_by(Term.start_date, Subject.code)).all()
    incs = {r.subject_enrollment_id: r for r in db.session.scalars(
        select(IncRecord).where(IncRecord.student_id == student.id, IncRecord.status == IncStatus.OPEN.value))}
    periods = loa_periods(student.id) if incs else []
    on_loa = any(end is None for _start, end in periods[-1:])  # the latest leave still runs
    attempts: dict[int, list[tuple[date, str]]] = {}
    for row in rows:
        attempts.setdefault(row.SubjectEnrollment.subject_id, []).append((row.Term.start_date,
                                                                          row.SubjectEnrollment.status))
    by_term: dict[int, tuple[Term, list[StudentGrade]]] = {}
    for row in rows:
        se, term = row.SubjectEnrollment, row.Term
        grade = StudentGrade(se, term)
        record = incs.get(se.id)
        if record is not None and se.status == S.INC.value:
            grade.inc_deadline = inc_deadline(record, on, periods)
            grade.days_left = max(0, (grade.inc_deadline - on).days)
            grade.inc_paused = on_loa
        if se.status in (S.FAILED.value, S.DROPPED.value):
            later = [status for start, status in attempts[se.subject_id] if start > term.start_date]
            grade.retake_hint = _retake_hint(se, later)
        _term, grades = by_term.setdefault(term.id, (term, []))
        grades.append(grade)
    return list(by_term.values())


def term_gpas(viewer: User | None, student_id: int) -> dict[int, TermGpa]:
    """The student's stored term GPAs by term id (the student's own, or any for a registrar)."""
    student = get_student(viewer, student_id)
    return gpa.stored_term_gpas(student.id)
