"""Public API: the online application (new_student) and the verification of printed codes."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import Role, Student, TermEnrollment, User
from richwell.models.finance import ExamPermit
from richwell.services.grades import transcripts
from tests.factories import (
    application_values,
    make_enrollment,
    make_program,
    make_student,
    make_user,
    open_admissions,
    pay,
)

URL = "/api/v1/public/enrollment/new_student/"


def _students() -> int:
    return db.session.scalar(select(func.count(Student.id)))


def test_new_student_is_201_with_number_and_enrollment_and_can_sign_in(client):
    program = open_admissions()
    values = application_values(program, email="Maria.Santos@Example.com")
    response = client.post(URL, json=values)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    student = db.session.scalar(select(Student).where(Student.student_number == body["student_number"]))
    enrollment = db.session.get(TermEnrollment, body["enrollment_id"])
    assert enrollment.student_id == student.id and len(enrollment.buckets) == 6
    assert student.user.email == "maria.santos@example.com"
    token = client.post("/api-token-auth/", json={"username": body["student_number"], "password": values["password"]})
    assert token.status_code == 200 and token.get_json()["token"]


def test_new_student_is_403_enrollment_closed_when_the_link_is_off(client):
    program = open_admissions(link=False)
    response = client.post(URL, json=application_values(program))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "enrollment_closed"
    assert _students() == 0


def test_a_duplicate_email_in_any_case_is_409(client):
    program = open_admissions()
    make_user(Role.STUDENT, email="taken@example.com")
    response = client.post(URL, json=application_values(program, email="TAKEN@Example.COM"))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "conflict"
    assert "email" in response.get_json()["error"]["fields"]
    assert _students() == 0


@pytest.mark.parametrize("overrides, field", [
    ({"first_name": None}, "first_name"),
    ({"email": "not an email"}, "email"),
    ({"birthdate": "2020-01-01"}, "birthdate"),  # too young
    ({"birthdate": "10/05/2006"}, "birthdate"),
    ({"sex": "X"}, "sex"),
    ({"mobile": "12345"}, "mobile"),
    ({"program_id": 999999}, "program_id"),
    ({"program_id": "1"}, "program_id"),
    ({"admission_type": "TRANSFEREE"}, "previous_school"),
    ({"password": "short"}, "password"),
    ({"monthly_commitment": 2500}, "monthly_commitment"),
    ({"monthly_commitment": "99999999999.00"}, "monthly_commitment"),
    ({"address": "x" * 501}, "address"),
    ({"documents": []}, "documents"),
])
def test_bad_applications_are_400_at_the_field_and_create_nothing(client, overrides, field):
    program = open_admissions()
    values = application_values(program, **overrides)
    values = {k: v for k, v in values.items() if v is not None or k in ("middle_name", "previous_school",
                                                                       "previous_course")}
    response = client.post(URL, json=values)
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["error"]["fields"], response.get_json()
    assert _students() == 0 and db.session.scalar(select(func.count(User.id))) == 0


def test_new_student_malformed_json_is_400(client):
    open_admissions()
    response = client.post(URL, data="{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid"


# ---------------------------------------------------------------- verify

def test_verify_a_permit_code_tells_only_the_printed_facts(client):
    enrollment = make_enrollment(make_student(first_name="Maria", last_name="Santos"))
    pay(enrollment, "5000.00")
    permit = db.session.scalars(select(ExamPermit)).one()
    response = client.get(f"/api/v1/public/verify/{permit.display_code.lower()}/")
    assert response.status_code == 200
    body = response.get_json()
    assert body == {"valid": True, "kind": "PERMIT", "status": "Valid", "code": permit.display_code,
                    "student_name": body["student_name"], "student_number": enrollment.student.student_number,
                    "exam": "Prelim", "term": enrollment.term.name, "document": "Exam permit"}
    assert "Santos" in body["student_name"]


def test_verify_a_transcript_code_says_document_without_grades(client):
    student = make_student(program=make_program("BSIT", "BS Information Technology"))
    make_enrollment(student)
    issued = transcripts.issue_transcript(make_user(Role.REGISTRAR), student.id)
    body = client.get(f"/api/v1/public/verify/{issued.code}/").get_json()
    assert body["valid"] is True and body["kind"] == "DOCUMENT" and body["code"] == issued.code
    assert body["student_number"] == student.student_number and body["program"].startswith("BSIT")
    assert body["document"].startswith("Transcript of records") and body["issued_at"].endswith("+00:00")
    assert "cumulative_gpa" not in body and "units_earned" not in body


@pytest.mark.parametrize("code", ["AAAA-BBBB-CCCC-DDDD", "nope", "x" * 64, "%00"])
def test_unknown_codes_are_404(client, code):
    response = client.get(f"/api/v1/public/verify/{code}/")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
