"""Property-based checks of the ledger's invariants over random payments and reversals."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from richwell.extensions import db
from richwell.models import ExamPermit, Payment, TermEnrollment
from richwell.services.finance import ledger, permits, receipts
from richwell.services.finance.rules import BucketState, allocate_sequentially, deallocate_latest_first
from tests.factories import make_cashier, make_enrollment, make_student, pay

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("20000.00"), places=2,
                    allow_nan=False, allow_infinity=False)


@st.composite
def bucket_lists(draw):
    """Buckets as sequential allocation leaves them: full months, one partial, then empty."""
    required = [draw(st.decimals(min_value=Decimal("1.00"), max_value=Decimal("9000.00"), places=2))
                for _ in range(draw(st.integers(1, 8)))]
    paid_in = draw(st.decimals(min_value=Decimal("0.00"), max_value=sum(required), places=2))
    buckets, left = [], paid_in
    for month, req in enumerate(required, start=1):
        take = min(req, left)
        buckets.append(BucketState(month, req, take))
        left -= take
    return buckets


@given(bucket_lists(), money)
def test_allocation_plus_credit_always_equals_the_amount(buckets, amount):
    plan = allocate_sequentially(buckets, amount)
    assert sum(a for _, a in plan.parts) + plan.credit == amount
    assert all(a > 0 for _, a in plan.parts) and plan.credit >= 0
    assert all(b.paid <= b.required for b in plan.buckets_after)
    # Sequential: a month receives money only if every earlier month ends fully paid.
    for month, _ in plan.parts:
        assert all(b.is_fully_paid for b in plan.buckets_after if b.month < month)
    assert plan.credit == 0 or all(b.is_fully_paid for b in plan.buckets_after)


@given(bucket_lists(), st.data())
def test_deallocation_takes_exactly_the_amount_back(buckets, data):
    credit = data.draw(st.decimals(min_value=Decimal("0.00"), max_value=Decimal("5000.00"), places=2))
    if any(not b.is_fully_paid for b in buckets):
        credit = Decimal("0.00")  # credit exists only once every month is full
    held = sum(b.paid for b in buckets) + credit
    if held == 0:
        return
    amount = data.draw(st.decimals(min_value=Decimal("0.01"), max_value=held, places=2))
    plan = deallocate_latest_first(buckets, credit, amount)
    assert sum(a for _, a in plan.parts) + plan.credit == -amount
    assert -plan.credit == min(credit, amount)
    assert all(Decimal("0") <= b.paid <= b.required for b in plan.buckets_after)
    after = plan.buckets_after
    for i, b in enumerate(after):  # still filled in month order
        if b.paid > 0:
            assert all(x.is_fully_paid for x in after[:i])


operations = st.lists(st.one_of(st.tuples(st.just("pay"), money),
                                st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=30))),
                      min_size=1, max_size=12)


@pytest.fixture
def no_pdfs(monkeypatch):
    monkeypatch.setattr(receipts, "queue_pdf", lambda payment_id: None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(ops=operations, commitment=st.sampled_from(["1000.00", "1234.56", "5000.00"]))
def test_the_ledger_balances_after_any_sequence_of_payments_and_reversals(no_pdfs, ops, commitment):
    enrollment = make_enrollment(student=make_student(), commitment=commitment)
    cashier = make_cashier()
    live: list[int] = []
    for op, value in ops:
        if op == "pay":
            live.append(pay(enrollment, str(value), cashier=cashier).payment_id)
        elif live:
            ledger.reverse_payment(live.pop(value % len(live)), "Property test reversal", cashier)
        _assert_invariants(enrollment.id)


def _assert_invariants(enrollment_id: int) -> None:
    db.session.expire_all()
    enrollment = db.session.get(TermEnrollment, enrollment_id)
    buckets = sorted(enrollment.buckets, key=lambda b: b.month)
    ledger = db.session.scalars(select(Payment).where(Payment.term_enrollment_id == enrollment_id)).all()
    for p in ledger:  # sum of allocations + credit change = amount, for payments and reversals
        assert sum((a.amount for a in p.allocations), Decimal("0")) + p.credit_change == p.amount
    money_in = sum((p.amount for p in ledger), Decimal("0"))
    assert sum(b.paid for b in buckets) + enrollment.credit_balance == money_in
    assert enrollment.credit_balance >= 0
    assert all(Decimal("0") <= b.paid <= b.required for b in buckets), "a bucket holds more than it requires"
    for i, b in enumerate(buckets):
        if b.paid > 0:
            assert all(x.paid == x.required for x in buckets[:i])
    # Each mapped exam's permit is valid exactly when its month is fully paid.
    held = {p.exam: p.status for p in db.session.scalars(
        select(ExamPermit).where(ExamPermit.term_enrollment_id == enrollment_id))}
    full = {b.month for b in buckets if b.paid >= b.required}
    for exam, month in permits.exam_months(enrollment.term_id).items():
        assert (held.get(exam) == "ISSUED") == (month in full), exam
