"""The reports: each a filtered, set-based SELECT with named columns, shown as a page (first
rows and the count) and exported whole as CSV or XLSX. The same statement serves all three,
so a page and its download never disagree.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, and_, case, distinct, func, literal, select
from sqlalchemy.orm import aliased

from richwell.extensions import db
from richwell.models import (
    DocumentRelease,
    ExamPermit,
    IncRecord,
    IncStatus,
    MonthBucket,
    Offering,
    Payment,
    Program,
    Section,
    Student,
    StudentStatus,
    Subject,
    SubjectEnrollment,
    SubjectEnrollmentStatus,
    Term,
    TermEnrollment,
    TermEnrollmentStatus,
    User,
)
from richwell.services import finance
from richwell.services.platform import clock
from richwell.services.platform.errors import ValidationError

from .aging import due_months, per_student_statement
from .filters import Filters, default_range
from .finance_board import blocked_enrollments, next_exam
from .sqlbits import as_money, day_range_utc

NOT_DROPPED = SubjectEnrollment.status != SubjectEnrollmentStatus.DROPPED.value
GRADES = ["1.00", "1.25", "1.50", "1.75", "2.00", "2.25", "2.50", "2.75", "3.00", "5.00", "INC", "DRP"]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text | money | int | date | datetime | status (a stored code shown in words)


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    filters: tuple[str, ...]
    columns: tuple[Column, ...]
    build: Callable[[Filters], Select]  # type: ignore[type-arg]
    note: str = ""


def _current_term_id(filters: Filters) -> int:
    if filters.term_id:
        return filters.term_id
    term_id = db.session.scalar(select(Term.id).where(Term.is_current.is_(True)))
    if term_id is None:
        raise ValidationError("Choose a term: no term is current.", field="term_id")
    return term_id


def _name() -> Any:
    return (User.last_name + ", " + User.first_name).label("name")


def _student_filters(stmt: Select, filters: Filters) -> Select:  # type: ignore[type-arg]
    if filters.program_id:
        stmt = stmt.where(Student.program_id == filters.program_id)
    if filters.year_level:
        stmt = stmt.where(Student.year_level == filters.year_level)
    return stmt


def _enrollment(filters: Filters) -> Select:  # type: ignore[type-arg]
    term_id = _current_term_id(filters)
    month_one = aliased(MonthBucket)
    taking = (select(SubjectEnrollment.term_enrollment_id.label("te_id"), func.count().label("subjects"))
              .where(NOT_DROPPED).group_by(SubjectEnrollment.term_enrollment_id).subquery())
    paid = month_one.paid >= month_one.required
    stmt = (select(Student.student_number, _name(), Program.code.label("program"), Student.year_level,
                   TermEnrollment.status, case((paid, "yes"), else_="no").label("month_one_paid"),
                   func.coalesce(taking.c.subjects, 0).label("subjects"), TermEnrollment.enrolled_units)
            .select_from(TermEnrollment).join(Student, Student.id == TermEnrollment.student_id)
            .join(User, User.id == Student.user_id).join(Program, Program.id == Student.program_id)
            .outerjoin(month_one, and_(month_one.term_enrollment_id == TermEnrollment.id, month_one.month == 1))
            .outerjoin(taking, taking.c.te_id == TermEnrollment.id)
            .where(TermEnrollment.term_id == term_id))
    if filters.stage in ("paid",):
        stmt = stmt.where(paid)
    if filters.stage in ("enrolled", "attending"):
        stmt = stmt.where(taking.c.te_id.is_not(None))
    if filters.stage == "attending":
        stmt = stmt.where(TermEnrollment.status == TermEnrollmentStatus.ACTIVE.value,
                          Student.status == StudentStatus.ACTIVE.value)
    if filters.section_id:
        in_section = (select(SubjectEnrollment.term_enrollment_id).join(Offering)
                      .where(Offering.section_id == filters.section_id, NOT_DROPPED))
        stmt = stmt.where(TermEnrollment.id.in_(in_section))
    return _student_filters(stmt, filters).order_by(Program.code, Student.year_level, Student.student_number)


def _payments(filters: Filters) -> Select:  # type: ignore[type-arg]
    first, last = default_range(filters)
    start, end = day_range_utc(first, last)
    cashier = aliased(User)
    reversed_payment = aliased(Payment)
    stmt = (select(Payment.created_at, Payment.kind, Payment.receipt_number,
                   reversed_payment.receipt_number.label("reverses"), Student.student_number, _name(),
                   Payment.amount, Payment.method, Payment.reference_number,
                   (cashier.last_name + ", " + cashier.first_name).label("cashier"), Payment.reason)
            .select_from(Payment).join(TermEnrollment, TermEnrollment.id == Payment.term_enrollment_id)
            .join(Student, Student.id == TermEnrollment.student_id).join(User, User.id == Student.user_id)
            .join(cashier, cashier.id == Payment.cashier_id)
            .outerjoin(reversed_payment, reversed_payment.id == Payment.reverses_id)
            .where(Payment.created_at >= start, Payment.created_at < end))
    if filters.method:
        stmt = stmt.where(Payment.method == filters.method)
    if filters.cashier_id:
        stmt = stmt.where(Payment.cashier_id == filters.cashier_id)
    if filters.term_id:
        stmt = stmt.where(TermEnrollment.term_id == filters.term_id)
    return _student_filters(stmt, filters).order_by(Payment.created_at, Payment.id)


def _aging(filters: Filters) -> Select:  # type: ignore[type-arg]
    return per_student_statement(filters, due_months(filters))


def _permits(filters: Filters) -> Select:  # type: ignore[type-arg]
    term_id = _current_term_id(filters)
    mapping = finance.exam_months(term_id)
    exam = filters.exam or next_exam(db.session.get_one(Term, term_id), mapping, clock.today())
    month = mapping[exam]
    blocked = blocked_enrollments(term_id, month, filters).subquery()
    permit = aliased(ExamPermit)
    stmt = (select(Student.student_number, _name(), Program.code.label("program"), Student.year_level,
                   literal(exam).label("exam"), literal(month).label("month"),
                   func.coalesce(permit.status, "NONE").label("permit"),
                   as_money(func.coalesce(blocked.c.needed, 0)).label("needed"))
            .select_from(TermEnrollment).join(Student, Student.id == TermEnrollment.student_id)
            .join(User, User.id == Student.user_id).join(Program, Program.id == Student.program_id)
            .outerjoin(permit, and_(permit.term_enrollment_id == TermEnrollment.id, permit.exam == exam))
            .outerjoin(blocked, blocked.c.te_id == TermEnrollment.id)
            .where(TermEnrollment.term_id == term_id))
    return _student_filters(stmt, filters).order_by(Program.code, Student.year_level, Student.student_number)


def _grades(filters: Filters) -> Select:  # type: ignore[type-arg]
    """Per class (offering) final grades counted by value; per program when no section is chosen
    the rows are still per class, so a program's total is their sum (shown on the page)."""
    term_id = _current_term_id(filters)
    counts = [func.count(case((SubjectEnrollment.grade == g, 1))).label(f"g{g.replace('.', '_')}") for g in GRADES]
    stmt = (select(Program.code.label("program"), Section.code.label("section"), Subject.code.label("subject"),
                   func.count(SubjectEnrollment.id).label("students"), *counts)
            .select_from(SubjectEnrollment).join(Offering, Offering.id == SubjectEnrollment.offering_id)
            .join(Section, Section.id == Offering.section_id).join(Subject, Subject.id == Offering.subject_id)
            .join(Program, Program.id == Section.program_id)
            .where(Section.term_id == term_id))
    if filters.program_id:
        stmt = stmt.where(Section.program_id == filters.program_id)
    if filters.section_id:
        stmt = stmt.where(Section.id == filters.section_id)
    return (stmt.group_by(Program.code, Section.code, Subject.code)
            .order_by(Program.code, Section.code, Subject.code))


def _grades_by_program(filters: Filters) -> Select:  # type: ignore[type-arg]
    """The same counts summed per program (every class of the program's sections in the term)."""
    term_id = _current_term_id(filters)
    counts = [func.count(case((SubjectEnrollment.grade == g, 1))).label(f"g{g.replace('.', '_')}") for g in GRADES]
    stmt = (select(Program.code.label("program"), func.count(distinct(Offering.id)).label("classes"),
                   func.count(SubjectEnrollment.id).label("students"), *counts)
            .select_from(SubjectEnrollment).join(Offering, Offering.id == SubjectEnrollment.offering_id)
            .join(Section, Section.id == Offering.section_id).join(Program, Program.id == Section.program_id)
            .where(Section.term_id == term_id))
    if filters.program_id:
        stmt = stmt.where(Section.program_id == filters.program_id)
    return stmt.group_by(Program.code).order_by(Program.code)


def _incs(filters: Filters) -> Select:  # type: ignore[type-arg]
    today = clock.today()
    stmt = (select(Student.student_number, _name(), Program.code.label("program"), Subject.code.label("subject"),
                   case((Subject.is_major.is_(True), "major"), else_="minor").label("kind"),
                   IncRecord.started_on, IncRecord.base_deadline)
            .select_from(IncRecord).join(Student, Student.id == IncRecord.student_id)
            .join(User, User.id == Student.user_id).join(Program, Program.id == Student.program_id)
            .join(SubjectEnrollment, SubjectEnrollment.id == IncRecord.subject_enrollment_id)
            .join(Subject, Subject.id == SubjectEnrollment.subject_id)
            .where(IncRecord.status == IncStatus.OPEN.value))
    if filters.within_days:
        stmt = stmt.where(IncRecord.base_deadline >= today,
                          IncRecord.base_deadline <= today + timedelta(days=filters.within_days))
    if filters.term_id:
        stmt = stmt.join(TermEnrollment, TermEnrollment.id == SubjectEnrollment.term_enrollment_id).where(
            TermEnrollment.term_id == filters.term_id)
    return _student_filters(stmt, filters).order_by(IncRecord.base_deadline, Student.student_number)


def _rosters(filters: Filters) -> Select:  # type: ignore[type-arg]
    term_id = _current_term_id(filters)
    stmt = (select(Section.code.label("section"), Subject.code.label("subject"), Student.student_number, _name(),
                   Program.code.label("program"), Student.year_level, SubjectEnrollment.status)
            .select_from(SubjectEnrollment).join(Offering, Offering.id == SubjectEnrollment.offering_id)
            .join(Section, Section.id == Offering.section_id).join(Subject, Subject.id == Offering.subject_id)
            .join(TermEnrollment, TermEnrollment.id == SubjectEnrollment.term_enrollment_id)
            .join(Student, Student.id == TermEnrollment.student_id).join(User, User.id == Student.user_id)
            .join(Program, Program.id == Student.program_id)
            .where(Section.term_id == term_id, NOT_DROPPED))
    if filters.section_id:
        stmt = stmt.where(Section.id == filters.section_id)
    return _student_filters(stmt, filters).order_by(Section.code, Subject.code, User.last_name, User.first_name)


def _documents(filters: Filters) -> Select:  # type: ignore[type-arg]
    """Releases in the date range (the last 30 days by default), revoked ones included and marked."""
    first, last = default_range(filters)
    start, end = day_range_utc(first, last)
    registrar = aliased(User)
    stmt = (select(DocumentRelease.released_at, DocumentRelease.number, DocumentRelease.kind,
                   Student.student_number, _name(), Program.code.label("program"), Student.year_level,
                   DocumentRelease.purpose,
                   (registrar.last_name + ", " + registrar.first_name).label("released_by"),
                   DocumentRelease.revoked_at)
            .select_from(DocumentRelease).join(Student, Student.id == DocumentRelease.student_id)
            .join(User, User.id == Student.user_id).join(Program, Program.id == Student.program_id)
            .join(registrar, registrar.id == DocumentRelease.released_by_id)
            .where(DocumentRelease.released_at >= start, DocumentRelease.released_at < end))
    return _student_filters(stmt, filters).order_by(DocumentRelease.released_at, DocumentRelease.id)


_STUDENT = (Column("student_number", "Student number"), Column("name", "Name"), Column("program", "Program"),
            Column("year_level", "Year", "int"))
REPORTS: dict[str, Report] = {r.name: r for r in [
    Report("enrollment", "Enrollment list", ("term_id", "program_id", "year_level", "section_id", "stage"),
           (*_STUDENT, Column("status", "Term status", "status"), Column("month_one_paid", "Month 1 paid"),
            Column("subjects", "Subjects", "int"), Column("enrolled_units", "Units", "int")), _enrollment),
    Report("payments", "Payment ledger", ("date_from", "date_to", "method", "cashier_id", "term_id", "program_id",
                                          "year_level"),
           (Column("created_at", "Time", "datetime"), Column("kind", "Kind", "status"),
            Column("receipt_number", "Receipt"), Column("reverses", "Reverses"),
            Column("student_number", "Student number"), Column("name", "Student"), Column("amount", "Amount", "money"),
            Column("method", "Method", "status"), Column("reference_number", "Reference"), Column("cashier", "Cashier"),
            Column("reason", "Reason")), _payments,
           "The last 30 days unless a range is chosen; reversals are negative."),
    Report("aging", "Receivables aging", ("term_id", "program_id", "year_level"),
           (*_STUDENT, Column("term_id", "Term", "int"), Column("current", "Current", "money"),
            Column("1_30", "1–30 days", "money"), Column("31_60", "31–60 days", "money"),
            Column("over_60", "Over 60 days", "money"), Column("overdue", "Overdue", "money"),
            Column("outstanding", "Outstanding", "money")), _aging,
           "Months not fully paid of active or on-hold enrollments, aged from their due dates."),
    Report("permits", "Exam-permit status", ("term_id", "exam", "program_id", "year_level"),
           (*_STUDENT, Column("exam", "Exam"), Column("month", "Month", "int"), Column("permit", "Permit", "status"),
            Column("needed", "To pay for the permit", "money")), _permits,
           "The next exam unless one is chosen."),
    Report("grades", "Grade distribution", ("term_id", "program_id", "section_id"),
           (Column("program", "Program"), Column("section", "Section"), Column("subject", "Subject"),
            Column("students", "Students", "int"),
            *(Column(f"g{g.replace('.', '_')}", g, "int") for g in GRADES)), _grades),
    Report("grades_by_program", "Grade distribution per program", ("term_id", "program_id"),
           (Column("program", "Program"), Column("classes", "Classes", "int"), Column("students", "Students", "int"),
            *(Column(f"g{g.replace('.', '_')}", g, "int") for g in GRADES)), _grades_by_program),
    Report("incs", "INC list", ("term_id", "program_id", "year_level", "within_days"),
           (Column("student_number", "Student number"), Column("name", "Name"), Column("program", "Program"),
            Column("subject", "Subject"), Column("kind", "Kind", "status"), Column("started_on", "Started", "date"),
            Column("base_deadline", "Lapses on", "date")), _incs,
           "Open INCs by their deadline, before any leave-of-absence days push it out."),
    Report("rosters", "Section rosters", ("term_id", "section_id", "program_id", "year_level"),
           (Column("section", "Section"), Column("subject", "Subject"), *_STUDENT,
            Column("status", "Status", "status")), _rosters),
    Report("documents", "Document releases", ("date_from", "date_to", "program_id", "year_level"),
           (Column("released_at", "Released", "datetime"), Column("number", "Number"), Column("kind", "Kind"),
            *_STUDENT, Column("purpose", "Purpose"), Column("released_by", "Released by"),
            Column("revoked_at", "Revoked", "datetime")), _documents,
           "The last 30 days unless a range is chosen; revoked releases are listed with their date."),
]}
