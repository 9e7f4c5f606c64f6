"""Receipt PDFs: written by the queue after commit, re-runnable, regenerated when missing."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from richwell.extensions import db
from richwell.models import JobRun, Payment
from richwell.services.finance import ledger, receipts
from richwell.services.platform import storage
from tests.factories import make_cashier, make_enrollment, pay


def _payment(payment_id: int) -> Payment:
    db.session.expire_all()
    return db.session.get(Payment, payment_id)


def test_the_queue_writes_the_receipt_pdf_after_the_payment_commits(app):
    result = pay(make_enrollment(), "1500.00")  # the queue runs immediately in tests
    payment = _payment(result.payment_id)
    assert payment.receipt_pdf_path == receipts.pdf_relative_path(result.receipt_number)
    assert receipts.pdf_for(payment).startswith(b"%PDF")
    assert storage.exists(receipts.pdf_key(payment.receipt_pdf_path))


def test_writing_a_receipt_pdf_twice_is_harmless():
    result = pay(make_enrollment(), "100.00")
    first = receipts.ensure_pdf(result.payment_id)
    path = storage.backend().path(first)  # the folder backend in these tests
    stamp = path.stat().st_mtime_ns
    assert receipts.ensure_pdf(result.payment_id) == first
    assert path.stat().st_mtime_ns == stamp


def test_a_missing_pdf_is_regenerated_on_demand():
    result = pay(make_enrollment(), "100.00")
    payment = _payment(result.payment_id)
    key = receipts.pdf_key(payment.receipt_pdf_path)
    storage.delete(key)
    assert not storage.exists(key)
    assert receipts.pdf_for(_payment(result.payment_id)).startswith(b"%PDF")
    assert storage.exists(key)


def test_the_hourly_sweep_writes_pdfs_the_queue_missed(monkeypatch):
    from richwell.tasks import sweep_receipt_pdfs

    monkeypatch.setattr(receipts, "queue_pdf", lambda payment_id: None)
    ids = [pay(make_enrollment(), "100.00").payment_id for _ in range(2)]
    assert all(_payment(i).receipt_pdf_path is None for i in ids)
    assert sweep_receipt_pdfs.call_local() == 2
    assert all(_payment(i).receipt_pdf_path for i in ids)
    assert receipts.sweep_missing_pdfs() == 0


def test_a_queue_outage_never_fails_the_payment(monkeypatch):
    import richwell.tasks

    class Down:
        name = "generate_receipt_pdf"

        def __call__(self, payment_id):
            raise ConnectionError("redis is down")

    monkeypatch.setitem(richwell.tasks.REGISTRY, "generate_receipt_pdf", Down())
    result = pay(make_enrollment(), "100.00")
    assert db.session.get(Payment, result.payment_id).receipt_pdf_path is None
    # The work is left for the stale sweep as a PENDING run.
    assert [r.outcome for r in db.session.scalars(select(JobRun).where(JobRun.task == "generate_receipt_pdf"))] \
        == ["PENDING"]


def test_a_reversed_receipt_gets_a_void_pdf():
    cashier = make_cashier()
    result = pay(make_enrollment(), "100.00", cashier=cashier)
    ledger.reverse_payment(result.payment_id, "Paid twice by mistake", cashier)
    payment = _payment(result.payment_id)
    assert payment.receipt_pdf_path.endswith("-VOID.pdf")
    assert receipts.pdf_for(payment).startswith(b"%PDF")
    assert storage.exists(receipts.pdf_key(payment.receipt_pdf_path))


def test_receipt_data_carries_what_is_printed():
    result = pay(make_enrollment(commitment="1000.00"), "1250.75", method="CHECK", reference="BPI 000123")
    data = receipts.receipt_data(receipts.receipt_for(result.receipt_number, make_cashier()))
    assert data.receipt_number == result.receipt_number and data.amount == Decimal("1250.75")
    assert data.method == "Check" and data.reference_number == "BPI 000123"
    assert data.allocations == [(1, Decimal("1000.00")), (2, Decimal("250.75"))]
    assert data.amount_words == "One thousand two hundred fifty pesos and 75/100"


@pytest.mark.parametrize("amount,words", [
    ("1", "One peso and 00/100"), ("0.50", "Zero pesos and 50/100"), ("21", "Twenty-one pesos and 00/100"),
    ("1000000", "One million pesos and 00/100"), ("115015.05", "One hundred fifteen thousand fifteen pesos and 05/100"),
])
def test_amounts_are_written_in_words(amount, words):
    assert receipts.amount_in_words(Decimal(amount)) == words


def test_receipt_numbers_that_are_not_receipt_numbers_find_nothing():
    pay(make_enrollment(), "100.00")
    assert receipts._load("'; DROP TABLE payments; --") is None
    assert db.session.scalar(select(Payment.id)) is not None
