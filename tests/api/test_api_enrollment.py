"""Student API, the term's work: advising, enrolling, dropping, payment status, exam permits and
the transcript. Only the caller's own enrollment; another student's is 404."""
from __future__ import annotations

from datetime import timedelta

import pytest

from richwell.extensions import db
from richwell.models import Role
from richwell.services.platform.clock import today
from tests.factories import (
    make_api_token,
    make_enrollment,
    make_program,
    make_student,
    make_term,
    make_user,
    new_offering,
    new_section,
    new_subject,
    pay,
    pay_first_month,
    token_headers,
)


@pytest.fixture
def world():
    program = make_program("BSIT", "BS Information Technology")
    term = make_term()
    student = make_student(program=program)
    enrollment = make_enrollment(student, term, commitment="5000.00")
    section = new_section(term, program, "BSIT-1A")
    it101 = new_subject(program, "IT101", title="Programming 1")
    it102 = new_subject(program, "IT102", title="Computing basics")
    clash = new_subject(program, "IT103", title="Discrete math")
    full = new_subject(program, "GE101", title="Purposive communication")
    offerings = {
        "IT101": new_offering(it101, section, slots=[(0, "08:00", "09:30")]),
        "IT102": new_offering(it102, section, slots=[(1, "08:00", "09:30")]),
        "IT103": new_offering(clash, section, slots=[(0, "09:00", "10:30")]),
        "GE101": new_offering(full, section, capacity=1, enrolled_count=1, slots=[(2, "08:00", "09:30")]),
    }
    return {"program": program, "term": term, "student": student, "enrollment": enrollment, "section": section,
            "subjects": {"IT101": it101, "IT102": it102, "IT103": clash, "GE101": full}, "offerings": offerings,
            "headers": token_headers(make_api_token(student.user))}


def url(enrollment_id, action):
    return f"/api/v1/student/enrollment/{enrollment_id}/{action}/"


def enroll(client, w, code):
    return client.post(url(w["enrollment"].id, "enroll_subject"), headers=w["headers"],
                       json={"subject_id": w["subjects"][code].id, "section_id": w["section"].id})


def code_of(response):
    return response.get_json()["error"]["code"]


# ---------------------------------------------------------------- available subjects

def test_available_subjects_say_what_blocks_them_before_the_first_month_is_paid(client, world):
    response = client.get(url(world["enrollment"].id, "available_subjects"), headers=world["headers"])
    assert response.status_code == 200
    body = {row["subject"]["code"]: row for row in response.get_json()}
    assert set(body) == {"GE101", "IT101", "IT102", "IT103"}
    it101 = body["IT101"]
    assert it101["subject"] == {"id": world["subjects"]["IT101"].id, "code": "IT101", "title": "Programming 1",
                                "units": 3, "year_level": 1, "semester": "FIRST"}
    assert it101["is_recommended"] is True and it101["is_retake"] is False and it101["can_enroll"] is False
    assert it101["reasons"] and "month" in it101["reasons"][0].lower()
    assert it101["sections"] == [{"id": world["section"].id, "code": "BSIT-1A", "capacity": 40, "enrolled": 0,
                                  "professor": "TBA",
                                  "schedule": [{"day": 0, "start": "08:00", "end": "09:30", "room": "Rm 101"}]}]


def test_available_subjects_after_paying_show_full_and_clashing_sections(client, world):
    pay_first_month(world["enrollment"])
    assert enroll(client, world, "IT101").status_code == 201
    rows = client.get(url(world["enrollment"].id, "available_subjects"), headers=world["headers"]).get_json()
    body = {row["subject"]["code"]: row for row in rows}
    assert body["IT102"]["can_enroll"] is True and body["IT102"]["reasons"] == []
    assert body["GE101"]["can_enroll"] is False and any("full" in r.lower() for r in body["GE101"]["reasons"])
    assert body["IT103"]["can_enroll"] is False and any("IT101" in r for r in body["IT103"]["reasons"])


# ---------------------------------------------------------------- enrolling

def test_enroll_subject_answers_201_with_the_subject_enrollment(client, world):
    pay_first_month(world["enrollment"])
    response = enroll(client, world, "IT101")
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"id": body["id"], "subject": {"id": world["subjects"]["IT101"].id, "code": "IT101",
                                                  "title": "Programming 1", "units": 3},
                    "section": {"id": world["section"].id, "code": "BSIT-1A"}, "status": "ENROLLED",
                    "grade": None, "is_retake": False, "is_irregular": False}
    listed = client.get(url(world["enrollment"].id, "subjects"), headers=world["headers"]).get_json()
    assert [row["id"] for row in listed] == [body["id"]]
    db.session.refresh(world["enrollment"])
    assert world["enrollment"].enrolled_units == 3


@pytest.mark.parametrize("case, expected", [
    ("unpaid", "first_month_unpaid"),
    ("twice", "already_enrolled"),
    ("clash", "schedule_conflict"),
    ("full", "section_full"),
    ("closed", "enrollment_closed"),
])
def test_enroll_subject_refusals_are_422_with_the_rules_code(client, world, case, expected):
    code = "IT101"
    if case != "unpaid":
        pay_first_month(world["enrollment"])
    if case in ("twice", "clash"):
        assert enroll(client, world, "IT101").status_code == 201
        code = "IT103" if case == "clash" else "IT101"
    if case == "full":
        code = "GE101"
    if case == "closed":
        world["term"].enrollment_close = today() - timedelta(days=1)
        db.session.commit()
    response = enroll(client, world, code)
    assert response.status_code == 422 and code_of(response) == expected
    assert response.get_json()["error"]["message"]


def test_enroll_subject_unit_cap_is_422(client, world):
    pay_first_month(world["enrollment"])
    world["enrollment"].enrolled_units = 30
    db.session.commit()
    response = enroll(client, world, "IT102")
    assert response.status_code == 422 and code_of(response) == "unit_cap"


@pytest.mark.parametrize("body, field", [
    ({}, "subject_id"),
    ({"subject_id": 1}, "section_id"),
    ({"subject_id": "1", "section_id": 1}, "subject_id"),
    ({"subject_id": 1.5, "section_id": 1}, "subject_id"),
    ({"subject_id": 10**30, "section_id": 1}, "subject_id"),
    ({"subject_id": -1, "section_id": 1}, "subject_id"),
    ({"subject_id": 1, "section_id": 1, "extra": True}, "extra"),
])
def test_enroll_subject_bad_bodies_are_400_at_the_field(client, world, body, field):
    response = client.post(url(world["enrollment"].id, "enroll_subject"), headers=world["headers"], json=body)
    assert response.status_code == 400 and code_of(response) == "invalid"
    assert field in response.get_json()["error"]["fields"]


def test_enroll_subject_malformed_json_is_400(client, world):
    response = client.post(url(world["enrollment"].id, "enroll_subject"), data="{nope",
                           headers={**world["headers"], "Content-Type": "application/json"})
    assert response.status_code == 400 and code_of(response) == "invalid"


def test_enroll_subject_unknown_subject_or_section_is_404(client, world):
    pay_first_month(world["enrollment"])
    for body in ({"subject_id": 999999, "section_id": world["section"].id},
                 {"subject_id": world["subjects"]["IT101"].id, "section_id": 999999}):
        response = client.post(url(world["enrollment"].id, "enroll_subject"), headers=world["headers"], json=body)
        assert response.status_code == 404 and code_of(response) == "not_found"


def test_enrolling_into_another_students_enrollment_is_404_and_changes_nothing(client, world):
    theirs = make_enrollment(make_student(program=world["program"]), world["term"])
    pay_first_month(theirs)
    response = client.post(url(theirs.id, "enroll_subject"), headers=world["headers"],
                           json={"subject_id": world["subjects"]["IT101"].id, "section_id": world["section"].id})
    assert response.status_code == 404 and code_of(response) == "not_found"
    db.session.refresh(theirs)
    assert theirs.enrolled_units == 0


# ---------------------------------------------------------------- dropping

def _enrolled_id(client, world, code="IT101"):
    pay_first_month(world["enrollment"])
    return enroll(client, world, code).get_json()["id"]


def test_drop_subject_answers_200_with_status_dropped_and_frees_the_seat(client, world):
    row_id = _enrolled_id(client, world)
    response = client.post(url(world["enrollment"].id, "drop_subject"), headers=world["headers"],
                           json={"subject_enrollment_id": row_id})
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == row_id and body["status"] == "DROPPED" and body["subject"]["code"] == "IT101"
    db.session.refresh(world["offerings"]["IT101"])
    assert world["offerings"]["IT101"].enrolled_count == 0
    again = client.post(url(world["enrollment"].id, "drop_subject"), headers=world["headers"],
                        json={"subject_enrollment_id": row_id})
    assert again.status_code == 422 and code_of(again) == "not_enrolled"


def test_drop_after_the_deadline_is_422_drop_deadline_passed(client, world):
    row_id = _enrolled_id(client, world)
    world["term"].drop_deadline = today() - timedelta(days=1)
    db.session.commit()
    response = client.post(url(world["enrollment"].id, "drop_subject"), headers=world["headers"],
                           json={"subject_enrollment_id": row_id})
    assert response.status_code == 422 and code_of(response) == "drop_deadline_passed"


def test_dropping_another_students_subject_is_404(client, world):
    theirs = make_enrollment(make_student(program=world["program"]), world["term"])
    pay_first_month(theirs)
    other = {**world, "enrollment": theirs, "headers": token_headers(make_api_token(theirs.student.user))}
    their_row = enroll(client, other, "IT102").get_json()["id"]
    mine = _enrolled_id(client, world)
    # Their row through my enrollment, and my row through theirs: neither exists for me.
    for enrollment_id, row_id in ((world["enrollment"].id, their_row), (theirs.id, mine)):
        response = client.post(url(enrollment_id, "drop_subject"), headers=world["headers"],
                               json={"subject_enrollment_id": row_id})
        assert response.status_code == 404 and code_of(response) == "not_found"


@pytest.mark.parametrize("body", [{}, {"subject_enrollment_id": "x"}, {"subject_enrollment_id": 10**20}])
def test_drop_subject_bad_bodies_are_400(client, world, body):
    response = client.post(url(world["enrollment"].id, "drop_subject"), headers=world["headers"], json=body)
    assert response.status_code == 400 and "subject_enrollment_id" in response.get_json()["error"]["fields"]


# ---------------------------------------------------------------- payment status and permits

def test_payment_status_shows_six_unpaid_months_then_the_payment(client, world):
    body = client.get(url(world["enrollment"].id, "payment_status"), headers=world["headers"]).get_json()
    assert body == {"enrollment_id": world["enrollment"].id, "monthly_commitment": "5000.00",
                    "total_due": "30000.00", "total_paid": "0.00", "balance": "30000.00", "credit_balance": "0.00",
                    "first_month_paid": False, "payments": [],
                    "months": [{"month": m, "required": "5000.00", "paid": "0.00", "is_fully_paid": False}
                               for m in range(1, 7)]}
    result = pay(world["enrollment"], "7500.50", method="GCASH", reference="GC-1")
    body = client.get(url(world["enrollment"].id, "payment_status"), headers=world["headers"]).get_json()
    assert body["total_paid"] == "7500.50" and body["balance"] == "22499.50" and body["first_month_paid"] is True
    assert body["months"][1] == {"month": 2, "required": "5000.00", "paid": "2500.50", "is_fully_paid": False}
    [entry] = body["payments"]
    assert entry["id"] == result.payment_id and entry["receipt_number"] == result.receipt_number
    assert entry["amount"] == "7500.50" and entry["method"] == "GCASH" and entry["kind"] == "PAYMENT"
    assert entry["created_at"].endswith("+00:00")


def test_exam_permits_locked_until_the_month_is_paid(client, world):
    body = client.get(url(world["enrollment"].id, "exam_permit"), headers=world["headers"]).get_json()
    assert [(p["exam"], p["month"], p["status"], p["code"], p["issued_at"]) for p in body["permits"]] == [
        ("PRELIM", 1, "LOCKED", None, None), ("MIDTERM", 2, "LOCKED", None, None),
        ("PREFINAL", 3, "LOCKED", None, None), ("FINAL", 4, "LOCKED", None, None)]
    pay(world["enrollment"], "5000.00")
    prelim = client.get(url(world["enrollment"].id, "exam_permit"), headers=world["headers"]).get_json()["permits"][0]
    assert prelim["status"] == "ISSUED" and len(prelim["code"].replace("-", "")) == 16
    assert prelim["issued_at"].endswith("+00:00")


def test_transcript_is_my_record(client, world):
    pay_first_month(world["enrollment"])
    enroll(client, world, "IT101")
    body = client.get(url(world["enrollment"].id, "transcript"), headers=world["headers"]).get_json()
    student = world["student"]
    assert body["student"]["student_number"] == student.student_number
    assert body["student"]["program"] == {"code": "BSIT", "name": "BS Information Technology"}
    assert body["cumulative_gpa"] is None and body["units_earned"] == 0 and body["credits"] == []
    [term] = body["terms"]
    assert term["term"] == world["term"].name and term["gpa"] is None
    assert term["subjects"] == [{"code": "IT101", "title": "Programming 1", "units": 3, "grade": None,
                                 "status": "ENROLLED"}]


# ---------------------------------------------------------------- who may ask

READS = ("available_subjects", "payment_status", "exam_permit", "transcript")


@pytest.mark.parametrize("action", READS)
def test_another_students_enrollment_is_404_on_every_read(client, world, action):
    theirs = make_enrollment(make_student(program=world["program"]), world["term"])
    response = client.get(url(theirs.id, action), headers=world["headers"])
    assert response.status_code == 404 and code_of(response) == "not_found"
    assert client.get(url(2_147_483_647, action), headers=world["headers"]).status_code == 404


@pytest.mark.parametrize("action", READS + ("enroll_subject", "drop_subject"))
def test_anonymous_is_401_and_a_cashier_is_403(client, world, action):
    method = client.post if action in ("enroll_subject", "drop_subject") else client.get
    anonymous = method(url(world["enrollment"].id, action))
    assert anonymous.status_code == 401 and code_of(anonymous) == "unauthenticated"
    cashier_headers = token_headers(make_api_token(make_user(Role.CASHIER)))
    cashier = method(url(world["enrollment"].id, action), headers=cashier_headers)
    assert cashier.status_code == 403 and code_of(cashier) == "forbidden"
