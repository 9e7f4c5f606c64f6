"""The whole student story through the API alone, told in order: apply, sign in, see the plan,
pay at the cashier (cashier token, Idempotency-Key, a replay), see the permit, pick subjects
(two added, a clash refused), drop one, read the transcript. Only the school's setup (program,
term, sections, the application link) is made with factories, as staff would on the website."""
from __future__ import annotations

from richwell.models import Role
from richwell.services.platform import settings
from tests.factories import (
    DEFAULT_PASSWORD,
    make_program,
    make_term,
    make_user,
    new_offering,
    new_section,
    new_subject,
)

API = "/api/v1"


def _token(client, username: str, password: str) -> dict[str, str]:
    response = client.post("/api-token-auth/", json={"username": username, "password": password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Token {response.get_json()['token']}"}


def test_a_student_applies_pays_enrolls_drops_and_reads_the_transcript_through_the_api(client):
    # The school: a program, the current term, one first-year section offering three subjects.
    program = make_program("BSIT", "BS Information Technology")
    term = make_term()
    section = new_section(term, program, "BSIT-1A")
    subjects = {code: new_subject(program, code, title=title) for code, title in
                (("IT101", "Programming 1"), ("IT102", "Computing basics"), ("IT103", "Discrete math"))}
    new_offering(subjects["IT101"], section, slots=[(0, "08:00", "09:30")])
    new_offering(subjects["IT102"], section, slots=[(1, "08:00", "09:30")])
    new_offering(subjects["IT103"], section, slots=[(0, "09:00", "10:30")])  # clashes with IT101
    settings.set_value(None, "enrollment_link_enabled", True)
    make_user(Role.CASHIER, email="cashier@richwell.edu.ph")

    # 1. Apply online.
    programs = client.get(f"{API}/public/programs/").get_json()["results"]
    program_id = next(p["id"] for p in programs if p["code"] == "BSIT")
    applied = client.post(f"{API}/public/enrollment/new_student/", json={
        "first_name": "Maria", "middle_name": "Luna", "last_name": "Santos", "email": "maria.santos@example.com",
        "birthdate": "2007-06-15", "sex": "F", "mobile": "09171234567", "address": "12 Rizal St., Malolos",
        "program_id": program_id, "admission_type": "FRESHMAN", "password": "a-strong-pass-1",
        "monthly_commitment": "5000.00"})
    assert applied.status_code == 201, applied.get_json()
    number, enrollment_id = applied.get_json()["student_number"], applied.get_json()["enrollment_id"]

    # 2. Sign in with the student number.
    student = _token(client, number, "a-strong-pass-1")
    me = client.get(f"{API}/student/profile/me/", headers=student).get_json()
    assert me["student_number"] == number and me["program"]["code"] == "BSIT" and me["cumulative_gpa"] is None
    [term_enrollment] = client.get(f"{API}/student/enrollment/", headers=student).get_json()["results"]
    assert term_enrollment["id"] == enrollment_id and term_enrollment["term"]["is_current"] is True
    mine = f"{API}/student/enrollment/{enrollment_id}"

    # 3. The plan: six months of 5000.00, nothing paid; every exam locked; nothing can be added yet.
    plan = client.get(f"{mine}/payment_status/", headers=student).get_json()
    assert plan["first_month_paid"] is False and plan["balance"] == "30000.00" and plan["payments"] == []
    assert [(m["month"], m["required"], m["paid"]) for m in plan["months"]] == [
        (m, "5000.00", "0.00") for m in range(1, 7)]
    assert {p["status"] for p in client.get(f"{mine}/exam_permit/", headers=student).get_json()["permits"]} == {
        "LOCKED"}
    refused = client.post(f"{mine}/enroll_subject/", headers=student,
                          json={"subject_id": subjects["IT101"].id, "section_id": section.id})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "first_month_unpaid"

    # 4. At the counter: the cashier finds her and records the first month, once.
    counter = _token(client, "cashier@richwell.edu.ph", DEFAULT_PASSWORD)
    [hit] = client.get(f"{API}/cashier/search/search/?q={number}", headers=counter).get_json()
    assert hit["current_enrollment_id"] == enrollment_id and hit["balance"] == "30000.00"
    payment = {"enrollment_id": hit["current_enrollment_id"], "amount": "5000.00", "method": "CASH"}
    once = {**counter, "Idempotency-Key": "counter-1-0001"}
    paid = client.post(f"{API}/cashier/payment/record_payment/", headers=once, json=payment)
    assert paid.status_code == 201, paid.get_json()
    assert paid.get_json()["allocations"] == [{"month": 1, "amount": "5000.00"}]
    assert paid.get_json()["permits_issued"] == ["PRELIM"]
    replay = client.post(f"{API}/cashier/payment/record_payment/", headers=once, json=payment)
    assert replay.status_code == 200 and replay.get_json() == paid.get_json()

    # 5. She sees the first month paid (once) and her PRELIM permit, which the public can verify.
    plan = client.get(f"{mine}/payment_status/", headers=student).get_json()
    assert plan["first_month_paid"] is True and plan["total_paid"] == "5000.00" and len(plan["payments"]) == 1
    assert plan["payments"][0]["receipt_number"] == paid.get_json()["receipt_number"]
    prelim = client.get(f"{mine}/exam_permit/", headers=student).get_json()["permits"][0]
    assert prelim["exam"] == "PRELIM" and prelim["status"] == "ISSUED"
    checked = client.get(f"{API}/public/verify/{prelim['code']}/").get_json()
    assert checked["valid"] is True and checked["kind"] == "PERMIT" and checked["student_number"] == number

    # 6. She picks subjects: two added, the clashing one refused.
    available = {row["subject"]["code"]: row
                 for row in client.get(f"{mine}/available_subjects/", headers=student).get_json()}
    assert available["IT101"]["can_enroll"] and available["IT102"]["can_enroll"]
    added = {}
    for code in ("IT101", "IT102"):
        response = client.post(f"{mine}/enroll_subject/", headers=student,
                               json={"subject_id": subjects[code].id, "section_id": section.id})
        assert response.status_code == 201, response.get_json()
        added[code] = response.get_json()
    clash = client.post(f"{mine}/enroll_subject/", headers=student,
                        json={"subject_id": subjects["IT103"].id, "section_id": section.id})
    assert clash.status_code == 422 and clash.get_json()["error"]["code"] == "schedule_conflict"

    # 7. She drops one.
    dropped = client.post(f"{mine}/drop_subject/", headers=student,
                          json={"subject_enrollment_id": added["IT102"]["id"]})
    assert dropped.status_code == 200 and dropped.get_json()["status"] == "DROPPED"
    listed = client.get(f"{mine}/subjects/", headers=student).get_json()
    assert [(row["subject"]["code"], row["status"]) for row in listed] == [("IT101", "ENROLLED"),
                                                                            ("IT102", "DROPPED")]
    units = client.get(f"{API}/student/enrollment/", headers=student).get_json()["results"][0]["enrolled_units"]
    assert units == 3

    # 8. Her transcript: this term with the subject she kept, no grade or GPA yet.
    record = client.get(f"{mine}/transcript/", headers=student).get_json()
    assert record["student"]["student_number"] == number and record["cumulative_gpa"] is None
    [this_term] = record["terms"]
    assert this_term["term"] == term.name
    assert this_term["subjects"] == [{"code": "IT101", "title": "Programming 1", "units": 3, "grade": None,
                                      "status": "ENROLLED"}]
