"""Payment reminders: on the 25th, each student whose installment for next month is not yet
fully paid is reminded once (README "Background jobs").

An installment plan's month N falls due in the calendar month N-1 months after the month the
term starts (a term starting 10 August: month 1 is August, month 2 September ...). Only ACTIVE
term enrollments are reminded. One reminder per enrollment per calendar month, kept in
`payment_reminders` (a unique pair), so running the job twice sends nothing new.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Date, and_, insert, literal, select

from richwell.extensions import db
from richwell.models import MonthBucket, Notification, PaymentReminder, Student, Term, TermEnrollment
from richwell.models.enrollment import TermEnrollmentStatus
from richwell.services.platform import audit, clock, settings
from richwell.services.platform.clock import now
from richwell.services.platform.sql import batch_lock
from richwell.services.platform.unit_of_work import unit_of_work

from .rules import month_due_date

STUDENT_PAYMENTS_PATH = "/student/payments"


def first_of_next_month(day: date) -> date:
    """The first day of the calendar month after `day`'s."""
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def bucket_due_in(term: Term, month_start: date) -> int:
    """Which installment month of `term` falls due in the calendar month starting `month_start`."""
    return (month_start.year * 12 + month_start.month) - (term.start_date.year * 12 + term.start_date.month) + 1


def send_payment_reminders(on: date | None = None) -> int:
    """Remind, once per enrollment per calendar month, every ACTIVE enrollment whose installment
    due next month is not fully paid; notification "payment_reminder". Set-based per term, in
    one unit of work. Returns how many were reminded."""
    on = on or clock.today()
    due_month = first_of_next_month(on)
    stamp = now()  # one stamp for the run: it finds the run's reminders again for their notifications
    with unit_of_work():
        batch_lock("payment_reminders")  # two runs at once would both find the same enrollments
        terms = list(db.session.scalars(select(Term).where(Term.end_date >= on).order_by(Term.id)))
        return sum(_remind_term(term, due_month, stamp) for term in terms)


def _remind_term(term: Term, due_month: date, stamp: datetime) -> int:
    """The term's reminders for `due_month` (one INSERT ... SELECT each for the reminders and
    their notifications), audited. Returns how many were reminded."""
    month = bucket_due_in(term, due_month)
    if month < 1:
        return 0
    already = select(PaymentReminder.id).where(PaymentReminder.term_enrollment_id == TermEnrollment.id,
                                               PaymentReminder.due_month == due_month).exists()
    owing = (select(TermEnrollment.id, literal(due_month, Date), literal(month),
                    literal(stamp, PaymentReminder.__table__.c.created_at.type))
             .join(MonthBucket, and_(MonthBucket.term_enrollment_id == TermEnrollment.id,
                                     MonthBucket.month == month))
             .where(TermEnrollment.term_id == term.id,
                    TermEnrollment.status == TermEnrollmentStatus.ACTIVE.value,
                    MonthBucket.paid < MonthBucket.required, ~already))
    result = db.session.execute(insert(PaymentReminder.__table__).from_select(
        ["term_enrollment_id", "due_month", "bucket_month", "created_at"], owing)
        # INSERT ... SELECT reports its rowcount only when asked (SQLAlchemy 2).
        .execution_options(preserve_rowcount=True))
    # An INSERT's result is a CursorResult (the Session types every result as the general Result).
    count: int = cast(CursorResult[Any], result).rowcount or 0
    if not count:
        return 0
    # The same due date the payments page shows for this month (README "Installment due dates").
    due = month_due_date(term.start_date, month, settings.get("installment_due_day"))
    message = (f"Reminder: installment {month} of your {term.name} tuition falls due on "
               f"{due:%B} {due.day}, {due.year} and is not fully paid yet. "
               "Pay at the cashier's counter or online.")
    db.session.execute(insert(Notification.__table__).from_select(
        ["user_id", "kind", "message", "link", "created_at"],
        select(Student.user_id, literal("payment_reminder"), literal(message), literal(STUDENT_PAYMENTS_PATH),
               literal(stamp, Notification.__table__.c.created_at.type))
        .select_from(PaymentReminder)
        .join(TermEnrollment, TermEnrollment.id == PaymentReminder.term_enrollment_id)
        .join(Student, Student.id == TermEnrollment.student_id)
        .where(PaymentReminder.created_at == stamp, TermEnrollment.term_id == term.id)))
    audit.record(None, "payment.reminders", target=term,
                 after={"month": month, "due": due, "reminded": count})
    return count
