"""Receivables aging: what students still owe on months already due, by how late it is.

A month bucket is owed while paid < required, for term enrollments that are ACTIVE or on
HOLD (a withdrawn or LOA enrollment is not chased by the cashier). Its due date is the one
rule the whole portal uses (`finance.month_due_date` with the `installment_due_day`
setting; README "Installment due dates") and its lateness `finance.days_overdue`.
Buckets: current (not yet overdue), 1–30, 31–60 and over 60 days overdue.

Set-based: due dates depend only on (term, month), so they are worked out in Python for the
handful of terms and months present, then the database sums by that pair (one statement)
or, for the per-student report, by a CASE over those pairs (one more statement).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, and_, case, func, literal, select

from richwell.extensions import db
from richwell.models import MonthBucket, Program, Student, Term, TermEnrollment, TermEnrollmentStatus, User
from richwell.services import finance
from richwell.services.platform import clock, settings

from .filters import Filters
from .sqlbits import money_sum

BUCKETS = ("current", "1-30", "31-60", "over 60")
BUCKET_LABELS = {"current": "Current (not overdue)", "1-30": "1–30 days", "31-60": "31–60 days",
                 "over 60": "Over 60 days"}
CHASED = (TermEnrollmentStatus.ACTIVE.value, TermEnrollmentStatus.HOLD.value)
ZERO = Decimal("0.00")


def bucket_of(days_late: int) -> str:
    if days_late <= 0:
        return "current"
    if days_late <= 30:
        return "1-30"
    if days_late <= 60:
        return "31-60"
    return "over 60"


@dataclass
class DueMonth:
    """One (term, installment month) with money still owed on it."""

    term_id: int
    month: int
    due: date
    days_late: int
    bucket: str
    amount: Decimal
    students: int


@dataclass
class Aging:
    today: date
    months: list[DueMonth]
    totals: dict[str, Decimal] = field(default_factory=dict)
    students: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum(self.totals.values(), ZERO)

    @property
    def by_due_date(self) -> list[tuple[date, str, Decimal, int]]:
        """(due date, bucket, amount, students) per due date, latest due first."""
        merged: dict[date, list[Decimal | int | str]] = {}
        for m in self.months:
            row = merged.setdefault(m.due, [m.bucket, ZERO, 0])
            row[1] = Decimal(row[1]) + m.amount
            row[2] = int(row[2]) + m.students
        return [(due, str(v[0]), Decimal(v[1]), int(v[2])) for due, v in sorted(merged.items(), reverse=True)]


def _owed_scope(stmt: Select, filters: Filters) -> Select:  # type: ignore[type-arg]
    """Owed months of chased enrollments; the student is joined only when a filter needs it."""
    stmt = stmt.where(MonthBucket.paid < MonthBucket.required, TermEnrollment.status.in_(CHASED))
    if filters.term_id:
        stmt = stmt.where(TermEnrollment.term_id == filters.term_id)
    if filters.program_id or filters.year_level:
        stmt = stmt.join(Student, Student.id == TermEnrollment.student_id)
    if filters.program_id:
        stmt = stmt.where(Student.program_id == filters.program_id)
    if filters.year_level:
        stmt = stmt.where(Student.year_level == filters.year_level)
    return stmt


def _term_starts() -> dict[int, date]:
    return dict(db.session.execute(select(Term.id, Term.start_date)).all())


@dataclass(frozen=True)
class OwedMonth:
    """Owed money of one (term, month, term-enrollment status): the one pass over the buckets."""

    term_id: int
    month: int
    status: str
    amount: Decimal
    count: int


def owed_by_month(filters: Filters) -> list[OwedMonth]:
    stmt = _owed_scope(
        select(TermEnrollment.term_id, MonthBucket.month, TermEnrollment.status,
               money_sum(MonthBucket.required - MonthBucket.paid), func.count(MonthBucket.id))
        .select_from(MonthBucket).join(TermEnrollment, TermEnrollment.id == MonthBucket.term_enrollment_id), filters,
    ).group_by(TermEnrollment.term_id, MonthBucket.month, TermEnrollment.status)
    return [OwedMonth(t, m, s, Decimal(a), int(n)) for t, m, s, a, n in db.session.execute(stmt)]


def due_months(filters: Filters, today: date | None = None, owed: list[OwedMonth] | None = None) -> Aging:
    """The owed money summed per (term, month), each with its due date and aging bucket."""
    today = today or clock.today()
    starts = _term_starts()
    due_day = settings.get("installment_due_day")
    merged: dict[tuple[int, int], list[Decimal | int]] = {}
    for row in owed if owed is not None else owed_by_month(filters):
        pair = merged.setdefault((row.term_id, row.month), [ZERO, 0])
        pair[0] = Decimal(pair[0]) + row.amount
        pair[1] = int(pair[1]) + row.count
    months = []
    for (term_id, month), (amount, students) in sorted(merged.items()):
        due = finance.month_due_date(starts[term_id], month, due_day)
        late = finance.days_overdue(due, today)
        months.append(DueMonth(term_id, month, due, late, bucket_of(late), Decimal(amount), int(students)))
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    counts: dict[str, int] = defaultdict(int)
    for m in months:
        totals[m.bucket] += m.amount
        counts[m.bucket] += m.students
    return Aging(today, months, {b: totals[b] for b in BUCKETS}, {b: counts[b] for b in BUCKETS})


def per_student_statement(filters: Filters, aging: Aging) -> Select:  # type: ignore[type-arg]
    """One row per owing enrollment: the amount in each aging bucket (a CASE over the handful of
    (term, month) pairs that are owed), largest overdue first."""
    pairs: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for m in aging.months:
        pairs[m.bucket].append((m.term_id, m.month))
    owed = MonthBucket.required - MonthBucket.paid
    columns = []
    for bucket in BUCKETS:
        whens = [(and_(TermEnrollment.term_id == t, MonthBucket.month == mo), owed) for t, mo in pairs[bucket]]
        expr = case(*whens, else_=literal(0)) if whens else literal(0)
        columns.append(money_sum(expr).label(bucket.replace(" ", "_").replace("-", "_")))
    late_sum = money_sum(case(*[(and_(TermEnrollment.term_id == t, MonthBucket.month == mo), owed)
                                for b in BUCKETS[1:] for t, mo in pairs[b]], else_=literal(0))
                         if any(pairs[b] for b in BUCKETS[1:]) else literal(0))
    # Sum per enrollment first (buckets only), then join the few columns people read.
    sums = _owed_scope(
        select(TermEnrollment.id.label("te_id"), TermEnrollment.student_id, TermEnrollment.term_id, *columns,
               late_sum.label("overdue"), money_sum(owed).label("outstanding"))
        .select_from(MonthBucket).join(TermEnrollment, TermEnrollment.id == MonthBucket.term_enrollment_id), filters,
    ).group_by(TermEnrollment.id, TermEnrollment.student_id, TermEnrollment.term_id).subquery()
    name = (User.last_name + ", " + User.first_name).label("name")
    buckets = [sums.c[b.replace(" ", "_").replace("-", "_")] for b in BUCKETS]
    return (select(Student.student_number, name, Program.code.label("program"), Student.year_level, sums.c.term_id,
                   *buckets, sums.c.overdue, sums.c.outstanding)
            # Outer joins on unique keys: PostgreSQL drops them when only the rows are counted.
            .select_from(sums).outerjoin(Student, Student.id == sums.c.student_id)
            .outerjoin(User, User.id == Student.user_id).outerjoin(Program, Program.id == Student.program_id)
            .order_by(sums.c.overdue.desc(), Student.student_number))
