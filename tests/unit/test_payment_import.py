"""Online payment import: a CSV of GCash / bank transfers, validated as a whole, each valid row
recorded through ledger.record_payment with its reference as the one-time key; per-row
reasons; nothing partial for a broken file; importing the same file twice records nothing new."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from richwell import tasks
from richwell.extensions import db
from richwell.models import AuditEntry, JobRun, MonthBucket, Payment, PaymentImport, PaymentImportRow
from richwell.services.finance import payment_import
from richwell.services.platform import jobs
from richwell.services.platform.errors import ValidationError
from tests.factories import make_cashier, make_enrollment, make_student, make_term, pay

HEADER = "reference,student number,amount,date\n"


@pytest.fixture
def cashier():
    return make_cashier()


@pytest.fixture
def enrolled():
    """Two students enrolled in the current term (monthly commitment 5,000)."""
    term = make_term()
    return [make_enrollment(make_student(number=f"2026-{n:05d}"), term) for n in (101, 102)]


def _import(cashier, text: str | bytes, method="GCASH", name="gcash.csv") -> PaymentImport:
    content = text.encode("utf-8") if isinstance(text, str) else text
    return payment_import.start_import(cashier, name, content, method)


def _rows(job: PaymentImport) -> dict[int, PaymentImportRow]:
    db.session.expire_all()
    return {r.line: r for r in db.session.scalars(select(PaymentImportRow).where(PaymentImportRow.import_id == job.id))}


def _payments() -> int:
    return db.session.scalar(select(func.count(Payment.id)))


def test_each_valid_row_is_recorded_through_the_payment_service_with_the_cashier_as_actor(cashier, enrolled):
    job = _import(cashier, HEADER + "GC-1001,2026-00101,5000.00,2026-01-05\n"
                                    "GC-1002,2026-00102,\"7,500.50\",2026-01-06\n")
    rows = _rows(job)
    assert [rows[2].status, rows[3].status] == ["RECORDED", "RECORDED"]
    first = db.session.get(Payment, rows[2].payment_id)
    assert (first.amount, first.method, first.reference_number, first.cashier_id) == (
        Decimal("5000.00"), "GCASH", "GC-1001", cashier.id)
    assert rows[2].receipt_number == first.receipt_number
    buckets = db.session.scalars(select(MonthBucket).where(MonthBucket.term_enrollment_id == enrolled[1].id)
                                 .order_by(MonthBucket.month)).all()
    assert [b.paid for b in buckets[:2]] == [Decimal("5000.00"), Decimal("2500.50")]  # sequential allocation
    db.session.refresh(job)
    assert job.status == "DONE" and job.finished_at is not None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "payment.import")).actor_id == cashier.id


def test_importing_the_same_file_twice_records_nothing_new(cashier, enrolled):
    text = HEADER + "GC-1001,2026-00101,5000,2026-01-05\nGC-1002,2026-00102,100,2026-01-05\n"
    _import(cashier, text)
    assert _payments() == 2
    again = _import(make_cashier(), text)  # another cashier, same export
    assert _payments() == 2
    rows = _rows(again)
    assert {r.status for r in rows.values()} == {"DUPLICATE"}
    assert "Already imported (import #" in rows[2].reason


def test_a_reference_already_recorded_at_the_counter_is_skipped_as_a_duplicate(cashier, enrolled):
    paid = pay(enrolled[0], "1000", method="GCASH", reference="GC-7777", cashier=cashier)
    job = _import(cashier, HEADER + "gc-7777,2026-00101,1000,2026-01-05\n")
    row = _rows(job)[2]
    assert row.status == "DUPLICATE" and paid.receipt_number in row.reason
    assert _payments() == 1


@pytest.mark.parametrize("header", [
    "reference,student number,amount\n",
    "ref,student,amount,date\n",
    "reference,student number,amount,date,notes\n",
    "reference,reference,student number,amount,date\n",
    "\n",
])
def test_a_file_with_wrong_headers_imports_nothing(cashier, enrolled, header):
    with pytest.raises(ValidationError) as info:
        _import(cashier, header + "GC-1,2026-00101,100,2026-01-05\n")
    assert info.value.fields["file"] and "reference, student number, amount, date" in info.value.message \
        or "no header" in info.value.message or "empty" in info.value.message
    assert db.session.scalar(select(func.count(PaymentImport.id))) == 0 and _payments() == 0


def test_header_case_spaces_and_a_method_column_are_tolerated(cashier, enrolled):
    job = _import(cashier, " Reference , STUDENT_NUMBER,Amount , Date,Method\n"
                           "BDO-1,2026-00101,100,2026-01-05,Bank transfer\nGC-2,2026-00102,100,01/05/2026,\n")
    rows = _rows(job)
    assert [rows[2].status, rows[3].status] == ["RECORDED", "RECORDED"]
    assert db.session.get(Payment, rows[2].payment_id).method == "BANK_TRANSFER"
    assert db.session.get(Payment, rows[3].payment_id).method == "GCASH"


def test_utf8_with_or_without_a_byte_order_mark_is_read_and_other_encodings_are_refused(cashier, enrolled):
    _import(cashier, b"\xef\xbb\xbf" + (HEADER + "GC-1,2026-00101,100,2026-01-05\n").encode())
    assert _payments() == 1
    for content in ((HEADER + "GC-Ñ2,2026-00101,100,2026-01-05\n").encode("latin-1"),
                    (HEADER + "GC-3,2026-00101,100,2026-01-05\n").encode("utf-16"),
                    b"\x89PNG\r\n\x1a\n\x00\x00binary"):
        with pytest.raises(ValidationError) as info:
            _import(cashier, content)
        assert "UTF-8" in info.value.message or "not a CSV" in info.value.message
    assert db.session.scalar(select(func.count(PaymentImport.id))) == 1 and _payments() == 1


def test_rows_with_problems_are_refused_with_their_reason_while_the_valid_rows_are_recorded(cashier, enrolled):
    make_student(number="2026-00999")  # a student without an enrollment this term
    job = _import(cashier, HEADER + "\n".join([
        "GC-1,2026-00101,100,2026-01-05",      # 2 valid
        "GC-2,2026-00101,-50,2026-01-05",      # 3 negative
        "GC-3,2026-00101,abc,2026-01-05",      # 4 non-numeric
        "GC-4,2026-00101,10.555,2026-01-05",   # 5 three decimals
        "GC-5,2026-00404,100,2026-01-05",      # 6 unknown student
        "GC-6,2026-00999,100,2026-01-05",      # 7 no current enrollment
        "GC-1,2026-00102,100,2026-01-05",      # 8 reference again in the file
        "GC-7,2026-00101,100,someday",         # 9 not a date
        "GC-8,2026-00101,100,2999-01-01",      # 10 future
        "GC-9,2026-00101,100",                 # 11 a value missing
        ",2026-00101,100,2026-01-05",          # 12 no reference
        "GC-10,abc,100,2026-01-05",            # 13 malformed student number
    ]) + "\n")
    rows = _rows(job)
    assert rows[2].status == "RECORDED" and _payments() == 1
    reasons = {line: rows[line].reason for line in range(3, 14)}
    assert all(rows[line].status == "REFUSED" for line in reasons)
    assert "more than zero" in reasons[3]
    assert "like 1500" in reasons[4]
    assert "2 decimals" in reasons[5]
    assert "No student has the number 2026-00404." == reasons[6]
    assert "no enrollment in the current term" in reasons[7]
    assert "appears again in this file (first on line 2)" in reasons[8]
    assert "not a date" in reasons[9]
    assert "in the future" in reasons[10]
    assert "expected 4" in reasons[11]
    assert "reference number" in reasons[12]
    assert "2026-00042" in reasons[13]
    summary = payment_import.progress(job.id, cashier)
    assert summary.finished and summary.counts == {"RECORDED": 1, "REFUSED": 11}


def test_a_file_of_50000_rows_is_checked_and_stored_in_bulk(cashier, enrolled, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks, "enqueue", lambda task, *args: queued.append(args))
    lines = [f"GC-{n},2026-00{101 + n % 2},{100 + n % 7}.25,2026-01-05" for n in range(50_000)]
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        job = _import(cashier, HEADER + "\n".join(lines) + "\n")
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert job.total == 50_000
    assert db.session.scalar(select(func.count(PaymentImportRow.id)).where(
        PaymentImportRow.status == "PENDING")) == 50_000
    assert len(queued) == 100 and queued[0][1:] and queued[-1][0] == job.id  # chunks of 500 rows
    assert len([s for s in statements if "payment_import_rows" in s and s.startswith("INSERT")]) < 60


def test_more_than_50000_rows_are_refused_whole(cashier, enrolled):
    lines = [f"GC-{n},2026-00101,1,2026-01-05" for n in range(50_001)]
    with pytest.raises(ValidationError) as info:
        _import(cashier, HEADER + "\n".join(lines))
    assert "more than 50,000 rows" in info.value.message
    assert db.session.scalar(select(func.count(PaymentImportRow.id))) == 0


def test_an_import_while_the_queue_is_down_is_recorded_later_by_the_sweep(cashier, enrolled, monkeypatch):
    class Unreachable:
        name = "import_payment_rows"

        def __call__(self, *args):
            raise ConnectionError("Error 111 connecting to redis")

    monkeypatch.setitem(tasks.REGISTRY, "import_payment_rows", Unreachable())
    job = _import(cashier, HEADER + "GC-1,2026-00101,100,2026-01-05\n")
    assert _rows(job)[2].status == "PENDING" and _payments() == 0
    assert db.session.scalar(select(JobRun.outcome).where(JobRun.task == "import_payment_rows")) == "PENDING"
    monkeypatch.undo()
    assert jobs.requeue_stale() == 1
    assert _rows(job)[2].status == "RECORDED" and _payments() == 1


def test_a_chunk_run_twice_records_each_row_once(cashier, enrolled, monkeypatch):
    monkeypatch.setattr(tasks, "enqueue", lambda task, *args: None)
    job = _import(cashier, HEADER + "GC-1,2026-00101,100,2026-01-05\nGC-2,2026-00102,100,2026-01-05\n")
    first, last = sorted(r.id for r in _rows(job).values())
    assert tasks.import_payment_rows.call_local(job.id, first, last) == {"RECORDED": 2}
    assert tasks.import_payment_rows.call_local(job.id, first, last) == {}
    assert _payments() == 2


def test_a_row_whose_payment_committed_before_a_crash_replays_it_instead_of_paying_twice(cashier, enrolled,
                                                                                         monkeypatch):
    monkeypatch.setattr(tasks, "enqueue", lambda task, *args: None)
    job = _import(cashier, HEADER + "GC-1,2026-00101,100,2026-01-05\n")
    row = _rows(job)[2]
    # The worker claimed the reference and the payment committed, then the worker died.
    pay(enrolled[0], "100", method="GCASH", reference="GC-1", cashier=cashier,
        key=payment_import.idempotency_key("GCASH", "GC-1"))
    row.claimed_reference = "GCASH:GC-1"
    db.session.commit()
    assert payment_import.record_row(row.id) == "RECORDED"
    assert _payments() == 1
