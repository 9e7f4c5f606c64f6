"""The demo payments seed: pays for whatever demo students exist, idempotently."""
from __future__ import annotations

from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import Payment, TermEnrollment
from richwell.seed import payments as seed_payments
from richwell.seed import staff
from tests.factories import make_enrollment, make_student, make_term


def test_seed_without_students_does_nothing():
    staff.seed("demo-password-1")
    assert seed_payments.seed("demo-password-1") == []
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_seed_pays_months_leaves_a_credit_and_a_reversal_and_runs_twice_safely():
    staff.seed("demo-password-1")
    term = make_term()
    for n in range(6):
        make_enrollment(student=make_student(number=f"2026-{n + 1:05d}"), term=term, commitment="1000.00")
    seed_payments.seed("demo-password-1")
    count = db.session.scalar(select(func.count()).select_from(Payment))
    assert count >= 9
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.kind == "REVERSAL")) == 1
    assert db.session.scalar(select(func.max(TermEnrollment.credit_balance))) > 0
    seed_payments.seed("demo-password-1")
    assert db.session.scalar(select(func.count()).select_from(Payment)) == count
