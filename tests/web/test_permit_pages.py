"""The student's payments page and printable permit, the admin's exam months, public verification."""
from __future__ import annotations

from sqlalchemy import select

from richwell.extensions import db
from richwell.models import ExamMonthMapping, ExamPermit
from richwell.services.finance import ledger
from tests.factories import make_cashier, make_enrollment, make_student, make_term, pay


def test_student_payments_page_shows_months_totals_history_and_permits(login):
    enrollment = make_enrollment(commitment="1000.00")
    cashier = make_cashier()
    pay(enrollment, "1500.00", cashier=cashier)
    wrong = pay(enrollment, "200.00", cashier=cashier)
    ledger.reverse_payment(wrong.payment_id, "Keyed in twice at the counter", cashier)
    client = login(enrollment.student.user)
    html = client.get("/student/payments").get_data(as_text=True)
    for text in ("Month 1", "Fully paid", "₱\u00a0500.00 to go", "Balance", "₱\u00a04,500.00", wrong.receipt_number,
                 "Reversed", "Keyed in twice at the counter", 'role="progressbar"', "Print permit", "Locked"):
        assert text in html, text


def test_a_student_without_enrollment_sees_an_explanation(login):
    student = make_student()
    assert "no term enrollment" in login(student.user).get("/student/payments").get_data(as_text=True)


def test_student_prints_an_issued_permit_with_a_qr_code_to_the_verification_page(login):
    enrollment = make_enrollment(commitment="1000.00")
    pay(enrollment, "1000.00")
    permit = db.session.scalar(select(ExamPermit))
    html = login(enrollment.student.user).get(f"/student/permits/{permit.id}").get_data(as_text=True)
    assert "<svg" in html and f"/verify/{permit.code}" in html
    for text in (enrollment.student.user.full_name, enrollment.student.student_number, enrollment.term.name,
                 "Prelim", permit.display_code, enrollment.student.program.code):
        assert text in html


def test_nobody_else_prints_a_students_permit(login, as_role):
    enrollment = make_enrollment(commitment="1000.00")
    pay(enrollment, "1000.00")
    permit = db.session.scalar(select(ExamPermit))
    assert login(make_student().user).get(f"/student/permits/{permit.id}").status_code == 404
    cashier, _ = as_role("cashier")
    assert cashier.get(f"/student/permits/{permit.id}").status_code == 403


def test_a_revoked_permit_cannot_be_printed(login):
    enrollment = make_enrollment(commitment="1000.00")
    cashier = make_cashier()
    result = pay(enrollment, "1000.00", cashier=cashier)
    ledger.reverse_payment(result.payment_id, "Bounced check from the bank", cashier)
    permit = db.session.scalar(select(ExamPermit))
    assert login(enrollment.student.user).get(f"/student/permits/{permit.id}").status_code == 404


def test_public_verification_tells_only_what_it_may(app):
    enrollment = make_enrollment(commitment="1000.00")
    pay(enrollment, "1000.00")
    permit = db.session.scalar(select(ExamPermit))
    client = app.test_client()
    html = client.get(f"/verify/{permit.code}").get_data(as_text=True)
    assert "Valid" in html and "Prelim" in html and enrollment.student.student_number in html
    assert enrollment.student.user.full_name in html and enrollment.term.name in html
    assert enrollment.student.user.email not in html and "₱" not in html and "Month" not in html
    missing = client.get("/verify/AAAABBBBCCCCDDDD")
    assert missing.status_code == 404 and "Not valid" in missing.get_data(as_text=True)


def test_the_public_form_sends_a_typed_code_to_its_page(app):
    client = app.test_client()
    assert 'name="code"' in client.get("/verify").get_data(as_text=True)
    response = client.get("/verify?code=abcd-efgh-jkmn-pqrs")
    assert response.status_code == 302 and response.headers["Location"].endswith("/verify/ABCDEFGHJKMNPQRS")
    assert client.get("/verify/" + "x" * 300).status_code == 404


def test_admin_sets_a_terms_exam_months(as_role):
    client, _ = as_role("admin")
    term = make_term()
    page = client.get(f"/admin/exam-months?term={term.id}").get_data(as_text=True)
    assert "Prelim" in page and "Month 4" in page
    response = client.post("/admin/exam-months", data={"term": term.id, "prelim": "1", "midterm": "3",
                                                        "prefinal": "4", "final": "6"})
    assert response.status_code == 302
    assert db.session.get(ExamMonthMapping, term.id).as_dict() == {"PRELIM": 1, "MIDTERM": 3, "PREFINAL": 4,
                                                                   "FINAL": 6}
    bad = client.post("/admin/exam-months", data={"term": term.id, "prelim": "5", "midterm": "3",
                                                  "prefinal": "4", "final": "6"})
    assert bad.status_code == 400 and "earlier month" in bad.get_data(as_text=True)
    assert client.get("/admin/exam-months?term=99999").status_code == 404


def test_only_admins_set_exam_months(as_role):
    client, _ = as_role("cashier")
    assert client.get("/admin/exam-months").status_code == 403
