"""Student API: only the caller's own records; other students' rows do not exist for them."""
from __future__ import annotations

from decimal import Decimal

import pytest

from richwell.extensions import db
from richwell.models import Offering, Role, Section, Subject, SubjectEnrollment
from tests.factories import (
    make_api_token,
    make_enrollment,
    make_program,
    make_student,
    make_term,
    make_user,
    token_headers,
)


@pytest.fixture
def student():
    return make_student(program=make_program("BSIT", "BS Information Technology"), number="2026-00042",
                        first_name="Maria", last_name="Santos", email="maria@example.edu.ph")


def _get(client, url, user):
    return client.get(url, headers=token_headers(make_api_token(user)))


def test_profile_is_my_own(client, student):
    student.cumulative_gpa = Decimal("1.75")
    db.session.commit()
    body = _get(client, "/api/v1/student/profile/me/", student.user).get_json()
    assert body == {"student_number": "2026-00042", "first_name": "Maria", "last_name": "Santos",
                    "email": "maria@example.edu.ph",
                    "program": {"id": student.program_id, "code": "BSIT", "name": "BS Information Technology"},
                    "status": "ACTIVE", "year_level": 1, "admission_type": "FRESHMAN", "cumulative_gpa": "1.75"}


def test_profile_gpa_is_null_before_any_grade(client, student):
    assert _get(client, "/api/v1/student/profile/me/", student.user).get_json()["cumulative_gpa"] is None


def test_student_account_without_a_record_gets_404(client):
    response = _get(client, "/api/v1/student/profile/me/", make_user(Role.STUDENT))
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_enrollments_are_mine_newest_term_first_money_as_strings(client, student):
    older = make_term(current=False, academic_year="2025-2026", semester="SECOND")
    current = make_term(academic_year="2026-2027")
    from datetime import timedelta

    older.start_date -= timedelta(days=200)
    db.session.commit()
    first = make_enrollment(student, older, commitment="4500.50")
    second = make_enrollment(student, current, commitment="5000")
    first.buckets[0].paid = Decimal("4500.50")
    db.session.commit()
    make_enrollment(make_student(), current)  # someone else's
    body = _get(client, "/api/v1/student/enrollment/", student.user).get_json()
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    assert [e["id"] for e in body["results"]] == [second.id, first.id]
    assert body["results"][0] == {
        "id": second.id, "status": "ACTIVE", "monthly_commitment": "5000.00", "first_month_paid": False,
        "enrolled_units": 0, "term": {"id": current.id, "name": "1st semester 2026-2027",
                                      "academic_year": "2026-2027", "semester": "FIRST", "is_current": True}}
    assert body["results"][1]["monthly_commitment"] == "4500.50" and body["results"][1]["first_month_paid"] is True


def _enrolled(enrollment, code, *, section_code=None, status="ENROLLED", grade=None):
    subject = Subject(program_id=enrollment.student.program_id, code=code, title=f"{code} title", units=3,
                      year_level=1, semester="FIRST")
    db.session.add(subject)
    db.session.flush()
    offering = None
    if section_code:
        section = Section(term_id=enrollment.term_id, program_id=enrollment.student.program_id, year_level=1,
                          code=section_code)
        db.session.add(section)
        db.session.flush()
        offering = Offering(section_id=section.id, subject_id=subject.id)
        db.session.add(offering)
        db.session.flush()
    row = SubjectEnrollment(term_enrollment_id=enrollment.id, subject_id=subject.id,
                            offering_id=offering.id if offering else None, status=status, grade=grade)
    db.session.add(row)
    db.session.commit()
    return row


def test_subjects_of_my_enrollment(client, student):
    enrollment = make_enrollment(student)
    it102 = _enrolled(enrollment, "IT102", section_code="BSIT-1A")
    it101 = _enrolled(enrollment, "IT101", status="DROPPED")
    response = _get(client, f"/api/v1/student/enrollment/{enrollment.id}/subjects/", student.user)
    assert response.status_code == 200
    body = response.get_json()
    assert [row["id"] for row in body] == [it101.id, it102.id]
    assert body[0]["section"] is None and body[0]["status"] == "DROPPED"
    assert body[1] == {"id": it102.id, "subject": {"id": it102.subject_id, "code": "IT102", "title": "IT102 title",
                                                   "units": 3},
                       "section": {"id": it102.offering.section_id, "code": "BSIT-1A"}, "status": "ENROLLED",
                       "grade": None, "is_retake": False, "is_irregular": False}


def test_another_students_enrollment_is_404(client, student):
    theirs = make_enrollment(make_student())
    make_enrollment(student)
    response = _get(client, f"/api/v1/student/enrollment/{theirs.id}/subjects/", student.user)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    assert _get(client, "/api/v1/student/enrollment/987654/subjects/", student.user).status_code == 404


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.STUDENT], ids=lambda r: r.value)
def test_other_roles_get_403_on_student_routes(client, role):
    response = _get(client, "/api/v1/student/profile/me/", make_user(role))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"


def test_anonymous_gets_401_on_student_routes(client):
    for url in ("/api/v1/student/profile/me/", "/api/v1/student/enrollment/", "/api/v1/student/enrollment/1/subjects/"):
        response = client.get(url)
        assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthenticated"
