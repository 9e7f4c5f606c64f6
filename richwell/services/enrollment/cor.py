"""What follows from the enrolled subjects (read-only): the Certificate of Registration and
weekly schedule of a student, class rosters (registrar: any; professor: own classes only),
and finding a student's term enrollment for the registrar and admin pages."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select

from richwell.extensions import db
from richwell.models import (
    MonthBucket,
    Offering,
    Program,
    Role,
    ScheduleSlot,
    Section,
    Semester,
    Student,
    Subject,
    SubjectEnrollment,
    SubjectEnrollmentStatus,
    Term,
    TermEnrollment,
    User,
)
from richwell.models.enrollment import BucketTotals
from richwell.services.platform.clock import today
from richwell.services.platform.errors import NotFound

from .subjects import Meeting, check_id, load_meetings, professor_name

SEARCH_MAX = 100


@dataclass(frozen=True)
class RegisteredSubject:
    subject_enrollment_id: int
    code: str
    title: str
    units: int
    section_code: str | None
    professor: str
    meetings: tuple[Meeting, ...]
    is_retake: bool
    is_irregular: bool


@dataclass(frozen=True)
class BucketLine:
    month: int
    required: Decimal
    paid: Decimal

    @property
    def remaining(self) -> Decimal:
        return max(self.required - self.paid, Decimal("0.00"))


@dataclass(frozen=True)
class Registration(BucketTotals):
    """The Certificate of Registration: who, which term, the subjects and the assessment."""

    term_enrollment_id: int
    student_user_id: int
    student_number: str
    student_name: str
    program_code: str
    program_name: str
    year_level: int
    term_name: str
    status: str
    subjects: tuple[RegisteredSubject, ...]
    monthly_commitment: Decimal
    credit_balance: Decimal
    buckets: tuple[BucketLine, ...]
    issued_on: date

    @property
    def total_units(self) -> int:
        return sum(s.units for s in self.subjects)

    @property
    def timetable(self) -> list[Meeting]:
        return sorted((m for s in self.subjects for m in s.meetings), key=lambda m: (m.day, m.start))


def registration(term_enrollment_id) -> Registration:
    """The COR of a term enrollment: its ENROLLED subjects with sections, schedule and units,
    and the assessment (monthly commitment and month buckets). Four statements."""
    te_id = check_id(term_enrollment_id, "term_enrollment_id", "term enrollment")
    head = db.session.execute(
        select(TermEnrollment.id, TermEnrollment.status, TermEnrollment.monthly_commitment,
               TermEnrollment.credit_balance, Student.user_id, Student.student_number, Student.year_level,
               User.first_name, User.middle_name, User.last_name, Program.code, Program.name,
               Term.academic_year, Term.semester)
        .join(Student, Student.id == TermEnrollment.student_id)
        .join(User, User.id == Student.user_id)
        .join(Program, Program.id == Student.program_id)
        .join(Term, Term.id == TermEnrollment.term_id)
        .where(TermEnrollment.id == te_id)).first()
    if head is None:
        raise NotFound("That term enrollment does not exist.")
    buckets = db.session.execute(
        select(MonthBucket.month, MonthBucket.required, MonthBucket.paid)
        .where(MonthBucket.term_enrollment_id == te_id).order_by(MonthBucket.month)).all()
    Prof = User.__table__.alias("professor")
    rows = db.session.execute(
        select(SubjectEnrollment.id, Subject.code, Subject.title, Subject.units, Section.code,
               Prof.c.first_name, Prof.c.last_name, SubjectEnrollment.offering_id, SubjectEnrollment.is_retake,
               SubjectEnrollment.is_irregular)
        .join(Subject, Subject.id == SubjectEnrollment.subject_id)
        .outerjoin(Offering, Offering.id == SubjectEnrollment.offering_id)
        .outerjoin(Section, Section.id == Offering.section_id)
        .outerjoin(Prof, Prof.c.id == Offering.professor_id)
        .where(SubjectEnrollment.term_enrollment_id == te_id,
               SubjectEnrollment.status == SubjectEnrollmentStatus.ENROLLED.value)
        .order_by(Subject.code)).all()
    meetings: dict[int, list[Meeting]] = {}
    offering_ids = [r[7] for r in rows if r[7] is not None]
    if offering_ids:
        for meeting in load_meetings(ScheduleSlot.offering_id.in_(offering_ids)):
            meetings.setdefault(meeting.offering_id, []).append(meeting)
    subjects = tuple(
        RegisteredSubject(subject_enrollment_id=r[0], code=r[1], title=r[2], units=r[3], section_code=r[4],
                          professor=professor_name(r[5], r[6]), meetings=tuple(meetings.get(r[7], [])),
                          is_retake=r[8], is_irregular=r[9])
        for r in rows)
    (_, status, commitment, credit, user_id, number, year_level, first, middle, last, p_code, p_name,
     academic_year, semester) = head
    return Registration(
        term_enrollment_id=te_id, student_user_id=user_id, student_number=number,
        student_name=" ".join(p for p in (first, middle, last) if p), program_code=p_code, program_name=p_name,
        year_level=year_level, term_name=f"{Semester(semester).label} {academic_year}", status=status,
        subjects=subjects, monthly_commitment=commitment, credit_balance=credit or Decimal("0.00"),
        buckets=tuple(BucketLine(*b) for b in buckets), issued_on=today())


# --- class rosters ----------------------------------------------------------------------

@dataclass(frozen=True)
class RosterLine:
    student_number: str
    last_name: str
    first_name: str
    middle_name: str | None
    program_code: str
    year_level: int
    status: str
    is_retake: bool
    is_irregular: bool


@dataclass(frozen=True)
class Roster:
    offering_id: int
    subject_code: str
    subject_title: str
    units: int
    section_code: str
    term_name: str
    professor: str
    capacity: int
    enrolled_count: int
    meetings: tuple[Meeting, ...]
    students: tuple[RosterLine, ...]


def _can_see_offering(viewer: User, professor_id: int | None) -> bool:
    if viewer.role in (Role.REGISTRAR.value, Role.HEAD_REGISTRAR.value):
        return True
    return viewer.role == Role.PROFESSOR.value and professor_id == viewer.id


def class_roster(offering_id, viewer: User) -> Roster:
    """The students of one class (everyone not DROPPED), by name. A registrar sees any class,
    a professor only their own; anything else does not exist for the viewer."""
    off_id = check_id(offering_id, "offering_id", "class")
    Prof = User.__table__.alias("professor")
    head = db.session.execute(
        select(Offering.id, Offering.professor_id, Offering.capacity, Offering.enrolled_count, Subject.code,
               Subject.title, Subject.units, Section.code, Term.academic_year, Term.semester,
               Prof.c.first_name, Prof.c.last_name)
        .join(Subject, Subject.id == Offering.subject_id)
        .join(Section, Section.id == Offering.section_id)
        .join(Term, Term.id == Section.term_id)
        .outerjoin(Prof, Prof.c.id == Offering.professor_id)
        .where(Offering.id == off_id)).first()
    if head is None or not _can_see_offering(viewer, head[1]):
        raise NotFound("That class does not exist.")
    students = db.session.execute(
        select(Student.student_number, User.last_name, User.first_name, User.middle_name, Program.code,
               Student.year_level, SubjectEnrollment.status, SubjectEnrollment.is_retake,
               SubjectEnrollment.is_irregular)
        .join(TermEnrollment, TermEnrollment.id == SubjectEnrollment.term_enrollment_id)
        .join(Student, Student.id == TermEnrollment.student_id)
        .join(User, User.id == Student.user_id)
        .join(Program, Program.id == Student.program_id)
        .where(SubjectEnrollment.offering_id == off_id,
               SubjectEnrollment.status != SubjectEnrollmentStatus.DROPPED.value)
        .order_by(func.lower(User.last_name), func.lower(User.first_name), Student.student_number)).all()
    meetings = load_meetings(ScheduleSlot.offering_id == off_id)
    return Roster(offering_id=off_id, subject_code=head[4], subject_title=head[5], units=head[6],
                  section_code=head[7], term_name=f"{Semester(head[9]).label} {head[8]}",
                  professor=professor_name(head[10], head[11]), capacity=head[2], enrolled_count=head[3],
                  meetings=tuple(meetings), students=tuple(RosterLine(*s) for s in students))


@dataclass(frozen=True)
class ClassLine:
    offering_id: int
    subject_code: str
    subject_title: str
    section_code: str
    professor: str
    capacity: int
    enrolled_count: int

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.enrolled_count, 0)


def classes(viewer: User, query: str | None = None, limit: int = 200) -> list[ClassLine]:
    """The current term's classes a viewer may open a roster of: a registrar all (filtered by
    subject or section code), a professor their own."""
    text = (query or "").strip()[:SEARCH_MAX]
    Prof = User.__table__.alias("professor")
    stmt = (
        select(Offering.id, Subject.code, Subject.title, Section.code, Prof.c.first_name, Prof.c.last_name,
               Offering.capacity, Offering.enrolled_count)
        .join(Subject, Subject.id == Offering.subject_id)
        .join(Section, Section.id == Offering.section_id)
        .join(Term, Term.id == Section.term_id)
        .outerjoin(Prof, Prof.c.id == Offering.professor_id)
        .where(Term.is_current.is_(True))
        .order_by(Subject.code, Section.code)
        .limit(limit)
    )
    if viewer.role == Role.PROFESSOR.value:
        stmt = stmt.where(Offering.professor_id == viewer.id)
    elif viewer.role not in (Role.REGISTRAR.value, Role.HEAD_REGISTRAR.value):
        return []
    if text:
        like = f"%{text.lower()}%"
        stmt = stmt.where(or_(func.lower(Subject.code).like(like), func.lower(Section.code).like(like),
                              func.lower(Subject.title).like(like)))
    return [ClassLine(r[0], r[1], r[2], r[3], professor_name(r[4], r[5]), r[6], r[7])
            for r in db.session.execute(stmt).all()]


# --- finding a student's enrollment (registrar and admin pages) --------------------------

@dataclass(frozen=True)
class StudentLine:
    student_id: int
    student_number: str
    name: str
    program_code: str
    year_level: int
    status: str
    term_enrollment_id: int | None  # the current term's, if opened
    enrollment_status: str | None


def find_students(query: str | None, limit: int = 25) -> list[StudentLine]:
    """Students by number or name (case-insensitive), each with their current term enrollment."""
    text = (query or "").strip()[:SEARCH_MAX]
    if not text:
        return []
    like = f"%{text.lower()}%"
    current = select(TermEnrollment.id, TermEnrollment.student_id, TermEnrollment.status) \
        .join(Term, Term.id == TermEnrollment.term_id).where(Term.is_current.is_(True)).subquery()
    rows = db.session.execute(
        select(Student.id, Student.student_number, User.first_name, User.middle_name, User.last_name,
               Program.code, Student.year_level, Student.status, current.c.id, current.c.status)
        .join(User, User.id == Student.user_id)
        .join(Program, Program.id == Student.program_id)
        .outerjoin(current, current.c.student_id == Student.id)
        .where(or_(Student.student_number.like(f"%{text}%"), func.lower(User.last_name).like(like),
                   func.lower(User.first_name).like(like),
                   func.lower(User.first_name + " " + User.last_name).like(like)))
        .order_by(func.lower(User.last_name), func.lower(User.first_name))
        .limit(limit)).all()
    return [StudentLine(r[0], r[1], " ".join(p for p in (r[2], r[3], r[4]) if p), r[5], r[6], r[7], r[8], r[9])
            for r in rows]
