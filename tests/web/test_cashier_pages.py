"""The cashier terminal, receipts, reversal form and end-of-day report through the test client."""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from richwell.extensions import db
from richwell.models import MonthBucket, Payment
from richwell.services.finance import ledger, permits, receipts
from richwell.services.platform import storage
from tests.confirming import confirmed_post
from tests.factories import make_enrollment, make_student, pay

HX = {"HX-Request": "true"}


def _key(html: str) -> str:
    return re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)


def _count_payments() -> int:
    return db.session.scalar(select(func.count()).select_from(Payment))


def statements_sent(context, parameters, executemany) -> int:
    """One cursor call is one statement, except a plain executemany, which reaches the
    database as one statement per parameter set (a batched multi-row INSERT is one)."""
    from sqlalchemy.engine.interfaces import ExecuteStyle

    if executemany and getattr(context, "execute_style", None) is not ExecuteStyle.INSERTMANYVALUES:
        return len(parameters)
    return 1


def _post(client, enrollment_id, key, amount="1000.00", method="CASH", reference="", headers=None):
    return client.post(f"/cashier/enrollments/{enrollment_id}/payments",
                       data={"amount": amount, "method": method, "reference_number": reference,
                             "idempotency_key": key}, headers=headers or {})


# --------------------------------------------------------------------------- terminal


def test_terminal_focuses_the_search_box_on_load(as_role):
    client, _ = as_role("cashier")
    html = client.get("/cashier/").get_data(as_text=True)
    assert re.search(r'<input id="student-search"[^>]*autofocus', html)
    assert 'hx-get="/cashier/search"' in html and "delay:200ms" in html


def test_search_as_you_type_answers_a_partial_with_balances(as_role):
    client, _ = as_role("cashier")
    student = make_student(first_name="Maria", last_name="Dela Cruz")
    make_enrollment(student=student, commitment="2500.00")
    response = client.get("/cashier/search?q=cruz", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert student.student_number in html and "Dela Cruz, Maria" in html
    assert "₱\u00a015,000.00" in html  # 6 × 2,500 still due
    assert "No student matches" in client.get("/cashier/search?q=zzzz", headers=HX).get_data(as_text=True)


def test_enter_without_javascript_opens_the_first_hit(as_role):
    client, _ = as_role("cashier")
    student = make_student(last_name="Zamora")
    response = client.get("/cashier/pick?q=zamo")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cashier/students/{student.id}")
    assert client.get("/cashier/pick?q=nobody-here").status_code == 200


def test_student_panel_shows_months_balance_credit_permits_history_and_form(as_role):
    client, _ = as_role("cashier")
    enrollment = make_enrollment(commitment="1000.00")
    pay(enrollment, "6500.00")
    html = client.get(f"/cashier/students/{enrollment.student_id}").get_data(as_text=True)
    for text in ("Month 6", "Credit balance", "₱\u00a0500.00", "Prelim", "Issued", "OR-", "Record payment",
                 'name="idempotency_key"', 'aria-live="polite"'):
        assert text in html
    partial = client.get(f"/cashier/students/{enrollment.student_id}", headers=HX).get_data(as_text=True)
    assert "<html" not in partial and "Record payment" in partial


def test_each_rendered_form_carries_a_fresh_one_time_key(as_role):
    client, _ = as_role("cashier")
    enrollment = make_enrollment()
    url = f"/cashier/students/{enrollment.student_id}"
    assert _key(client.get(url).get_data(as_text=True)) != _key(client.get(url).get_data(as_text=True))


def test_preview_shows_where_the_typed_amount_goes(as_role):
    client, _ = as_role("cashier")
    enrollment = make_enrollment(commitment="1000.00")
    html = client.get(f"/cashier/enrollments/{enrollment.id}/preview?amount=1500", headers=HX).get_data(as_text=True)
    assert "Month 1: ₱\u00a01,000.00" in html and "Month 2: ₱\u00a0500.00" in html and "Prelim" in html
    bad = client.get(f"/cashier/enrollments/{enrollment.id}/preview?amount=1e6", headers=HX).get_data(as_text=True)
    assert "like 1500" in bad
    assert _count_payments() == 0


def test_recording_through_htmx_returns_the_receipt_a_fresh_form_and_panel_updates(as_role):
    client, _ = as_role("cashier")
    enrollment = make_enrollment(commitment="1000.00")
    key = _key(client.get(f"/cashier/students/{enrollment.student_id}").get_data(as_text=True))
    response = _post(client, enrollment.id, key, amount="1,000.00", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    number = db.session.scalar(select(Payment.receipt_number))
    assert number in html and "Permit issued: Prelim" in html
    assert _key(html) != key
    assert 'id="bucket-table" class="table-wrap" hx-swap-oob="true"' in html
    assert 'hx-swap-oob="afterbegin:#history-rows"' in html


def test_a_plain_form_post_lands_on_the_receipt(as_role):
    client, _ = as_role("cashier")
    enrollment = make_enrollment()
    response = _post(client, enrollment.id, "plain-post-key-0001", amount="250")
    number = db.session.scalar(select(Payment.receipt_number))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/receipts/{number}")


def test_posting_the_same_form_twice_shows_the_first_receipt_and_records_nothing(as_role):
    client, _ = as_role("cashier")
    enrollment = make_enrollment()
    first = _post(client, enrollment.id, "same-form-key-0001", headers=HX).get_data(as_text=True)
    second = _post(client, enrollment.id, "same-form-key-0001", headers=HX).get_data(as_text=True)
    number = db.session.scalar(select(Payment.receipt_number))
    assert number in first and number in second
    assert "already submitted" in second
    assert _count_payments() == 1
    assert _post(client, enrollment.id, "same-form-key-0001").headers["Location"].endswith(number)


def test_the_same_key_with_another_amount_is_refused_with_a_fresh_form(as_role):
    client, _ = as_role("cashier")
    enrollment = make_enrollment()
    _post(client, enrollment.id, "reused-key-000001", amount="100", headers=HX)
    response = _post(client, enrollment.id, "reused-key-000001", amount="200", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "already used" in html
    assert _key(html) != "reused-key-000001" and 'value="200"' in html
    assert _count_payments() == 1


@pytest.mark.parametrize("amount,method,reference,field,message", [
    ("0", "CASH", "", "amount", "more than zero"),
    ("-100", "CASH", "", "amount", "more than zero"),
    ("one thousand", "CASH", "", "amount", "like 1500"),
    ("1.005", "CASH", "", "amount", "2 decimals"),
    ("NaN", "CASH", "", "amount", "like 1500"),
    ("1e6", "CASH", "", "amount", "like 1500"),
    ("1000000.01", "CASH", "", "amount", "at most"),
    ("100", "DOGECOIN", "", "method", "Choose a payment method"),
    ("100", "GCASH", "", "reference_number", "GCash reference number"),
])
def test_bad_input_is_refused_at_its_field_and_nothing_is_recorded(as_role, amount, method, reference, field,
                                                                     message):
    client, _ = as_role("cashier")
    enrollment = make_enrollment()
    response = _post(client, enrollment.id, "bad-input-key-0001", amount, method, reference, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert f'id="{field}-error"' in html
    assert _count_payments() == 0
    # Nothing was recorded, so the same form (and key) may be corrected and sent again.
    assert _key(html) == "bad-input-key-0001"
    plain = _post(client, enrollment.id, "bad-input-key-0001", amount, method, reference)
    assert plain.status_code == 400 and message in plain.get_data(as_text=True)


def test_a_withdrawn_enrollment_takes_no_payment(as_role):
    client, _ = as_role("cashier")
    enrollment = make_enrollment()
    enrollment.status = "WITHDRAWN"
    db.session.commit()
    response = _post(client, enrollment.id, "withdrawn-key-0001", headers=HX)
    assert response.status_code == 422 and "withdrawn" in response.get_data(as_text=True)
    assert "no payment can be recorded" in client.get(f"/cashier/students/{enrollment.student_id}").get_data(
        as_text=True)
    assert _count_payments() == 0


def test_an_unknown_enrollment_is_not_found(as_role):
    client, _ = as_role("cashier")
    assert _post(client, 999999, "unknown-key-00001").status_code == 404
    assert client.get("/cashier/students/999999").status_code == 404


@pytest.mark.parametrize("role", ["student", "registrar", "professor", "admission", "admin"])
def test_only_cashiers_use_the_terminal(as_role, role):
    client, _ = as_role(role)
    enrollment = make_enrollment()
    assert client.get("/cashier/").status_code == 403
    assert _post(client, enrollment.id, "not-a-cashier-key1").status_code == 403
    assert _count_payments() == 0


def test_csrf_protects_the_payment_form(app, as_role):
    client, _ = as_role("cashier")
    enrollment = make_enrollment()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = _post(client, enrollment.id, "csrf-check-key-001", headers=HX)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert _count_payments() == 0


def test_recording_a_payment_through_the_form_takes_at_most_ten_sql_statements(app, as_role, monkeypatch):
    """The counter's hot path: the user, the locked enrollment with its buckets, mapping and
    key; the bucket update; the permits; the receipt counter; payment, allocations, key,
    notifications and audit; after the commit, the term's first day for the months' due dates
    on the page. Transaction control (BEGIN/COMMIT) is not counted, and the
    receipt PDF is queued after commit."""
    client, _ = as_role("cashier")
    enrollment_id = make_enrollment(commitment="1000.00").id
    monkeypatch.setattr(receipts, "queue_pdf", lambda payment_id: None)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"):
            statements.extend([statement] * statements_sent(context, parameters, executemany))

    def measured_post(key: str, amount: str) -> tuple[int, str]:
        db.session.remove()  # a fresh session per request, as in production
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = _post(client, enrollment_id, key, amount=amount, headers=HX)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert response.status_code == 200
        return len(statements), response.get_data(as_text=True)

    # Two months at once, each unlocking a permit (3 notifications); then part of a month.
    with_permits, html = measured_post("statement-count-key1", "2000.00")
    first = list(statements)
    assert "Prelim, Midterm" in html
    plain, _ = measured_post("statement-count-key2", "10.00")
    assert with_permits <= 11, "\n".join(first)
    assert plain <= 10


# --------------------------------------------------------------------------- receipts


def test_receipt_page_prints_on_a_half_sheet_and_links_the_pdf(as_role):
    client, _ = as_role("cashier")
    result = pay(make_enrollment(commitment="1000.00"), "1234.50", method="GCASH", reference="GC-55")
    html = client.get(f"/receipts/{result.receipt_number}").get_data(as_text=True)
    assert result.receipt_number in html and "₱\u00a01,234.50" in html and "GCash" in html and "GC-55" in html
    assert "One thousand two hundred thirty-four pesos and 50/100" in html
    assert "css/print/receipt.css" in html  # the half sheet (8.5 × 5.5 in): tests/web/test_papers.py
    assert "size: 8.5in 5.5in" in (Path(__file__).resolve().parents[2] / "static/css/print/receipt.css").read_text()
    assert f"/receipts/{result.receipt_number}/pdf" in html


def test_receipt_pdf_downloads_and_is_regenerated_when_missing(app, as_role):
    client, _ = as_role("cashier")
    result = pay(make_enrollment(), "100.00")
    payment = db.session.get(Payment, result.payment_id)
    receipts.pdf_for(payment)
    key = receipts.pdf_key(payment.receipt_pdf_path)
    storage.delete(key)  # the queue's file lost (a killed consumer, an emptied store)
    response = client.get(f"/receipts/{result.receipt_number}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    response.close()
    assert storage.exists(key)


def test_the_owning_student_opens_their_receipt_and_nobody_else(client, login, as_role):
    enrollment = make_enrollment()
    result = pay(enrollment, "100.00")
    url = f"/receipts/{result.receipt_number}"
    assert login(enrollment.student.user).get(url).status_code == 200
    assert login(enrollment.student.user).get(url + "/pdf").status_code == 200
    other = make_student()
    assert login(other.user).get(url).status_code == 404
    assert login(other.user).get(url + "/pdf").status_code == 404
    for role, status in (("cashier", 200), ("admin", 200), ("registrar", 404), ("professor", 404)):
        c, _ = as_role(role)
        assert c.get(url).status_code == status, role
    assert client.get("/receipts/OR-1999-000001").status_code in (302, 404)


def test_anonymous_visitors_are_sent_to_sign_in_for_a_receipt(app):
    result = pay(make_enrollment(), "100.00")
    response = app.test_client().get(f"/receipts/{result.receipt_number}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_reversal_form_requires_a_reason_and_marks_the_receipt_void(as_role):
    client, cashier = as_role("cashier")
    enrollment = make_enrollment(commitment="1000.00")
    result = pay(enrollment, "1000.00", cashier=cashier)
    url = f"/receipts/{result.receipt_number}/reverse"
    assert "Reason for the reversal" in client.get(url).get_data(as_text=True)
    empty = confirmed_post(client, url, {"reason": "  "})
    assert empty.status_code == 400 and "at least 15 characters" in empty.get_data(as_text=True)
    assert _count_payments() == 1
    done = confirmed_post(client, url, {"reason": "Student paid the wrong term"})
    assert done.status_code == 302
    page = client.get(f"/receipts/{result.receipt_number}").get_data(as_text=True)
    assert "VOID" in page and "Student paid the wrong term" in page
    twice = confirmed_post(client, url, {"reason": "Again, by mistake this time"}, follow_redirects=True)
    assert "already reversed" in twice.get_data(as_text=True)
    assert _count_payments() == 2
    assert db.session.scalar(select(func.sum(MonthBucket.paid))) == Decimal("0.00")


def test_only_cashiers_and_admins_see_the_reversal_form(login, as_role):
    enrollment = make_enrollment()
    result = pay(enrollment, "100.00")
    url = f"/receipts/{result.receipt_number}/reverse"
    assert login(enrollment.student.user).get(url).status_code == 404
    assert login(enrollment.student.user).post(url, data={"reason": "I want my money"}).status_code == 404
    registrar, _ = as_role("registrar")
    assert registrar.get(url).status_code == 404
    admin, _ = as_role("admin")
    assert confirmed_post(admin, url, {"reason": "Duplicate entry of the same slip"}).status_code == 302
    assert _count_payments() == 2


# --------------------------------------------------------------------------- end of day, verify


def test_end_of_day_lists_payments_and_reversals_with_totals_and_csv(as_role):
    client, cashier = as_role("cashier", first_name="Carla", last_name="Diaz")
    enrollment = make_enrollment()
    pay(enrollment, "100.00", cashier=cashier)
    pay(enrollment, "50.00", cashier=cashier, method="MAYA", reference="MY-1")
    third = pay(enrollment, "25.00", cashier=cashier)
    ledger.reverse_payment(third.payment_id, "=HYPERLINK(evil) long reason", cashier)
    html = client.get("/cashier/end-of-day").get_data(as_text=True)
    assert "Carla Diaz" in html and "Maya" in html and "₱\u00a0150.00" in html and "\u2212₱\u00a025.00" in html
    csv = client.get("/cashier/end-of-day?format=csv")
    text = csv.get_data(as_text=True)
    assert csv.mimetype == "text/csv" and "attachment" in csv.headers["Content-Disposition"]
    assert text.count("\n") >= 5 and "REVERSAL" in text and "'=HYPERLINK(evil)" in text
    assert text.strip().splitlines()[-1].startswith("total,,,,,,150.00")
    assert client.get("/cashier/end-of-day?day=not-a-date").status_code == 400


@pytest.mark.parametrize("path", ["/cashier/verify-permit", "/professor/verify-permit"])
def test_cashier_and_professor_verify_a_permit_code(as_role, path):
    client, _ = as_role(path.split("/")[1])
    enrollment = make_enrollment(commitment="1000.00")
    pay(enrollment, "1000.00")
    permit = permits.exam_states(enrollment)[0].permit
    html = client.get(f"{path}?code={permit.display_code.lower()}").get_data(as_text=True)
    assert "Valid" in html and "Prelim" in html and enrollment.student.student_number in html
    assert "Not valid" in client.get(f"{path}?code=AAAA-BBBB-CCCC-DDDD").get_data(as_text=True)


def test_other_roles_cannot_use_the_professor_or_cashier_verify_pages(as_role):
    client, _ = as_role("student")
    assert client.get("/professor/verify-permit").status_code == 403
    assert client.get("/cashier/verify-permit").status_code == 403


def test_nav_links_reach_the_new_pages(as_role):
    for role, label in (("cashier", "End of day"), ("student", "Payments"), ("professor", "Verify permit"),
                        ("admin", "Exam months")):
        client, _ = as_role(role)
        home = client.get("/", follow_redirects=True).get_data(as_text=True)
        assert label in home, role


def test_admin_finds_a_receipt_by_number(as_role):
    client, _ = as_role("admin")
    result = pay(make_enrollment(), "100.00")
    response = client.get(f"/admin/receipts?number={result.receipt_number.lower()}")
    assert response.status_code == 302 and response.headers["Location"].endswith(result.receipt_number)
    assert client.get("/admin/receipts?number=OR-2000-000001").status_code == 404


def test_a_student_is_not_a_cashier(as_role):
    client, _ = as_role("student")
    assert client.get("/cashier/end-of-day").status_code == 403


def test_search_endpoint_needs_sign_in(app):
    response = app.test_client().get("/cashier/search?q=x", headers=HX)
    assert response.headers.get("HX-Redirect", "").startswith("/login")


def test_each_month_shows_its_due_date_and_overdue_months_are_marked_for_cashier_and_student(as_role, login,
                                                                                              monkeypatch):
    from datetime import timedelta

    from richwell.services.finance import month_due_date
    from richwell.services.platform import clock

    enrollment = make_enrollment(commitment="1000.00")
    start = enrollment.term.start_date
    month2 = month_due_date(start, 2, 15)
    pay(enrollment, "1500.00")  # month 1 paid, month 2 half
    monkeypatch.setattr(clock, "today", lambda: month2 + timedelta(days=3))
    cashier, _ = as_role("cashier")
    html = cashier.get(f"/cashier/students/{enrollment.student_id}").get_data(as_text=True)
    row = re.search(r'<tr id="bucket-2" class="([^"]*)">(.*?)</tr>', html, re.S)
    assert "overdue" in row.group(1) and month2.strftime("%b %d, %Y") in row.group(2)
    assert "Overdue · 3 days" in row.group(2)
    first = re.search(r'<tr id="bucket-1" class="([^"]*)">(.*?)</tr>', html, re.S)
    assert "overdue" not in first.group(1) and start.strftime("%b %d, %Y") in first.group(2)
    student_html = login(enrollment.student.user).get("/student/payments").get_data(as_text=True)
    assert "Overdue · 3 days" in student_html and month2.strftime("%b %d, %Y") in student_html


def test_the_panel_reads_the_due_day_the_admin_set(as_role):
    from richwell.services.finance import month_due_date
    from richwell.services.platform import settings

    settings.set_value(None, "installment_due_day", 20)
    enrollment = make_enrollment(commitment="1000.00")
    cashier, _ = as_role("cashier")
    html = cashier.get(f"/cashier/students/{enrollment.student_id}").get_data(as_text=True)
    row = re.search(r'<tr id="bucket-2" class="[^"]*">(.*?)</tr>', html, re.S)
    assert month_due_date(enrollment.term.start_date, 2, 20).strftime("%b %d, %Y") in row.group(1)
