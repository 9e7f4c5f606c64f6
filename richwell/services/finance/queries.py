"""What the cashier and the student read: a student's account (months, balance, permits and
ledger), where an amount would go, a recorded payment as a result, the cashier's student
search and the end-of-day report. Nothing here writes."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, String, and_, func, select, type_coerce
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from richwell.extensions import db
from richwell.models import (
    ExamMonthMapping,
    Money,
    MonthBucket,
    Payment,
    Program,
    Setting,
    Student,
    Term,
    TermEnrollment,
    TermEnrollmentStatus,
    User,
)
from richwell.models.finance import NAME_WORDS
from richwell.services.platform import clock, settings
from richwell.services.platform.accounts import STUDENT_NUMBER_RE
from richwell.services.platform.errors import NotFound

from . import permits
from .access import own_student_id, sees_student, visible_enrollment
from .permits import ExamState
from .rules import ZERO, BucketState, PaymentResult, Preview, allocate_sequentially, dated_buckets, parse_amount

# --------------------------------------------------------------------------- payments and enrollments


def preview_allocation(enrollment_id: int, amount: object) -> Preview:
    """Where `amount` would go if recorded now: earliest unpaid month first, the rest to
    credit balance, and which exam permits it would unlock. Writes nothing."""
    value = parse_amount(amount)
    enrollment = db.session.scalar(
        select(TermEnrollment).options(selectinload(TermEnrollment.buckets))
        .where(TermEnrollment.id == enrollment_id))
    if enrollment is None:
        raise NotFound("That enrollment does not exist.")
    plan = allocate_sequentially(enrollment.buckets, value)
    completed = plan.months_completed(enrollment.buckets)
    mapping = permits.exam_months(enrollment.term_id)
    unlocked = [exam for exam, month in mapping.items() if month in completed]
    return Preview(value, plan, enrollment.credit_balance + plan.credit, completed, unlocked)


def result_for(payment_id: int, *, replayed: bool = False, permits_issued: Sequence[str] = ()) -> PaymentResult:
    """A recorded payment as a PaymentResult, with the enrollment as it stands now."""
    payment = db.session.scalar(select(Payment).options(selectinload(Payment.allocations))
                                .where(Payment.id == payment_id))
    if payment is None or payment.is_reversal or payment.receipt_number is None:
        raise NotFound("That payment does not exist.")
    enrollment = db.session.scalar(select(TermEnrollment).options(selectinload(TermEnrollment.buckets),
                                                                  selectinload(TermEnrollment.term))
                                   .where(TermEnrollment.id == payment.term_enrollment_id))
    if enrollment is None:  # pragma: no cover - a payment always belongs to an enrollment
        raise NotFound("That enrollment does not exist.")
    return PaymentResult(
        payment_id=payment.id, receipt_number=payment.receipt_number, enrollment_id=enrollment.id,
        student_id=enrollment.student_id, amount=payment.amount, method=payment.method,
        reference_number=payment.reference_number, created_at=payment.created_at,
        allocations=[(a.month, a.amount) for a in payment.allocations], credit_added=payment.credit_change,
        buckets=buckets_with_due_dates(enrollment), credit_balance=enrollment.credit_balance,
        permits_issued=list(permits_issued), replayed=replayed)


def buckets_with_due_dates(enrollment: TermEnrollment) -> list[BucketState]:
    """The enrollment's months with their due dates and days overdue today (the term loaded)."""
    return dated_buckets(enrollment.buckets, enrollment.term.start_date,
                         settings.get("installment_due_day"), clock.today())


# The due-day setting folded into a service's own statement (one round trip fewer per page);
# read as plain text because JSON values cannot be de-duplicated with the enrollments' rows.
_DUE_DAY = type_coerce(select(Setting.value).where(Setting.key == "installment_due_day").scalar_subquery(),
                       String).label("due_day")


def with_due_dates(enrollment_id: int, buckets: Sequence[BucketState]) -> list[BucketState]:
    """Months computed elsewhere (a payment's result) with their due dates added: one statement
    reads the term's first day with the due-day setting folded in."""
    row = db.session.execute(
        select(Term.start_date, _DUE_DAY)
        .join(TermEnrollment, TermEnrollment.term_id == Term.id)
        .where(TermEnrollment.id == enrollment_id)).first()
    if row is None:
        return list(buckets)
    return dated_buckets(buckets, row.start_date, settings.typed("installment_due_day", row.due_day), clock.today())


def get_enrollment(enrollment_id: int) -> TermEnrollment:
    """A term enrollment with its buckets and term, or not found."""
    enrollment: TermEnrollment | None = db.session.scalar(
        select(TermEnrollment).options(selectinload(TermEnrollment.buckets), selectinload(TermEnrollment.term))
        .where(TermEnrollment.id == enrollment_id))
    if enrollment is None:
        raise NotFound("That enrollment does not exist.")
    return enrollment


def enrollments_of(student_id: int) -> list[TermEnrollment]:
    """A student's term enrollments, newest term first, with buckets and term loaded."""
    return list(db.session.scalars(
        select(TermEnrollment).join(Term, Term.id == TermEnrollment.term_id)
        .options(selectinload(TermEnrollment.buckets), contains_eager(TermEnrollment.term))
        .where(TermEnrollment.student_id == student_id)
        .order_by(Term.is_current.desc(), Term.start_date.desc())))


def history(enrollment_id: int) -> list[Payment]:
    """The enrollment's ledger, newest first (payments and reversals, with allocations, the
    reversal and the cashier: one statement)."""
    return list(db.session.scalars(
        select(Payment).options(joinedload(Payment.allocations), joinedload(Payment.reversal),
                                joinedload(Payment.cashier))
        .where(Payment.term_enrollment_id == enrollment_id)
        .order_by(Payment.created_at.desc(), Payment.id.desc())).unique())


def get_payment(payment_id: int) -> Payment:
    """A payment or reversal by id, or not found."""
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("That payment does not exist.")
    return payment


# --------------------------------------------------------------------------- the student's account


@dataclass
class Account:
    """A student's standing with the cashier for one term: buckets, balance, permits, ledger."""

    student: Student
    enrollments: list[TermEnrollment]
    enrollment: TermEnrollment | None
    exam_states: list[ExamState] = field(default_factory=list)
    ledger: list[Payment] = field(default_factory=list)
    due_day: int | None = None  # the installment_due_day setting, read with the enrollments

    @property
    def buckets(self) -> list[BucketState]:
        if self.enrollment is None:
            return []
        if self.due_day is None:
            return buckets_with_due_dates(self.enrollment)
        return dated_buckets(self.enrollment.buckets, self.enrollment.term.start_date, self.due_day, clock.today())

    @property
    def can_pay(self) -> bool:
        return self.enrollment is not None and self.enrollment.status != TermEnrollmentStatus.WITHDRAWN.value


def _student(student_id: int) -> Student:
    student: Student | None = db.session.scalar(
        select(Student).options(joinedload(Student.user), joinedload(Student.program))
        .where(Student.id == student_id))
    if student is None:
        raise NotFound("That student does not exist.")
    return student


def _account(student: Student, enrollment_id: int | None) -> Account:
    """The student's account for the chosen term enrollment (default: the current term's,
    else the latest)."""
    rows = db.session.execute(
        select(TermEnrollment, ExamMonthMapping, _DUE_DAY).join(Term, Term.id == TermEnrollment.term_id)
        .outerjoin(ExamMonthMapping, ExamMonthMapping.term_id == TermEnrollment.term_id)
        .options(joinedload(TermEnrollment.buckets), contains_eager(TermEnrollment.term))
        .where(TermEnrollment.student_id == student.id)
        .order_by(Term.is_current.desc(), Term.start_date.desc())).unique().all()
    enrollments = [row.TermEnrollment for row in rows]
    chosen = next((r for r in rows if r.TermEnrollment.id == enrollment_id), None) if enrollment_id else None
    chosen = chosen or (rows[0] if rows else None)
    if chosen is None:
        return Account(student, enrollments, None)
    # The term's exam months came with the enrollments (no mapping row: the defaults).
    months = chosen.ExamMonthMapping.as_dict() if chosen.ExamMonthMapping else permits.default_exam_months()
    enrollment = chosen.TermEnrollment
    return Account(student, enrollments, enrollment, permits.exam_states(enrollment, months), history(enrollment.id),
                   due_day=settings.typed("installment_due_day", chosen.due_day))


def account(student_id: int, enrollment_id: int | None = None, *, viewer: User) -> Account:
    """A student's account for the chosen term enrollment (default: the current term's, else
    the latest), if the viewer may see it (finance staff: anyone's; a student: their own)."""
    student = _student(student_id)
    if not sees_student(viewer, student.user_id):
        raise NotFound("That student does not exist.")
    return _account(student, enrollment_id)


def account_for_user(user: User, enrollment_id: int | None = None) -> Account:
    """The signed-in student's own account."""
    student_id = own_student_id(user)
    if student_id is None:
        raise NotFound("No student record is linked to this account.")
    return _account(_student(student_id), enrollment_id)


def account_for_enrollment(enrollment_id: int, viewer: User) -> Account:
    """The account for exactly this term enrollment, if the viewer may see it (anyone else's
    enrollment is not found)."""
    enrollment = visible_enrollment(enrollment_id, viewer)
    return _account(_student(enrollment.student_id), enrollment.id)


# --------------------------------------------------------------------------- the cashier's search


@dataclass(frozen=True)
class StudentHit:
    student_id: int
    student_number: str
    name: str
    program: str
    status: str
    enrollment_id: int | None
    balance: Decimal | None
    credit_balance: Decimal | None


@dataclass(frozen=True)
class _Balance:
    enrollment_id: int
    balance: Decimal
    credit_balance: Decimal


SEARCH_LIMIT = 20


def search_students(q: str, limit: int = SEARCH_LIMIT) -> list[StudentHit]:
    """Students whose number starts with `q`, or whose names have a part starting with every
    word of `q` (case-insensitive); at most 20, with the current term's balance."""
    text = " ".join(str(q or "").split())[:60].lower()
    if not text:
        return []
    limit = max(1, min(limit, SEARCH_LIMIT))
    stmt = (select(Student.id, Student.student_number, User.first_name, User.middle_name, User.last_name,
                   Program.code.label("program"), Student.status)
            .join(User, User.id == Student.user_id).join(Program, Program.id == Student.program_id))
    if STUDENT_NUMBER_RE.match(text):  # a whole number (what the cashier reads off the ID card)
        stmt = stmt.where(Student.student_number == text)
    elif re.fullmatch(r"[0-9][0-9\-]*", text):
        stmt = stmt.where(*_number_starts_with(text))
    else:
        # Every typed word starts some word of the name: "cruz" finds Dela Cruz, "ma san" Maria Santos.
        for word in text.split(" ")[:4]:
            stmt = stmt.where(NAME_WORDS.like(f"% {_escape(word)}%", escape="\\"))
    rows = db.session.execute(stmt.order_by(User.last_name, User.first_name, Student.student_number)
                              .limit(limit)).all()
    if not rows:
        return []
    balances = _current_balances([r.id for r in rows])
    hits = []
    for r in rows:
        current = balances.get(r.id)
        name = f"{r.last_name}, {r.first_name}" + (f" {r.middle_name}" if r.middle_name else "")
        hits.append(StudentHit(r.id, r.student_number, name, r.program, r.status,
                               current.enrollment_id if current else None, current.balance if current else None,
                               current.credit_balance if current else None))
    return hits


def _number_starts_with(prefix: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Student numbers from `prefix` up to the next prefix, compared byte by byte: the same
    rows as LIKE 'prefix%' for digits and hyphens, and unlike a LIKE with a bound pattern it
    keeps to the text_pattern_ops index in a generic (prepared) plan. (A whole number is
    looked up by equality instead: a generic plan cannot tell that its range holds one row.)"""
    after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    number = Student.student_number
    if db.session.get_bind().dialect.name == "postgresql":
        return number.op("~>=~", is_comparison=True)(prefix), number.op("~<~", is_comparison=True)(after)
    return number >= prefix, number < after  # SQLite compares text byte by byte already


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _current_balances(student_ids: list[int]) -> dict[int, _Balance]:
    """student id → the current term enrollment's id, balance and credit balance, one query."""
    rows = db.session.execute(
        select(TermEnrollment.student_id, TermEnrollment.id, TermEnrollment.credit_balance,
               type_coerce(func.sum(MonthBucket.required - MonthBucket.paid), Money()).label("due"))
        .join(Term, and_(Term.id == TermEnrollment.term_id, Term.is_current.is_(True)))
        .join(MonthBucket, MonthBucket.term_enrollment_id == TermEnrollment.id)
        .where(TermEnrollment.student_id.in_(student_ids))
        .group_by(TermEnrollment.student_id, TermEnrollment.id, TermEnrollment.credit_balance)).all()
    return {r.student_id: _Balance(r.id, r.due if r.due is not None else ZERO, r.credit_balance) for r in rows}


# --------------------------------------------------------------------------- end of day


@dataclass
class DayTotals:
    count: int = 0
    payments: Decimal = ZERO
    reversals: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.payments + self.reversals


@dataclass
class DaySummary:
    day: date
    rows: list[Payment]
    by_method: dict[str, DayTotals]
    by_cashier: dict[str, DayTotals]
    total: DayTotals


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A school-clock day as a UTC [start, end) range."""
    start = clock.day_start(day)
    return start, start + timedelta(days=1)


def end_of_day(day: date | None = None, cashier_id: int | None = None) -> DaySummary:
    """The day's payments and reversals (school clock), by method and by cashier, with totals."""
    day = day or clock.today()
    start, end = day_bounds(day)
    stmt = (select(Payment).options(selectinload(Payment.cashier), selectinload(Payment.reverses),
                                    selectinload(Payment.enrollment).selectinload(TermEnrollment.student)
                                    .selectinload(Student.user))
            .where(Payment.created_at >= start, Payment.created_at < end)
            .order_by(Payment.created_at, Payment.id))
    if cashier_id is not None:
        stmt = stmt.where(Payment.cashier_id == cashier_id)
    rows = list(db.session.scalars(stmt))
    by_method: dict[str, DayTotals] = {}
    by_cashier: dict[str, DayTotals] = {}
    total = DayTotals()
    for p in rows:
        for bucket in (by_method.setdefault(p.method_label, DayTotals()),
                       by_cashier.setdefault(p.cashier.full_name, DayTotals()), total):
            bucket.count += 1
            if p.is_reversal:
                bucket.reversals += p.amount
            else:
                bucket.payments += p.amount
    return DaySummary(day, rows, dict(sorted(by_method.items())), dict(sorted(by_cashier.items())), total)
