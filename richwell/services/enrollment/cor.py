"""What follows from the enrolled subjects (read-only): the Certificate of Registration and
weekly schedule of a student (their own; registrars and administrators any), class rosters
(registrar: any; professor: own classes only), and finding a student's term enrollment for
the registrar and admin pages. Rows are read by their column labels."""
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
from richwell.services.finance import month_due_date
from richwell.services.platform import settings
from richwell.services.platform.clock import today
from richwell.services.platform.errors import NotFound

from .queries import load_meetings
from .rules import NO_ENROLLMENT, READERS, REGISTRARS, Meeting, RawId, check_id, may_read, person_name, professor_name

SEARCH_MAX = 100


@dataclass(frozen=True)
class RegisteredSubject:
    """A subject on the COR: its section, professor and meetings."""

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
    """One month of the installment plan on the COR."""

    month: int
    required: Decimal
    paid: Decimal
    due: date | None = None  # finance.month_due_date: the date the payments page shows

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


def registration(term_enrollment_id: RawId, actor: User) -> Registration:
    """The COR of a term enrollment: its ENROLLED subjects with sections, schedule and units,
    and the assessment (monthly commitment and month buckets). Four statements. A student
    sees their own only; registrars and administrators any."""
    te_id = check_id(term_enrollment_id, "term_enrollment_id", "term enrollment")
    head = db.session.execute(
        select(TermEnrollment.status, TermEnrollment.monthly_commitment, TermEnrollment.credit_balance,
               Student.user_id, Student.student_number, Student.year_level, User.first_name, User.middle_name,
               User.last_name, Program.code.label("program_code"), Program.name.label("program_name"),
               Term.academic_year, Term.semester, Term.start_date)
        .join(Student, Student.id == TermEnrollment.student_id)
        .join(User, User.id == Student.user_id)
        .join(Program, Program.id == Student.program_id)
        .join(Term, Term.id == TermEnrollment.term_id)
        .where(TermEnrollment.id == te_id)).first()
    if head is None or not may_read(actor, head.user_id):
        raise NotFound(NO_ENROLLMENT)
    buckets = db.session.execute(
        select(MonthBucket.month, MonthBucket.required, MonthBucket.paid)
        .where(MonthBucket.term_enrollment_id == te_id).order_by(MonthBucket.month)).all()
    Prof = User.__table__.alias("professor")
    rows = db.session.execute(
        select(SubjectEnrollment.id, Subject.code, Subject.title, Subject.units, Section.code.label("section_code"),
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
    offering_ids = [r.offering_id for r in rows if r.offering_id is not None]
    if offering_ids:
        for meeting in load_meetings(ScheduleSlot.offering_id.in_(offering_ids)):
            meetings.setdefault(meeting.offering_id, []).append(meeting)
    due_day = settings.get("installment_due_day")
    subjects = tuple(
        RegisteredSubject(subject_enrollment_id=r.id, code=r.code, title=r.title, units=r.units,
                          section_code=r.section_code, professor=professor_name(r.first_name, r.last_name),
                          meetings=tuple(meetings.get(r.offering_id, [])), is_retake=r.is_retake,
                          is_irregular=r.is_irregular)
        for r in rows)
    return Registration(
        term_enrollment_id=te_id, student_user_id=head.user_id, student_number=head.student_number,
        student_name=person_name(head.first_name, head.middle_name, head.last_name),
        program_code=head.program_code, program_name=head.program_name, year_level=head.year_level,
        term_name=f"{Semester(head.semester).label} {head.academic_year}", status=head.status,
        subjects=subjects, monthly_commitment=head.monthly_commitment,
        credit_balance=head.credit_balance or Decimal("0.00"),
        buckets=tuple(BucketLine(month=b.month, required=b.required, paid=b.paid,
                                 due=month_due_date(head.start_date, b.month, due_day)) for b in buckets),
        issued_on=today())


# --- class rosters ----------------------------------------------------------------------

@dataclass(frozen=True)
class RosterLine:
    """A student in a class roster."""

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
    """A class (offering) with its students, by name."""

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
    if viewer.role in REGISTRARS:
        return True
    return viewer.role == Role.PROFESSOR.value and professor_id == viewer.id


def class_roster(offering_id: RawId, viewer: User) -> Roster:
    """The students of one class (everyone not DROPPED), by name. A registrar sees any class,
    a professor only their own; anything else does not exist for the viewer."""
    off_id = check_id(offering_id, "offering_id", "class")
    Prof = User.__table__.alias("professor")
    head = db.session.execute(
        select(Offering.professor_id, Offering.capacity, Offering.enrolled_count, Subject.code.label("subject_code"),
               Subject.title.label("subject_title"), Subject.units, Section.code.label("section_code"),
               Term.academic_year, Term.semester, Prof.c.first_name, Prof.c.last_name)
        .join(Subject, Subject.id == Offering.subject_id)
        .join(Section, Section.id == Offering.section_id)
        .join(Term, Term.id == Section.term_id)
        .outerjoin(Prof, Prof.c.id == Offering.professor_id)
        .where(Offering.id == off_id)).first()
    if head is None or not _can_see_offering(viewer, head.professor_id):
        raise NotFound("That class does not exist.")
    students = db.session.execute(
        select(Student.student_number, User.last_name, User.first_name, User.middle_name,
               Program.code.label("program_code"), Student.year_level, SubjectEnrollment.status,
               SubjectEnrollment.is_retake,
               SubjectEnrollment.is_irregular)
        .join(TermEnrollment, TermEnrollment.id == SubjectEnrollment.term_enrollment_id)
        .join(Student, Student.id == TermEnrollment.student_id)
        .join(User, User.id == Student.user_id)
        .join(Program, Program.id == Student.program_id)
        .where(SubjectEnrollment.offering_id == off_id,
               SubjectEnrollment.status != SubjectEnrollmentStatus.DROPPED.value)
        .order_by(func.lower(User.last_name), func.lower(User.first_name), Student.student_number)).all()
    meetings = load_meetings(ScheduleSlot.offering_id == off_id)
    return Roster(offering_id=off_id, subject_code=head.subject_code, subject_title=head.subject_title,
                  units=head.units, section_code=head.section_code,
                  term_name=f"{Semester(head.semester).label} {head.academic_year}",
                  professor=professor_name(head.first_name, head.last_name), capacity=head.capacity,
                  enrolled_count=head.enrolled_count, meetings=tuple(meetings),
                  students=tuple(RosterLine(**s._mapping) for s in students))


@dataclass(frozen=True)
class ClassLine:
    """A class of the current term in the roster list."""

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
        select(Offering.id, Subject.code.label("subject_code"), Subject.title.label("subject_title"),
               Section.code.label("section_code"), Prof.c.first_name, Prof.c.last_name, Offering.capacity,
               Offering.enrolled_count)
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
    elif viewer.role not in REGISTRARS:
        return []
    if text:
        like = f"%{text.lower()}%"
        stmt = stmt.where(or_(func.lower(Subject.code).like(like), func.lower(Section.code).like(like),
                              func.lower(Subject.title).like(like)))
    return [ClassLine(offering_id=r.id, subject_code=r.subject_code, subject_title=r.subject_title,
                      section_code=r.section_code, professor=professor_name(r.first_name, r.last_name),
                      capacity=r.capacity, enrolled_count=r.enrolled_count)
            for r in db.session.execute(stmt).all()]


# --- finding a student's enrollment (registrar and admin pages) --------------------------

@dataclass(frozen=True)
class StudentLine:
    """A student found by the registrar's or admin's search."""

    student_id: int
    student_number: str
    name: str
    program_code: str
    year_level: int
    status: str
    term_enrollment_id: int | None  # the current term's, if opened
    enrollment_status: str | None


def find_students(query: str | None, viewer: User, limit: int = 25) -> list[StudentLine]:
    """Students by number or name (case-insensitive), each with their current term enrollment;
    for registrars and administrators (anyone else finds no one)."""
    text = (query or "").strip()[:SEARCH_MAX]
    if not text or viewer.role not in READERS:
        return []
    like = f"%{text.lower()}%"
    current = select(TermEnrollment.id, TermEnrollment.student_id, TermEnrollment.status) \
        .join(Term, Term.id == TermEnrollment.term_id).where(Term.is_current.is_(True)).subquery()
    rows = db.session.execute(
        select(Student.id, Student.student_number, User.first_name, User.middle_name, User.last_name,
               Program.code.label("program_code"), Student.year_level, Student.status,
               current.c.id.label("term_enrollment_id"), current.c.status.label("enrollment_status"))
        .join(User, User.id == Student.user_id)
        .join(Program, Program.id == Student.program_id)
        .outerjoin(current, current.c.student_id == Student.id)
        .where(or_(Student.student_number.like(f"%{text}%"), func.lower(User.last_name).like(like),
                   func.lower(User.first_name).like(like),
                   func.lower(User.first_name + " " + User.last_name).like(like)))
        .order_by(func.lower(User.last_name), func.lower(User.first_name))
        .limit(limit)).all()
    return [StudentLine(student_id=r.id, student_number=r.student_number,
                        name=person_name(r.first_name, r.middle_name, r.last_name), program_code=r.program_code,
                        year_level=r.year_level, status=r.status, term_enrollment_id=r.term_enrollment_id,
                        enrollment_status=r.enrollment_status)
            for r in rows]
