"""The cashier's rules: sequential allocation, receipts, idempotency, validation, reversals."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import (
    AuditEntry,
    ExamMonthMapping,
    ExamPermit,
    IdempotencyRecord,
    MonthBucket,
    Notification,
    Payment,
    PaymentAllocation,
    ReceiptCounter,
    Role,
    TermEnrollment,
)
from richwell.services.finance import ledger, queries, rules
from richwell.services.finance.rules import BucketState, allocate_sequentially, deallocate_latest_first
from richwell.services.platform import clock, settings
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from tests.factories import make_cashier, make_enrollment, make_student, make_user, new_key, pay

D = Decimal


def _buckets(enrollment_id: int) -> list[tuple[int, Decimal]]:
    return [(b.month, b.paid) for b in db.session.scalars(
        select(MonthBucket).where(MonthBucket.term_enrollment_id == enrollment_id).order_by(MonthBucket.month)
        .execution_options(populate_existing=True))]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _permits(enrollment_id: int) -> dict[str, ExamPermit]:
    return {p.exam: p for p in db.session.scalars(
        select(ExamPermit).where(ExamPermit.term_enrollment_id == enrollment_id)
        .execution_options(populate_existing=True))}


# --------------------------------------------------------------------------- pure allocation


def test_allocate_sequentially_fills_the_earliest_unpaid_month_first():
    buckets = [BucketState(1, D("5000.00"), D("5000.00")), BucketState(2, D("5000.00"), D("1000.00")),
               BucketState(3, D("5000.00"), D("0.00"))]
    plan = allocate_sequentially(buckets, D("6000.00"))
    assert plan.parts == ((2, D("4000.00")), (3, D("2000.00")))
    assert plan.credit == D("0.00")
    assert [b.paid for b in plan.buckets_after] == [D("5000.00"), D("5000.00"), D("2000.00")]


def test_money_beyond_the_last_month_becomes_credit_balance():
    buckets = [BucketState(1, D("100.00"), D("0.00")), BucketState(2, D("100.00"), D("0.00"))]
    plan = allocate_sequentially(buckets, D("250.50"))
    assert plan.parts == ((1, D("100.00")), (2, D("100.00")))
    assert plan.credit == D("50.50")
    assert plan.total == D("250.50")


def test_allocation_ignores_the_order_buckets_are_given_in():
    buckets = [BucketState(2, D("10.00"), D("0.00")), BucketState(1, D("10.00"), D("0.00"))]
    assert allocate_sequentially(buckets, D("5.00")).parts == ((1, D("5.00")),)


def test_reversal_plan_takes_credit_first_then_latest_months():
    buckets = [BucketState(1, D("100.00"), D("100.00")), BucketState(2, D("100.00"), D("100.00")),
               BucketState(3, D("100.00"), D("40.00"))]
    plan = deallocate_latest_first(buckets, D("0.00"), D("150.00"))
    assert plan.parts == ((1, D("-10.00")), (2, D("-100.00")), (3, D("-40.00")))
    plan = deallocate_latest_first(buckets, D("30.00"), D("50.00"))
    assert plan.credit == D("-30.00")
    assert plan.parts == ((3, D("-20.00")),)


# --------------------------------------------------------------------------- recording


def test_record_payment_allocates_and_stores_its_allocations():
    enrollment = make_enrollment(commitment="5000.00")
    result = pay(enrollment, "7500.50")
    assert result.allocations == [(1, D("5000.00")), (2, D("2500.50"))]
    assert _buckets(enrollment.id)[:3] == [(1, D("5000.00")), (2, D("2500.50")), (3, D("0.00"))]
    rows = db.session.scalars(select(PaymentAllocation).where(PaymentAllocation.payment_id == result.payment_id)
                              .order_by(PaymentAllocation.month)).all()
    assert [(a.month, a.amount) for a in rows] == [(1, D("5000.00")), (2, D("2500.50"))]
    payment = db.session.get(Payment, result.payment_id)
    assert payment.amount == D("7500.50") and payment.kind == "PAYMENT" and payment.credit_change == D("0.00")


def test_overpayment_goes_to_credit_balance_and_is_recorded_on_the_payment():
    enrollment = make_enrollment(commitment="1000.00")
    result = pay(enrollment, "6250.00")
    assert result.credit_added == D("250.00")
    assert result.balance == D("0.00")
    db.session.expire_all()
    assert db.session.get(TermEnrollment, enrollment.id).credit_balance == D("250.00")
    assert db.session.get(Payment, result.payment_id).credit_change == D("250.00")


def test_receipt_numbers_are_sequential_and_formatted_per_year():
    enrollment = make_enrollment()
    cashier = make_cashier()
    numbers = [pay(enrollment, "100.00", cashier=cashier).receipt_number for _ in range(3)]
    year = clock.today().year
    assert numbers == [f"OR-{year}-000001", f"OR-{year}-000002", f"OR-{year}-000003"]


def test_receipt_numbers_start_again_each_year_on_the_school_clock(monkeypatch):
    enrollment = make_enrollment()
    cashier = make_cashier()
    # 16:30 UTC on Dec 31 is already Jan 1 in Manila: the new year's series starts.
    monkeypatch.setattr(clock, "now", lambda: datetime(2030, 12, 31, 15, 0, tzinfo=timezone.utc))
    assert pay(enrollment, "10.00", cashier=cashier).receipt_number == "OR-2030-000001"
    monkeypatch.setattr(clock, "now", lambda: datetime(2030, 12, 31, 16, 30, tzinfo=timezone.utc))
    assert pay(enrollment, "10.00", cashier=cashier).receipt_number == "OR-2031-000001"
    assert pay(enrollment, "10.00", cashier=cashier).receipt_number == "OR-2031-000002"


def test_a_failed_payment_gives_its_receipt_number_back(monkeypatch):
    enrollment = make_enrollment()
    cashier = make_cashier()
    first = pay(enrollment, "10.00", cashier=cashier)

    def boom(*args, **kwargs):
        raise RuntimeError("failed after the number was taken, before the commit")

    # The last step of a payment, after every write: the whole unit of work rolls back.
    monkeypatch.setattr(ledger.receipts, "queue_pdf", boom)
    with pytest.raises(RuntimeError):
        pay(enrollment, "10.00", cashier=cashier)
    monkeypatch.undo()
    second = pay(enrollment, "10.00", cashier=cashier)
    assert int(second.receipt_number[-6:]) == int(first.receipt_number[-6:]) + 1
    assert _count(Payment) == 2


BAD_AMOUNTS = [
    ("0", "more than zero"), ("0.00", "more than zero"), ("-5", "more than zero"), ("-0.01", "more than zero"),
    ("abc", "like 1500"), ("1.005", "at most 2 decimals"), ("NaN", "like 1500"), ("nan", "like 1500"),
    ("Infinity", "like 1500"), ("1e6", "like 1500"), ("1E3", "like 1500"), ("", "Enter the amount"),
    ("   ", "Enter the amount"), ("1000000.01", "at most ₱\u00a01,000,000.00"), ("99999999999", "at most ₱"),
    ("1" * 500, "at most ₱"), ("12,34", "like 1500"), ("0x10", "like 1500"), ("5000 pesos", "like 1500"),
]


@pytest.mark.parametrize("amount,message", BAD_AMOUNTS, ids=[a[:12] or "empty" for a, _ in BAD_AMOUNTS])
def test_bad_amounts_are_refused_at_the_field_and_nothing_is_recorded(amount, message):
    enrollment = make_enrollment()
    with pytest.raises(ValidationError) as caught:
        pay(enrollment, amount)
    assert message in caught.value.message
    assert "amount" in caught.value.fields
    assert _count(Payment) == 0 and _count(IdempotencyRecord) == 0
    assert all(paid == 0 for _, paid in _buckets(enrollment.id))


def test_plain_amounts_with_thousands_commas_are_accepted():
    assert rules.parse_amount("1,500.50") == D("1500.50")
    assert rules.parse_amount("1000000") == D("1000000.00")
    assert rules.parse_amount(D("12.3")) == D("12.30")


def test_amounts_never_come_in_as_floats():
    with pytest.raises(TypeError):
        rules.parse_amount(12.5)


def test_unknown_method_is_refused():
    enrollment = make_enrollment()
    with pytest.raises(ValidationError) as caught:
        ledger.record_payment(enrollment.id, "100", "BITCOIN", None, make_cashier(), new_key())
    assert "method" in caught.value.fields
    assert _count(Payment) == 0


@pytest.mark.parametrize("method", ["GCASH", "MAYA", "BANK_TRANSFER", "CHECK"])
def test_reference_number_is_required_for_every_method_but_cash(method):
    enrollment = make_enrollment()
    with pytest.raises(ValidationError) as caught:
        ledger.record_payment(enrollment.id, "100", method, "  ", make_cashier(), new_key())
    assert "reference_number" in caught.value.fields
    assert _count(Payment) == 0
    result = ledger.record_payment(enrollment.id, "100", method, "REF-001", make_cashier(), new_key())
    assert result.reference_number == "REF-001"


def test_cash_needs_no_reference_number():
    result = ledger.record_payment(make_enrollment().id, "100", "cash", "", make_cashier(), new_key())
    assert result.method == "CASH" and result.reference_number is None


def test_payment_for_a_withdrawn_enrollment_is_refused():
    enrollment = make_enrollment()
    enrollment.status = "WITHDRAWN"
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        pay(enrollment, "100.00")
    assert "withdrawn" in caught.value.message
    assert _count(Payment) == 0 and _count(IdempotencyRecord) == 0


def test_payment_for_an_unknown_enrollment_is_not_found():
    with pytest.raises(NotFound):
        pay(424242, "100.00")


@pytest.mark.parametrize("role", [Role.STUDENT, Role.REGISTRAR, Role.PROFESSOR, Role.ADMIN])
def test_only_cashiers_record_payments(role):
    enrollment = make_enrollment()
    with pytest.raises(Forbidden):
        ledger.record_payment(enrollment.id, "100", "CASH", None, make_user(role), new_key())
    assert _count(Payment) == 0


def test_same_key_replays_the_first_result_and_records_nothing():
    enrollment = make_enrollment()
    cashier = make_cashier()
    key = new_key()
    first = pay(enrollment, "1500.00", cashier=cashier, key=key)
    again = pay(enrollment, "1500.00", cashier=cashier, key=key)
    assert again.replayed and not first.replayed
    assert again.payment_id == first.payment_id and again.receipt_number == first.receipt_number
    assert _count(Payment) == 1 and _count(PaymentAllocation) == 1
    assert _buckets(enrollment.id)[0] == (1, D("1500.00"))
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.kind == "payment_received")) == 1


def test_same_key_with_a_different_body_is_refused():
    enrollment = make_enrollment()
    cashier = make_cashier()
    key = new_key()
    pay(enrollment, "1500.00", cashier=cashier, key=key)
    with pytest.raises(Conflict) as caught:
        pay(enrollment, "1600.00", cashier=cashier, key=key)
    assert caught.value.status == 409
    with pytest.raises(Conflict):
        pay(make_enrollment(student=make_student()), "1500.00", cashier=cashier, key=key)
    assert _count(Payment) == 1


def test_idempotency_record_keeps_the_fingerprint_and_the_response():
    enrollment = make_enrollment()
    result = ledger.record_payment(enrollment.id, "100", "CASH", None, make_cashier(), new_key(),
                                     fingerprint="api-body-sha256")
    record = db.session.scalar(select(IdempotencyRecord))
    assert record.fingerprint == "api-body-sha256"
    assert record.payment_id == result.payment_id
    assert record.response["receipt_number"] == result.receipt_number
    assert record.response["allocations"] == [{"month": 1, "amount": "100.00"}]
    # The whole first answer is kept, with the id and number the write gave it.
    assert record.response == result.as_response()
    assert record.response["payment_id"] == result.payment_id


def test_a_malformed_key_is_refused():
    with pytest.raises(ValidationError) as caught:
        ledger.record_payment(make_enrollment().id, "100", "CASH", None, make_cashier(), "short")
    assert "idempotency_key" in caught.value.fields


def test_payment_notifies_the_student_with_the_receipt_number():
    enrollment = make_enrollment()
    result = pay(enrollment, "100.00")
    note = db.session.scalar(select(Notification).where(Notification.kind == "payment_received"))
    assert note.user_id == enrollment.student.user_id
    assert note.message == f"Payment of ₱\u00a0100.00 received (Cash). Official receipt {result.receipt_number}."
    assert note.link == f"/receipts/{result.receipt_number}"
    assert note.read_at is None


def test_payment_is_audited_with_its_allocation():
    enrollment = make_enrollment(commitment="1000.00")
    cashier = make_cashier()
    result = pay(enrollment, "1500.00", cashier=cashier)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.record"))
    assert entry.actor_id == cashier.id
    assert entry.target_type == "Payment" and entry.target_id == str(result.payment_id)
    assert entry.after["receipt_number"] == result.receipt_number
    assert entry.after["allocations"] == {"1": "1000.00", "2": "500.00"}
    assert entry.after["permits_issued"] == ["PRELIM"]
    assert entry.actor_role == "cashier" and entry.reason is None
    assert entry.before == {"buckets_paid": {str(m): "0.00" for m in range(1, 7)}, "credit_balance": "0.00"}
    assert entry.after == {"receipt_number": result.receipt_number, "student": enrollment.student.student_number,
                           "amount": "1500.00", "method": "CASH", "reference_number": None,
                           "allocations": {"1": "1000.00", "2": "500.00"}, "credit_added": "0.00",
                           "permits_issued": ["PRELIM"]}


def test_receipt_numbers_run_out_at_999999_and_the_payment_changes_nothing(monkeypatch):
    enrollment = make_enrollment(commitment="1000.00")
    cashier = make_cashier()
    monkeypatch.setattr(clock, "now", lambda: datetime(2031, 3, 1, 2, 0, tzinfo=timezone.utc))
    db.session.add(ReceiptCounter(year=2031, last_value=999_998))
    db.session.commit()
    assert pay(enrollment, "10.00", cashier=cashier).receipt_number == "OR-2031-999999"
    with pytest.raises(DomainError) as refused:
        pay(enrollment, "990.00", cashier=cashier)
    assert refused.value.code == "receipts_exhausted" and "2031" in str(refused.value)
    assert _count(Payment) == 1 and _count(PaymentAllocation) == 1 and _count(IdempotencyRecord) == 1
    assert _buckets(enrollment.id)[0] == (1, D("10.00")) and _permits(enrollment.id) == {}
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.kind == "payment_received")) == 1
    assert db.session.get(ReceiptCounter, 2031, populate_existing=True).last_value == 999_999


# --------------------------------------------------------------------------- permits


def test_permit_is_issued_when_its_mapped_month_becomes_fully_paid():
    enrollment = make_enrollment(commitment="1000.00")
    result = pay(enrollment, "1000.00")
    assert result.permits_issued == ["PRELIM"]
    permit = _permits(enrollment.id)["PRELIM"]
    assert permit.status == "ISSUED" and len(permit.code) == 16
    note = db.session.scalar(select(Notification).where(Notification.kind == "permit_issued"))
    assert note.message == "Your Prelim exam permit is issued. You can print it from your payments page."
    assert note.link == "/student/payments" and note.user_id == enrollment.student.user_id


def test_a_partial_month_issues_no_permit():
    enrollment = make_enrollment(commitment="1000.00")
    assert pay(enrollment, "999.99").permits_issued == []
    assert _permits(enrollment.id) == {}
    assert pay(enrollment, "0.01").permits_issued == ["PRELIM"]


def test_each_permit_is_issued_exactly_once():
    enrollment = make_enrollment(commitment="1000.00")
    pay(enrollment, "1000.00")
    code = _permits(enrollment.id)["PRELIM"].code
    assert pay(enrollment, "2500.00").permits_issued == ["MIDTERM", "PREFINAL"]
    permits = _permits(enrollment.id)
    assert len(permits) == 3 and permits["PRELIM"].code == code
    assert len({p.code for p in permits.values()}) == 3


def test_a_payment_leaves_an_already_issued_permit_alone_and_says_so():
    # The term's mapping moved PRELIM from month 1 to month 2 after its permit was issued: the
    # payment completing month 2 asks for PRELIM again, which keeps its code and is not reported.
    enrollment = make_enrollment(commitment="1000.00")
    pay(enrollment, "1000.00")
    code = _permits(enrollment.id)["PRELIM"].code
    db.session.add(ExamMonthMapping(term_id=enrollment.term_id, prelim_month=2, midterm_month=3,
                                    prefinal_month=4, final_month=5))
    db.session.commit()
    result = pay(enrollment, "1000.00")
    assert result.permits_issued == []
    assert _permits(enrollment.id)["PRELIM"].code == code and len(_permits(enrollment.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.kind == "permit_issued")) == 1
    record = db.session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.payment_id == result.payment_id))
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.record",
                                                       AuditEntry.target_id == str(result.payment_id)))
    assert record.response["permits_issued"] == [] and entry.after["permits_issued"] == []
    # The next month's payment issues MIDTERM (now month 3) as usual.
    assert pay(enrollment, "1000.00").permits_issued == ["MIDTERM"]


def test_one_payment_can_issue_several_permits_and_months_beyond_the_mapping_issue_none():
    enrollment = make_enrollment(commitment="1000.00")
    result = pay(enrollment, "6000.00")
    assert result.permits_issued == ["PRELIM", "MIDTERM", "PREFINAL", "FINAL"]
    assert len(_permits(enrollment.id)) == 4
    notes = db.session.scalars(select(Notification.message).where(Notification.kind == "permit_issued")).all()
    assert sorted(notes) == sorted(f"Your {exam} exam permit is issued. You can print it from your payments page."
                                   for exam in ("Prelim", "Midterm", "Pre-final", "Final"))


# --------------------------------------------------------------------------- reversals


def test_reversal_takes_money_from_credit_first_then_latest_months():
    enrollment = make_enrollment(commitment="1000.00")
    cashier = make_cashier()
    pay(enrollment, "2500.00", cashier=cashier)
    big = pay(enrollment, "4000.00", cashier=cashier)  # fills to month 6 and 500 credit
    assert big.credit_balance == D("500.00")
    reversal = ledger.reverse_payment(big.payment_id, "Entered twice by mistake", cashier)
    assert reversal.amount == D("-4000.00") and reversal.credit_change == D("-500.00")
    assert [(a.month, a.amount) for a in reversal.allocations] == [
        (3, D("-500.00")), (4, D("-1000.00")), (5, D("-1000.00")), (6, D("-1000.00"))]
    assert _buckets(enrollment.id) == [(1, D("1000.00")), (2, D("1000.00")), (3, D("500.00")),
                                       (4, D("0.00")), (5, D("0.00")), (6, D("0.00"))]
    db.session.expire_all()
    assert db.session.get(TermEnrollment, enrollment.id).credit_balance == D("0.00")


def test_reversal_revokes_a_permit_whose_month_is_no_longer_fully_paid_and_tells_the_student():
    enrollment = make_enrollment(commitment="1000.00")
    cashier = make_cashier()
    pay(enrollment, "1000.00", cashier=cashier)
    second = pay(enrollment, "1500.00", cashier=cashier)
    ledger.reverse_payment(second.payment_id, "Check bounced at the bank", cashier)
    permits = _permits(enrollment.id)
    assert permits["PRELIM"].status == "ISSUED"
    assert permits["MIDTERM"].status == "REVOKED" and permits["MIDTERM"].revoked_at is not None
    note = db.session.scalar(select(Notification).where(Notification.kind == "permit_revoked"))
    assert note.user_id == enrollment.student.user_id and second.receipt_number in note.message


def test_reversal_keeps_the_original_in_the_ledger_marked_reversed():
    enrollment = make_enrollment()
    cashier = make_cashier()
    result = pay(enrollment, "100.00", cashier=cashier)
    reversal = ledger.reverse_payment(result.payment_id, "Recorded for the wrong student", cashier)
    db.session.expire_all()
    original = db.session.get(Payment, result.payment_id)
    assert original.amount == D("100.00") and original.receipt_number == result.receipt_number
    assert original.reversal.id == reversal.id
    assert reversal.receipt_number is None and reversal.reason == "Recorded for the wrong student"
    assert [p.id for p in queries.history(enrollment.id)] == [reversal.id, original.id]


@pytest.mark.parametrize("reason", ["", "   ", "no", None])
def test_reversal_without_a_reason_is_refused(reason):
    enrollment = make_enrollment()
    cashier = make_cashier()
    result = pay(enrollment, "100.00", cashier=cashier)
    with pytest.raises(ValidationError) as caught:
        ledger.reverse_payment(result.payment_id, reason, cashier)
    assert "reason" in caught.value.fields
    assert _count(Payment) == 1


def test_a_payment_cannot_be_reversed_twice():
    enrollment = make_enrollment()
    cashier = make_cashier()
    result = pay(enrollment, "100.00", cashier=cashier)
    ledger.reverse_payment(result.payment_id, "Wrong amount typed at the counter", cashier)
    with pytest.raises(Conflict) as caught:
        ledger.reverse_payment(result.payment_id, "Wrong amount typed at the counter again", cashier)
    assert "already reversed" in caught.value.message
    assert _count(Payment) == 2
    assert _buckets(enrollment.id)[0] == (1, D("0.00"))


def test_a_reversal_cannot_itself_be_reversed():
    enrollment = make_enrollment()
    cashier = make_cashier()
    reversal = ledger.reverse_payment(pay(enrollment, "100.00", cashier=cashier).payment_id,
                                      "Typo in the amount at the counter", cashier)
    with pytest.raises(DomainError):
        ledger.reverse_payment(reversal.id, "Undo the undo of the typo here", cashier)


@pytest.mark.parametrize("role,allowed", [(Role.CASHIER, True), (Role.ADMIN, True), (Role.REGISTRAR, False),
                                          (Role.STUDENT, False)])
def test_only_a_cashier_or_admin_reverses(role, allowed):
    actor = make_user(role)
    # The cashier's own payment of today (the reversal policy's case for reversing alone).
    result = pay(make_enrollment(), "100.00", cashier=actor if role is Role.CASHIER else None)
    if allowed:
        assert ledger.reverse_payment(result.payment_id, "Customer refund approved today", actor).amount == D("-100.00")
    else:
        with pytest.raises(Forbidden):
            ledger.reverse_payment(result.payment_id, "Customer refund approved today", actor)


def test_reversal_is_audited_with_its_reason():
    cashier = make_cashier()
    result = pay(make_enrollment(), "100.00", cashier=cashier)
    ledger.reverse_payment(result.payment_id, "Check bounced at the bank", cashier)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.reverse"))
    assert entry.reason == "Check bounced at the bank" and entry.actor_id == cashier.id
    assert entry.after["receipt_number"] == result.receipt_number


def test_paying_again_after_a_reversal_issues_the_permit_again_with_a_new_code():
    enrollment = make_enrollment(commitment="1000.00")
    cashier = make_cashier()
    first = pay(enrollment, "1000.00", cashier=cashier)
    old_code = _permits(enrollment.id)["PRELIM"].code
    ledger.reverse_payment(first.payment_id, "Fake bill found in the cash", cashier)
    assert _permits(enrollment.id)["PRELIM"].status == "REVOKED"
    assert pay(enrollment, "1000.00", cashier=cashier).permits_issued == ["PRELIM"]
    permit = _permits(enrollment.id)["PRELIM"]
    assert permit.status == "ISSUED" and permit.code != old_code and permit.revoked_at is None


# --------------------------------------------------------------------------- preview, search, day


def test_preview_shows_where_money_goes_and_writes_nothing():
    enrollment = make_enrollment(commitment="1000.00")
    preview = queries.preview_allocation(enrollment.id, "1500")
    assert preview.plan.parts == ((1, D("1000.00")), (2, D("500.00")))
    assert preview.exams_unlocked == ["PRELIM"]
    assert preview.balance_after == D("4500.00")
    assert _count(Payment) == 0 and all(paid == 0 for _, paid in _buckets(enrollment.id))
    with pytest.raises(ValidationError):
        queries.preview_allocation(enrollment.id, "1e3")


def test_end_of_day_totals_by_method_and_by_cashier():
    enrollment = make_enrollment()
    ana = make_cashier(first_name="Ana", last_name="Cruz")
    ben = make_cashier(first_name="Ben", last_name="Lim")
    pay(enrollment, "100.00", cashier=ana)
    pay(enrollment, "250.50", cashier=ben, method="GCASH", reference="GC-1")
    third = pay(enrollment, "40.00", cashier=ana)
    settings.set_value(None, "reversal_needs_approval", False)  # Ben may reverse Ana's payment
    ledger.reverse_payment(third.payment_id, "Duplicate entry of the same slip", ben)
    day = queries.end_of_day()
    assert day.total.count == 4
    assert day.total.payments == D("390.50") and day.total.reversals == D("-40.00") and day.total.net == D("350.50")
    assert day.by_method["Cash"].net == D("100.00") and day.by_method["GCash"].payments == D("250.50")
    assert day.by_cashier["Ana Cruz"].payments == D("140.00")
    assert day.by_cashier["Ben Lim"].reversals == D("-40.00")
    assert queries.end_of_day(clock.today().replace(year=2001)).total.count == 0


@pytest.mark.postgres
def test_the_ledger_is_append_only_on_postgres():
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    result = pay(make_enrollment(), "100.00")
    for statement in (f"UPDATE payments SET amount = 1 WHERE id = {result.payment_id}",
                      f"DELETE FROM payments WHERE id = {result.payment_id}",
                      f"UPDATE payment_allocations SET amount = 1 WHERE payment_id = {result.payment_id}"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    db.session.execute(text(f"UPDATE payments SET receipt_pdf_path = 'x.pdf' WHERE id = {result.payment_id}"))
    db.session.commit()
