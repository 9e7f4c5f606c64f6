"""What the API needs from the payments service: a replay answers the first result (credit
balance included), and a reversal tells which permits it revoked."""
from __future__ import annotations

from decimal import Decimal

from richwell.services.finance import ledger
from tests.factories import make_cashier, make_enrollment, new_key, pay


def test_a_replay_answers_the_credit_balance_of_the_first_result():
    enrollment = make_enrollment(commitment="1000.00")
    cashier, key = make_cashier(), new_key()
    first = pay(enrollment, "500.00", cashier=cashier, key=key)
    pay(enrollment, "9000.00", cashier=cashier)  # 3500.00 to credit now
    replay = ledger.record_payment(enrollment.id, "500.00", "CASH", None, cashier, key)
    assert replay.replayed and replay.payment_id == first.payment_id
    assert replay.credit_balance == first.credit_balance == Decimal("0.00")


def test_a_reversal_lists_the_permits_it_revoked():
    enrollment = make_enrollment(commitment="1000.00")
    cashier = make_cashier()
    paid = pay(enrollment, "2000.00", cashier=cashier)
    assert paid.permits_issued == ["PRELIM", "MIDTERM"]
    reversal = ledger.reverse_payment(paid.payment_id, "Wrong student picked", cashier)
    assert reversal.permits_revoked == ["PRELIM", "MIDTERM"]
