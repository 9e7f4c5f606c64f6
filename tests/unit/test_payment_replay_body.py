"""What the API needs from the payments service: a replay answers the first result (credit
balance included), and a reversal tells which permits it revoked."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlalchemy import update

from richwell.extensions import db
from richwell.models import IdempotencyRecord
from richwell.services.finance import ledger
from tests.factories import make_cashier, make_enrollment, new_key, pay
from tests.unit.test_reports import count_statements


def test_a_replay_answers_the_credit_balance_of_the_first_result():
    enrollment = make_enrollment(commitment="1000.00")
    cashier, key = make_cashier(), new_key()
    first = pay(enrollment, "500.00", cashier=cashier, key=key)
    pay(enrollment, "9000.00", cashier=cashier)  # 3500.00 to credit now
    replay = ledger.record_payment(enrollment.id, "500.00", "CASH", None, cashier, key)
    assert replay.replayed and replay.payment_id == first.payment_id
    assert replay.credit_balance == first.credit_balance == Decimal("0.00")


def test_a_replay_is_the_first_result_from_the_locked_read_alone():
    enrollment = make_enrollment(commitment="1000.00")
    cashier, key = make_cashier(), new_key()
    first = pay(enrollment, "2500.00", method="GCASH", reference="GC-778", cashier=cashier, key=key)
    pay(enrollment, "700.00", cashier=cashier)  # the months move on after the first payment
    enrollment_id, _ = enrollment.id, cashier.role  # loaded, as a request's caller is
    with count_statements() as statements:
        replay = ledger.record_payment(enrollment_id, "2500.00", "GCASH", "GC-778", cashier, key)
    # The enrollment's locked read alone: it brings the key's stored answer with it.
    assert [s.split()[0] for s in statements if s != "BEGIN"] == ["SELECT"]
    assert replay.replayed
    assert replace(replay, replayed=False, buckets=first.buckets) == first  # every field of the first result
    assert sum(b.paid for b in replay.buckets) == Decimal("3200.00")  # the months as they stand now


def test_a_key_stored_without_its_answer_is_still_replayed_from_the_payment():
    enrollment = make_enrollment(commitment="1000.00")
    cashier, key = make_cashier(), new_key()
    first = pay(enrollment, "1500.00", cashier=cashier, key=key)
    db.session.execute(update(IdempotencyRecord).where(IdempotencyRecord.key == key).values(response=None))
    db.session.commit()
    replay = ledger.record_payment(enrollment.id, "1500.00", "CASH", None, cashier, key)
    assert replay.replayed and replay.payment_id == first.payment_id
    assert replay.receipt_number == first.receipt_number and replay.allocations == first.allocations


def test_a_reversal_lists_the_permits_it_revoked():
    enrollment = make_enrollment(commitment="1000.00")
    cashier = make_cashier()
    paid = pay(enrollment, "2000.00", cashier=cashier)
    assert paid.permits_issued == ["PRELIM", "MIDTERM"]
    reversal = ledger.reverse_payment(paid.payment_id, "Wrong student picked", cashier)
    assert reversal.permits_revoked == ["PRELIM", "MIDTERM"]
