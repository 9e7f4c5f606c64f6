"""Races, proven on PostgreSQL with real threads (SQLite drops FOR UPDATE): many cashiers at
once, double submits, double reversals. Each thread has its own app context and db session."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import (
    ExamPermit,
    MonthBucket,
    Notification,
    Payment,
    PaymentAllocation,
    Role,
    TermEnrollment,
    User,
)
from richwell.services.finance import ledger, receipts
from richwell.services.platform import clock
from richwell.services.platform.errors import Conflict
from tests.factories import make_cashier, make_enrollment, make_student, make_user, pay
from tests.races import run_together

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _no_pdfs(monkeypatch):
    # PDFs are the queue's business, not the race's.
    monkeypatch.setattr(receipts, "queue_pdf", lambda payment_id: None)




def assert_books_balance(enrollment_id: int) -> None:
    """Bucket totals + credit = money in; buckets never overpaid and filled in month order;
    every payment's allocations + credit change = its amount."""
    db.session.expire_all()
    enrollment = db.session.get(TermEnrollment, enrollment_id)
    buckets = sorted(enrollment.buckets, key=lambda b: b.month)
    money_in = sum((p.amount for p in db.session.scalars(
        select(Payment).where(Payment.term_enrollment_id == enrollment_id))), Decimal("0"))
    assert sum(b.paid for b in buckets) + enrollment.credit_balance == money_in
    assert all(Decimal("0") <= b.paid <= b.required for b in buckets)
    seen_unfull = False
    for b in buckets:
        if seen_unfull:
            assert b.paid == 0, f"month {b.month} paid while an earlier month is not"
        seen_unfull = seen_unfull or b.paid < b.required
    assert enrollment.credit_balance == 0 or all(b.paid == b.required for b in buckets)
    for p in db.session.scalars(select(Payment).where(Payment.term_enrollment_id == enrollment_id)):
        assert sum((a.amount for a in p.allocations), Decimal("0")) + p.credit_change == p.amount


def test_fifty_concurrent_payments_to_one_enrollment_keep_the_books_straight(app):
    enrollment = make_enrollment(commitment="1000.00")  # 6 months: 6,000.00 due
    cashier_ids = [make_cashier().id for _ in range(5)]
    eid = enrollment.id
    amounts = [Decimal("97.13") + i for i in range(50)]  # 6,081.50 in all: every month, then credit

    def work(i):
        cashier = db.session.get(User, cashier_ids[i % 5])
        return ledger.record_payment(eid, str(amounts[i]), "CASH", None, cashier, f"race-key-{i:04d}")

    results, errors = run_together(app, 50, work)
    assert errors == []
    assert len(results) == 50
    assert_books_balance(eid)
    year = clock.today().year
    numbers = sorted(r.receipt_number for r in results)
    assert numbers == [f"OR-{year}-{n:06d}" for n in range(1, 51)], "receipt numbers unique and gapless"
    db.session.expire_all()
    assert db.session.get(TermEnrollment, eid).credit_balance == sum(amounts) - Decimal("6000.00")
    permits = db.session.scalars(select(ExamPermit).where(ExamPermit.term_enrollment_id == eid)).all()
    assert sorted(p.exam for p in permits) == ["FINAL", "MIDTERM", "PREFINAL", "PRELIM"]
    assert len({p.code for p in permits}) == 4
    assert sorted(e for r in results for e in r.permits_issued) == ["FINAL", "MIDTERM", "PREFINAL", "PRELIM"]
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.kind == "permit_issued")) == 4


def test_concurrent_payments_to_many_enrollments_share_one_gapless_receipt_series(app):
    enrollment_ids = [make_enrollment(student=make_student(), commitment="1000.00").id for _ in range(8)]
    cashier_ids = [make_cashier().id for _ in range(4)]

    def work(i):
        cashier = db.session.get(User, cashier_ids[i % 4])
        return ledger.record_payment(enrollment_ids[i % 8], "1333.33", "GCASH", f"GC-{i}", cashier,
                                       f"spread-key-{i:04d}")

    results, errors = run_together(app, 40, work)
    assert errors == []
    numbers = sorted(int(r.receipt_number[-6:]) for r in results)
    assert numbers == list(range(1, 41))
    for eid in enrollment_ids:
        assert_books_balance(eid)


def test_the_same_key_posted_by_ten_threads_at_once_records_one_payment(app):
    enrollment = make_enrollment(commitment="1000.00")
    cashier_id = make_cashier().id
    eid = enrollment.id

    def work(i):
        return ledger.record_payment(eid, "1000.00", "CASH", None, db.session.get(User, cashier_id),
                                       "double-click-key-0001")

    results, errors = run_together(app, 10, work)
    assert errors == []
    assert len({r.payment_id for r in results}) == 1
    assert sum(1 for r in results if not r.replayed) == 1
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    assert db.session.scalar(select(func.count()).select_from(PaymentAllocation)) == 1
    assert db.session.scalar(select(func.sum(MonthBucket.paid)).where(MonthBucket.term_enrollment_id == eid)) \
        == Decimal("1000.00")
    assert db.session.scalar(select(func.count()).select_from(ExamPermit)) == 1


def test_the_same_key_for_different_enrollments_at_once_records_one_and_refuses_the_rest(app):
    enrollment_ids = [make_enrollment(student=make_student()).id for _ in range(5)]
    cashier_id = make_cashier().id

    def work(i):
        return ledger.record_payment(enrollment_ids[i % 5], "100.00", "CASH", None,
                                       db.session.get(User, cashier_id), "shared-key-00001")

    results, errors = run_together(app, 10, work)
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    winner = db.session.scalar(select(Payment.term_enrollment_id))
    assert all(isinstance(e, Conflict) for e in errors)
    assert all(r.enrollment_id == winner and r.payment_id == results[0].payment_id for r in results)
    assert len(results) + len(errors) == 10


def test_two_cashiers_reversing_the_same_payment_at_once_reverse_it_once(app):
    enrollment = make_enrollment(commitment="1000.00")
    # The cashier who took it (today) and an administrator: both may reverse it alone.
    cashier_ids = [make_cashier().id, make_user(Role.ADMIN).id]
    target = pay(enrollment, "1000.00", cashier=db.session.get(User, cashier_ids[0])).payment_id

    def work(i):
        return ledger.reverse_payment(target, f"Duplicate receipt number {i}", db.session.get(User, cashier_ids[i % 2]))

    results, errors = run_together(app, 6, work)
    assert len(results) == 1
    assert len(errors) == 5 and all(isinstance(e, Conflict) for e in errors)
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.reverses_id == target)) == 1
    assert_books_balance(enrollment.id)


def test_payments_and_reversals_racing_on_one_enrollment_keep_the_books_straight(app):
    enrollment = make_enrollment(commitment="1000.00")
    cashier_id = make_cashier().id
    eid = enrollment.id
    earlier = [pay(enrollment, "650.00", cashier=db.session.get(User, cashier_id)).payment_id for _ in range(6)]

    def work(i):
        cashier = db.session.get(User, cashier_id)
        if i % 2:
            return ledger.reverse_payment(earlier[i // 2], "Reversal under load", cashier)
        return ledger.record_payment(eid, "275.25", "CASH", None, cashier, f"mixed-key-{i:04d}")

    results, errors = run_together(app, 12, work)
    assert errors == []
    assert_books_balance(eid)
