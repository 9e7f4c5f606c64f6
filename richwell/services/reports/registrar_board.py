"""The registrar's dashboard for one term: the enrollment funnel per program and year level,
section fill rates, grade sheets behind the deadline, INCs about to lapse, and what waits for
a decision. Five statements whatever the number of students.

Funnel stages (each counted among the term's enrollments, so each is a subset of the one
before it only where the school's rules make it so):
  applied    a term enrollment exists for the term (online application or opened term);
  paid       its month 1 is fully paid;
  enrolled   it has at least one subject not dropped;
  attending  enrolled, the term enrollment ACTIVE and the student ACTIVE.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import aliased

from richwell.extensions import db
from richwell.models import (
    ChangeRequestStatus,
    CreditStatus,
    GradeChangeRequest,
    GradeSheet,
    GradeSheetStatus,
    IncRecord,
    IncStatus,
    MonthBucket,
    Offering,
    Program,
    Section,
    Student,
    StudentStatus,
    SubjectEnrollment,
    SubjectEnrollmentStatus,
    Term,
    TermEnrollment,
    TermEnrollmentStatus,
    TransferCredit,
    User,
)
from richwell.services.platform import clock

from .access import require_dashboard

INC_HORIZON_DAYS = 30
NOT_DROPPED = SubjectEnrollment.status != SubjectEnrollmentStatus.DROPPED.value


@dataclass(frozen=True)
class FunnelRow:
    program_id: int
    program: str
    year_level: int
    applied: int
    paid: int
    enrolled: int
    attending: int


@dataclass(frozen=True)
class SectionFill:
    section_id: int
    code: str
    capacity: int
    students: int

    @property
    def percent(self) -> int:
        return round(self.students * 100 / self.capacity) if self.capacity else 0


@dataclass
class RegistrarBoard:
    term: Term | None
    today: date
    funnel: list[FunnelRow]
    sections: list[SectionFill]
    sheets_open: int
    sheets_submitted: int
    sheets_finalized: int
    past_deadline: bool
    incs_lapsing: int
    change_requests: int
    disputes: int

    @property
    def funnel_totals(self) -> dict[str, int]:
        return {stage: sum(getattr(r, stage) for r in self.funnel)
                for stage in ("applied", "paid", "enrolled", "attending")}

    @property
    def fullest(self) -> list[SectionFill]:
        return sorted(self.sections, key=lambda s: (-s.percent, s.code))[:5]

    @property
    def emptiest(self) -> list[SectionFill]:
        return sorted(self.sections, key=lambda s: (s.percent, s.code))[:5]


def _term(term_id: int | None) -> Term | None:
    query = select(Term).where(Term.id == term_id) if term_id else select(Term).where(Term.is_current.is_(True))
    return db.session.scalar(query)


def funnel(term_id: int) -> list[FunnelRow]:
    month_one = aliased(MonthBucket)
    taking = (select(SubjectEnrollment.term_enrollment_id.label("te_id"))
              .join(TermEnrollment, TermEnrollment.id == SubjectEnrollment.term_enrollment_id)
              .where(NOT_DROPPED, TermEnrollment.term_id == term_id)
              .group_by(SubjectEnrollment.term_enrollment_id).subquery())
    attending = and_(taking.c.te_id.is_not(None), TermEnrollment.status == TermEnrollmentStatus.ACTIVE.value,
                     Student.status == StudentStatus.ACTIVE.value)
    stmt = (select(Program.id, Program.code, Student.year_level, func.count(TermEnrollment.id),
                   func.count(case((month_one.paid >= month_one.required, 1))),
                   func.count(taking.c.te_id), func.count(case((attending, 1))))
            .select_from(TermEnrollment).join(Student, Student.id == TermEnrollment.student_id)
            .join(Program, Program.id == Student.program_id)
            .outerjoin(month_one, and_(month_one.term_enrollment_id == TermEnrollment.id, month_one.month == 1))
            .outerjoin(taking, taking.c.te_id == TermEnrollment.id)
            .where(TermEnrollment.term_id == term_id)
            .group_by(Program.id, Program.code, Student.year_level).order_by(Program.code, Student.year_level))
    return [FunnelRow(*row) for row in db.session.execute(stmt)]


def section_fill(term_id: int) -> list[SectionFill]:
    """Students in a section = distinct term enrollments taking any of its offerings."""
    seats = (select(Offering.section_id, func.count(distinct(SubjectEnrollment.term_enrollment_id)).label("n"))
             .join(SubjectEnrollment, SubjectEnrollment.offering_id == Offering.id)
             .join(Section, Section.id == Offering.section_id).where(NOT_DROPPED, Section.term_id == term_id)
             .group_by(Offering.section_id).subquery())
    stmt = (select(Section.id, Section.code, Section.capacity, func.coalesce(seats.c.n, 0))
            .outerjoin(seats, seats.c.section_id == Section.id).where(Section.term_id == term_id)
            .order_by(Section.code))
    return [SectionFill(*row) for row in db.session.execute(stmt)]


def _sheet_counts(term_id: int) -> dict[str, int]:
    """Grade sheets of the term's offerings that have students; no sheet yet counts as OPEN."""
    status = func.coalesce(GradeSheet.status, GradeSheetStatus.OPEN.value)
    stmt = (select(status, func.count(Offering.id)).select_from(Offering)
            .join(Section, Section.id == Offering.section_id)
            .outerjoin(GradeSheet, GradeSheet.offering_id == Offering.id)
            .where(Section.term_id == term_id, Offering.enrolled_count > 0).group_by(status))
    return dict(db.session.execute(stmt).all())


def _waiting(today: date) -> tuple[int, int, int]:
    """INCs lapsing within 30 days (by their base deadline), change requests and disputes."""
    row = db.session.execute(select(
        select(func.count(IncRecord.id)).where(
            IncRecord.status == IncStatus.OPEN.value, IncRecord.base_deadline >= today,
            IncRecord.base_deadline <= today + timedelta(days=INC_HORIZON_DAYS)).scalar_subquery(),
        select(func.count(GradeChangeRequest.id)).where(
            GradeChangeRequest.status == ChangeRequestStatus.PENDING.value).scalar_subquery(),
        select(func.count(TransferCredit.id)).where(
            TransferCredit.status == CreditStatus.DISPUTED.value).scalar_subquery(),
    )).one()
    return int(row[0]), int(row[1]), int(row[2])


def registrar_dashboard(actor: User, term_id: int | None = None) -> RegistrarBoard:
    require_dashboard(actor, "registrar")
    today = clock.today()
    term = _term(term_id)
    incs, requests, disputes = _waiting(today)
    if term is None:
        return RegistrarBoard(None, today, [], [], 0, 0, 0, False, incs, requests, disputes)
    sheets = _sheet_counts(term.id)
    return RegistrarBoard(
        term, today, funnel(term.id), section_fill(term.id),
        sheets.get(GradeSheetStatus.OPEN.value, 0), sheets.get(GradeSheetStatus.SUBMITTED.value, 0),
        sheets.get(GradeSheetStatus.FINALIZED.value, 0), today > term.grade_deadline, incs, requests, disputes)
