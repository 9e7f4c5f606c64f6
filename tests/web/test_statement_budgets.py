"""Statement budgets of the hot requests (issue 13): the pages and API calls people repeat all
day send a bounded number of SQL statements. BEGIN/COMMIT/ROLLBACK are transaction control
and not counted; a plain executemany counts once per row; a fresh session per request, as in
production. When a budget breaks, the failure lists the statements sent."""
from __future__ import annotations

import secrets
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from richwell.extensions import db
from richwell.services.finance import receipts
from tests.factories import (
    make_api_token,
    make_cashier,
    make_enrollment,
    make_program,
    make_student,
    pay,
    token_headers,
)
from tests.factories.curriculum import make_offering, make_section, make_slot, make_subject
from tests.factories.subject_enrollment import pay_first_month
from tests.web.test_cashier_pages import statements_sent

HX = {"HX-Request": "true"}
CONTROL = ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")


@contextmanager
def counting():
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.strip().upper() not in CONTROL:
            statements.extend([" ".join(statement.split())] * statements_sent(context, parameters,
                                                                                    executemany))

    db.session.remove()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _within(statements: list[str], budget: int) -> None:
    assert len(statements) <= budget, f"{len(statements)} statements:\n" + "\n".join(s[:200] for s in statements)


@pytest.fixture
def no_pdf(monkeypatch):
    monkeypatch.setattr(receipts, "queue_pdf", lambda payment_id: None)


def test_student_home_takes_at_most_ten_statements(client, login):
    enrollment = make_enrollment(commitment="2000.00")
    pay(enrollment, "2500.00")
    login(enrollment.student.user)
    assert client.get("/student/").status_code == 200  # warm: the first request reads settings
    with counting() as statements:
        response = client.get("/student/")
    assert response.status_code == 200 and "Month 6" in response.get_data(as_text=True)
    _within(statements, 10)


def test_cashier_search_takes_at_most_five_statements(as_role):
    client, _ = as_role("cashier")
    for _ in range(3):
        make_enrollment(student=make_student(last_name="Dela Cruz"), commitment="2500.00")
    with counting() as statements:
        response = client.get("/cashier/search?q=cruz", headers=HX)
    assert response.status_code == 200 and response.get_data(as_text=True).count("Dela Cruz") >= 3
    _within(statements, 5)


def test_cashier_student_panel_takes_at_most_five_statements(as_role):
    client, _ = as_role("cashier")
    enrollment = make_enrollment(commitment="1000.00")
    pay(enrollment, "2500.00")
    pay(enrollment, "1000.00")
    url = f"/cashier/students/{enrollment.student_id}"
    assert client.get(url, headers=HX).status_code == 200  # warm: settings read once per process
    with counting() as statements:
        response = client.get(url, headers=HX)
    assert response.status_code == 200 and "Record payment" in response.get_data(as_text=True)
    _within(statements, 5)


def test_an_api_payment_takes_at_most_ten_statements(client, no_pdf):
    """Token and owner (one statement), the locked enrollment, buckets, permits, the receipt
    number, payment, allocations, key, notifications, audit. On PostgreSQL three: the token, the
    locked enrollment, and one statement for all the rest that takes the receipt number, so the
    counter row is locked from that statement to the COMMIT and no longer."""
    enrollment_id = make_enrollment(commitment="1000.00").id
    headers = token_headers(make_api_token(make_cashier()))
    url = "/api/v1/cashier/payment/record_payment/"
    client.get("/api/v1/cashier/payment/payment_methods/", headers=headers)  # the once-a-minute last-used write
    with counting() as statements:
        response = client.post(url, json={"enrollment_id": enrollment_id, "amount": "1500.00", "method": "CASH"},
                               headers={**headers, "Idempotency-Key": secrets.token_urlsafe(16)})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["permits_issued"] == ["PRELIM"]
    _within(statements, 10)
    if db.engine.dialect.name == "postgresql":
        _within(statements, 3)
        counter = [i for i, sql in enumerate(statements) if "receipt_counters" in sql]
        assert counter == [len(statements) - 1], "the receipt number is taken by the last statement only"


def test_an_api_enrollment_and_drop_take_at_most_eight_and_eight_statements(client):
    """An add: the token, the locked enrollment with the choice, the history, the seat, the week,
    the units, the row and the audit entry. On PostgreSQL four: the token, the locked read,
    the seat with the history, and one statement that writes the units, the row and the audit
    entry and reads the week. A drop on PostgreSQL: the token, the enrollment and the subject
    locked, and one statement for the writes and the week."""
    program = make_program()
    enrollment = make_enrollment(student=make_student(program=program))
    pay_first_month(enrollment)
    subject = make_subject(program, units=3, year_level=1)
    section = make_section(enrollment.term, program, year_level=1)
    make_slot(make_offering(section, subject))
    headers = token_headers(make_api_token(enrollment.student.user))
    client.get("/api/v1/student/profile/me/", headers=headers)  # the once-a-minute last-used write
    base = f"/api/v1/student/enrollment/{enrollment.id}"
    expected = {"code": subject.code, "subject_id": subject.id, "section": {"id": section.id, "code": section.code}}
    with counting() as added:
        response = client.post(f"{base}/enroll_subject/", json={"subject_id": expected["subject_id"],
                                                                 "section_id": expected["section"]["id"]},
                               headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["subject"]["code"] == expected["code"] and body["section"] == expected["section"]
    assert body["status"] == "ENROLLED" and body["grade"] is None
    _within(added, 8)
    if db.engine.dialect.name == "postgresql":
        _within(added, 4)
        audit = [i for i, sql in enumerate(added) if "audit_entries" in sql]
        assert audit == [len(added) - 1], "the audit entry is written by the saving statement"
    with counting() as dropped:
        response = client.post(f"{base}/drop_subject/", json={"subject_enrollment_id": body["id"]}, headers=headers)
    assert response.status_code == 200 and response.get_json()["status"] == "DROPPED"
    assert response.get_json()["section"] == body["section"]
    _within(dropped, 8)
    if db.engine.dialect.name == "postgresql":  # the token, the locked read, one statement for the rest
        _within(dropped, 3)
        assert "audit_entries" in dropped[-1]
