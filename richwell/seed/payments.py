"""Demo payments for the demo students of the current term: month 1 paid for some, several
months for others, one with a credit balance and one reversed payment. Runs after the students
seed; with no students it does nothing. Idempotent: enrollments that already have payments are
left alone."""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from richwell.extensions import db
from richwell.models import Payment, Role, Student, Term, TermEnrollment, TermEnrollmentStatus, User
from richwell.services import finance


def _key(enrollment_id: int, step: str) -> str:
    # Stable keys: re-running the seed replays instead of paying twice.
    return "seed-" + hashlib.sha256(f"{enrollment_id}:{step}".encode()).hexdigest()[:24]


def seed(password: str, *, keep_passwords: bool = False) -> list[tuple[str, str]]:
    cashier = db.session.scalar(select(User).where(User.role == Role.CASHIER.value,
                                                   User.is_active_account.is_(True)).order_by(User.id))
    if cashier is None:
        return []
    paid_already = select(Payment.id).where(Payment.term_enrollment_id == TermEnrollment.id).exists()
    enrollments = list(db.session.scalars(
        select(TermEnrollment).join(Term, Term.id == TermEnrollment.term_id)
        .join(Student, Student.id == TermEnrollment.student_id)
        .where(Term.is_current.is_(True), TermEnrollment.status == TermEnrollmentStatus.ACTIVE.value,
               ~paid_already)
        .order_by(Student.student_number)))
    plans = [_month_one, _several_months, _month_one, _credit_balance, _reversed, _several_months]
    for index, enrollment in enumerate(enrollments[: len(plans) * 2]):
        plans[index % len(plans)](enrollment.id, enrollment.monthly_commitment, cashier)
    return []


def _pay(enrollment_id, amount, cashier, step, method="CASH", reference=None):
    return finance.record_payment(enrollment_id, str(amount), method, reference, cashier, _key(enrollment_id, step))


def _month_one(enrollment_id, commitment, cashier):
    _pay(enrollment_id, commitment, cashier, "m1")


def _several_months(enrollment_id, commitment, cashier):
    _pay(enrollment_id, commitment, cashier, "m1")
    _pay(enrollment_id, commitment * 2, cashier, "m2-3", method="GCASH", reference="GC-7781-2231")


def _credit_balance(enrollment_id, commitment, cashier):
    buckets = len(finance.get_enrollment(enrollment_id).buckets)
    _pay(enrollment_id, commitment * buckets + 1500, cashier, "full", method="BANK_TRANSFER", reference="BDO-554210")


def _reversed(enrollment_id, commitment, cashier):
    _pay(enrollment_id, commitment, cashier, "m1")
    wrong = _pay(enrollment_id, commitment * 10, cashier, "typo")
    finance.reverse_payment(wrong.payment_id, "Amount typed with an extra zero; student paid once.", cashier)
