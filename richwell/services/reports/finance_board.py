"""The cashier's and admin's dashboard: collections (today, this week, this term, by day and
by method), receivables aging, students blocked from the next exam with what each must pay,
and reversals. About nine statements whatever the number of students or payments.

Collections are net: a reversal (negative) counts on the day it was recorded. Days are the
school's days (Asia/Manila); a week starts on Monday.

The next exam is the first exam (in order) whose mapped month falls due today or later
(`finance.month_due_date`); once every mapped month is past, it is the final. A student is
blocked from it while the mapped month is not fully paid (term enrollment ACTIVE); the amount
they need is everything owed up to and including that month (payments fill months in order).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Select, case, func, select

from richwell.extensions import db
from richwell.models import (
    Exam,
    MonthBucket,
    Payment,
    PaymentKind,
    PaymentMethod,
    Program,
    Student,
    Term,
    TermEnrollment,
    TermEnrollmentStatus,
    User,
)
from richwell.services import finance
from richwell.services.platform import clock, settings

from .access import require_dashboard
from .aging import ZERO, Aging, OwedMonth, due_months, owed_by_month
from .filters import Filters
from .sqlbits import day_start_utc, manila_day, money_sum

EXAM_ORDER = [e.value for e in Exam]


@dataclass(frozen=True)
class DayMethod:
    day: date
    method: str
    net: Decimal
    count: int


@dataclass(frozen=True)
class Blocked:
    student_number: str
    name: str
    program: str
    year_level: int
    needed: Decimal


@dataclass
class FinanceBoard:
    term: Term | None
    today: date
    week_start: date
    collections: list[DayMethod]
    aging: Aging
    exam: str | None
    exam_month: int | None
    blocked_count: int
    blocked_total: Decimal
    blocked: list[Blocked]
    reversal_count: int
    reversal_total: Decimal

    def _total(self, since: date) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {m.value: ZERO for m in PaymentMethod}
        for row in self.collections:
            if row.day >= since:
                out[row.method] += row.net
        return out

    @property
    def today_by_method(self) -> dict[str, Decimal]:
        return self._total(self.today)

    @property
    def week_by_method(self) -> dict[str, Decimal]:
        return self._total(self.week_start)

    @property
    def term_by_method(self) -> dict[str, Decimal]:
        return self._total(self.term.start_date if self.term else self.week_start)

    @property
    def by_day(self) -> list[tuple[date, Decimal]]:
        days: dict[date, Decimal] = defaultdict(lambda: ZERO)
        for row in self.collections:
            days[row.day] += row.net
        return sorted(days.items())


def collections(since: date) -> list[DayMethod]:
    day = manila_day(Payment.created_at)
    stmt = (select(day, Payment.method, money_sum(Payment.amount), func.count(Payment.id))
            .where(Payment.created_at >= day_start_utc(since)).group_by(day, Payment.method).order_by(day))
    return [DayMethod(d if isinstance(d, date) else date.fromisoformat(str(d)), m, Decimal(net), n)
            for d, m, net, n in db.session.execute(stmt)]


def next_exam(term: Term, mapping: dict[str, int], today: date) -> str:
    due_day = settings.get("installment_due_day")
    for exam in EXAM_ORDER:
        if finance.month_due_date(term.start_date, mapping[exam], due_day) >= today:
            return exam
    return EXAM_ORDER[-1]


def blocked_enrollments(term_id: int, month: int, filters: Filters | None = None) -> Select:  # type: ignore[type-arg]
    """One row per ACTIVE enrollment of the term whose `month` is not fully paid (te_id, student_id,
    needed = what it owes on months 1..month). Buckets only: names are joined by the caller."""
    owed = MonthBucket.required - MonthBucket.paid
    stmt = (select(TermEnrollment.id.label("te_id"), TermEnrollment.student_id, money_sum(owed).label("needed"))
            .select_from(MonthBucket).join(TermEnrollment, TermEnrollment.id == MonthBucket.term_enrollment_id)
            .where(TermEnrollment.term_id == term_id, TermEnrollment.status == TermEnrollmentStatus.ACTIVE.value,
                   MonthBucket.month <= month, MonthBucket.paid < MonthBucket.required))
    if filters is not None and (filters.program_id or filters.year_level):
        stmt = stmt.join(Student, Student.id == TermEnrollment.student_id)
        if filters.program_id:
            stmt = stmt.where(Student.program_id == filters.program_id)
        if filters.year_level:
            stmt = stmt.where(Student.year_level == filters.year_level)
    # Payments fill months in order, so month `month` is unpaid iff it is among the owed rows.
    return (stmt.group_by(TermEnrollment.id, TermEnrollment.student_id)
            .having(func.max(case((MonthBucket.month == month, 1), else_=0)) == 1))


def _blocked(term: Term, month: int, owed: list[OwedMonth]) -> tuple[int, Decimal, list[Blocked]]:
    """How many are blocked and what they need together come from the aging pass: payments fill
    months in order, so an ACTIVE enrollment owing any month up to `month` owes `month` itself
    (it is blocked), and the owed months 1..month are exactly what the blocked need. The ten who
    need most take one more pass, then ten name lookups in the same statement."""
    mine = [r for r in owed if r.term_id == term.id and r.status == TermEnrollmentStatus.ACTIVE.value]
    count = sum(r.count for r in mine if r.month == month)
    total = sum((r.amount for r in mine if r.month <= month), ZERO)
    inner = blocked_enrollments(term.id, month).subquery()
    largest = (select(inner.c.student_id, inner.c.needed)
               .order_by(inner.c.needed.desc(), inner.c.te_id).limit(10).subquery())
    name = (User.last_name + ", " + User.first_name).label("name")
    rows = db.session.execute(
        select(Student.student_number, name, Program.code, Student.year_level, largest.c.needed)
        .select_from(largest).join(Student, Student.id == largest.c.student_id).join(User, User.id == Student.user_id)
        .join(Program, Program.id == Student.program_id)
        .order_by(largest.c.needed.desc(), Student.student_number)).all()
    return count, total, [Blocked(*row) for row in rows]


def _reversals(since: date) -> tuple[int, Decimal]:
    count, total = db.session.execute(
        select(func.count(Payment.id), money_sum(Payment.amount))
        .where(Payment.kind == PaymentKind.REVERSAL.value, Payment.created_at >= day_start_utc(since))).one()
    return int(count), Decimal(total)


def finance_dashboard(actor: User, exam: str | None = None) -> FinanceBoard:
    require_dashboard(actor, "finance")
    today = clock.today()
    week_start = today - timedelta(days=today.weekday())
    term = db.session.scalar(select(Term).where(Term.is_current.is_(True)))
    since = min(week_start, term.start_date) if term else week_start
    owed = owed_by_month(Filters())  # every term: last term's arrears are still owed
    aging = due_months(Filters(), today, owed)
    chosen: str | None = None
    month: int | None = None
    blocked: tuple[int, Decimal, list[Blocked]] = (0, ZERO, [])
    if term is not None:
        mapping = finance.exam_months(term.id)
        chosen = exam if exam in mapping else next_exam(term, mapping, today)
        month = mapping[chosen]
        blocked = _blocked(term, month, owed)
    reversal_count, reversal_total = _reversals(term.start_date if term else week_start)
    return FinanceBoard(term, today, week_start, collections(since), aging, chosen, month, *blocked,
                        reversal_count, reversal_total)
