"""Student home: profile, current term enrollment and plan (even before any payment), the
review note, notifications, credits, and opening the term as a continuing student."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import Role, TermEnrollment
from richwell.services import admissions
from richwell.services.admissions import credits
from tests.factories import (
    EXE_BYTES,
    PDF_BYTES,
    application_values,
    documents,
    make_enrollment,
    make_program,
    make_student,
    make_subject,
    make_term,
    make_user,
    open_admissions,
)

pytestmark = pytest.mark.usefixtures("empty_uploads")


def test_new_student_sees_profile_plan_before_any_payment_and_the_welcome(client, login):
    program = open_admissions()
    admitted = admissions.submit_application(documents=documents(),
                                             **application_values(program, monthly_commitment="2200.00"))
    login(admitted.student.user)
    html = client.get("/student/").get_data(as_text=True)
    assert "Welcome, Maria" in html and admitted.student_number in html
    assert "Installment plan" in html and html.count("₱\u00a02,200.00") >= 6 and "Month 6" in html
    assert "Balance <strong>₱\u00a013,200.00</strong>" in html
    assert "Pay month 1 at the cashier" in html
    assert f"Your student number is {admitted.student_number}" in html  # the welcome notification
    for doc in admissions.documents_of(admitted.student.id):
        assert f"/application-documents/{doc.id}" in html


def test_account_without_a_student_record_gets_a_helpful_page(as_role):
    client, _ = as_role(Role.STUDENT.value)
    response = client.get("/student/")
    assert response.status_code == 200 and "not set up yet" in response.get_data(as_text=True)


def test_continuing_student_opens_this_terms_enrollment_from_home(client, login):
    old = make_term(academic_year="2025-2026")
    student = make_student()
    make_enrollment(student, old, commitment="3100.00")
    make_term(academic_year="2026-2027")
    login(student.user)
    html = client.get("/student/").get_data(as_text=True)
    assert "Open this term's enrollment" in html and 'value="3100.00"' in html
    refused = client.post("/student/enrollment/open", data={"monthly_commitment": "99.999"},
                          headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "2 decimals" in refused.get_data(as_text=True)
    opened = client.post("/student/enrollment/open", data={"monthly_commitment": "3100.00"},
                         headers={"HX-Request": "true"})
    assert opened.status_code == 200
    partial = opened.get_data(as_text=True)
    assert "<html" not in partial and "is open" in partial and "Month 6" in partial
    assert db.session.scalar(select(func.count(TermEnrollment.id))) == 2


def test_student_on_loa_cannot_open_the_term(client, login):
    make_term()
    student = make_student(status="LOA")
    login(student.user)
    html = client.get("/student/").get_data(as_text=True)
    assert "Open this term" not in html and "Leave of absence" in html
    response = client.post("/student/enrollment/open", data={"monthly_commitment": "3000"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(TermEnrollment.id))) == 0


def test_student_sees_credited_subjects(client, login):
    program = make_program()
    subject = make_subject(program, "IT101")
    student = make_student(program=program, admission_type="TRANSFEREE")
    credits.add_credit(make_user(Role.REGISTRAR), student.id, subject_id=subject.id, source_school="FEU",
                       original_code="CS1", original_title="Programming One", original_grade="1.25", units=3)
    login(student.user)
    html = client.get("/student/").get_data(as_text=True)
    assert "Credited subjects" in html and "Programming One" in html and "FEU" in html


def test_student_uploads_a_clearer_document(client, login):
    program = open_admissions()
    admitted = admissions.submit_application(**application_values(program))
    login(admitted.student.user)
    bad = client.post("/student/documents", data={"id_document": (io.BytesIO(EXE_BYTES), "id.pdf")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400 and "must be a PDF, JPEG or PNG" in bad.get_data(as_text=True)
    ok = client.post("/student/documents", data={"id_document": (io.BytesIO(PDF_BYTES), "id.pdf")},
                     content_type="multipart/form-data")
    assert ok.status_code == 302
    assert [d.kind for d in admissions.documents_of(admitted.student.id)] == ["ID"]


def test_must_change_password_student_goes_to_password_page_first(client, login):
    student = make_student(must_change_password=True)
    login(student.user)
    response = client.get("/student/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/password")
