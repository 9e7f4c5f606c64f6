"""Registrar pages: search, the student record, edits, status and program changes, transferees,
credits and disputes, and the bulk opening of continuing students."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from richwell.extensions import db
from richwell.models import AuditEntry, BulkOpenJob, Role, Student, TransferCredit
from richwell.services.admissions import credits
from richwell.services.platform import accounts, clock
from tests.factories import (
    PNG_BYTES,
    make_enrollment,
    make_program,
    make_student,
    make_subject,
    make_term,
    open_admissions,
)

pytestmark = pytest.mark.usefixtures("empty_uploads")


@pytest.fixture
def registrar(as_role):
    return as_role(Role.REGISTRAR.value)


def test_search_finds_by_number_and_name_with_an_htmx_partial(registrar):
    client, _ = registrar
    a = make_student(number="2026-00777", first_name="Lourdes", last_name="Aquino")
    make_student(number="2026-00888", first_name="Ramon", last_name="Bautista")
    page = client.get("/registrar/students?q=aquino").get_data(as_text=True)
    assert "2026-00777" in page and "2026-00888" not in page
    partial = client.get("/registrar/students?q=2026-0088", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and "2026-00888" in partial and a.student_number not in partial
    assert "No students match" in client.get("/registrar/students?q=zzz").get_data(as_text=True)


def test_student_record_shows_profile_plan_history_and_documents(registrar):
    client, _ = registrar
    make_term()
    student = make_student(first_name="Lourdes")
    make_enrollment(student, commitment="2750.00")
    html = client.get(f"/registrar/students/{student.id}").get_data(as_text=True)
    assert "Lourdes" in html and student.student_number in html
    assert "Installment plan" in html and "₱\u00a02,750.00" in html
    assert client.get("/registrar/students/999999").status_code == 404


def test_profile_edit_saves_and_is_audited(registrar):
    client, user = registrar
    student = make_student(first_name="Juan")
    form = client.get(f"/registrar/students/{student.id}/edit").get_data(as_text=True)
    assert 'value="Juan"' in form
    data = {"first_name": "Juanito", "middle_name": "", "last_name": student.user.last_name,
            "email": student.user.email, "birthdate": "2005-01-01", "sex": "F", "mobile": "09171234567",
            "address": "Manila", "previous_school": "", "previous_course": ""}
    response = client.post(f"/registrar/students/{student.id}/edit", data=data)
    assert response.status_code == 302
    assert student.user.first_name == "Juanito"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "student.profile_edit"))
    assert entry.before == {"first_name": "Juan"} and entry.actor_id == user.id
    bad = client.post(f"/registrar/students/{student.id}/edit", data={**data, "mobile": "555-1234"})
    assert bad.status_code == 400 and 'id="mobile-error"' in bad.get_data(as_text=True)


def test_status_change_form_records_dated_history(registrar):
    client, _ = registrar
    student = make_student()
    today = clock.today().isoformat()
    refused = client.post(f"/registrar/students/{student.id}/status",
                          data={"to_status": "LOA", "effective_date": today, "reason": ""})
    assert refused.status_code == 422 and "Enter the reason" in refused.get_data(as_text=True)
    assert student.status == "ACTIVE"
    ok = client.post(f"/registrar/students/{student.id}/status",
                     data={"to_status": "LOA", "effective_date": today, "reason": "Medical leave"})
    assert ok.status_code == 302
    assert student.status == "LOA"
    html = client.get(f"/registrar/students/{student.id}").get_data(as_text=True)
    assert "Medical leave" in html and "Leave of absence" in html


def test_program_change_form(registrar):
    client, _ = registrar
    bsit, bsba = make_program("BSIT"), make_program("BSBA")
    student = make_student(program=bsit)
    refused = client.post(f"/registrar/students/{student.id}/program", data={"program_id": bsba.id, "reason": ""})
    assert refused.status_code == 422
    ok = client.post(f"/registrar/students/{student.id}/program", data={"program_id": bsba.id, "reason": "Shift"})
    assert ok.status_code == 302 and student.program_id == bsba.id


def _transferee_form(program, **overrides) -> dict:
    data = {"first_name": "Rico", "middle_name": "", "last_name": "Yan", "birthdate": "2003-03-14", "sex": "M",
            "email": "rico.yan@example.com", "mobile": "+639171112222", "address": "Quezon City",
            "program_id": str(program.id), "previous_school": "FEU", "previous_course": "BSIT",
            "monthly_commitment": "3000"}
    data.update(overrides)
    return data


def test_registrar_creates_a_transferee_and_sees_the_first_password_once(registrar):
    client, _ = registrar
    program = open_admissions(link=False)
    data = _transferee_form(program)
    data["id_document"] = (io.BytesIO(PNG_BYTES), "id.png")
    response = client.post("/registrar/transferees/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    password = re.search(r'<code class="secret">([^<]+)</code>', html).group(1)
    student = db.session.scalar(select(Student))
    assert student.student_number in html
    assert (student.created_via, student.admission_type) == ("REGISTRAR", "TRANSFEREE")
    assert student.user.must_change_password
    assert accounts.authenticate(student.student_number, password) == student.user


def test_transferee_creation_refuses_missing_previous_school_at_the_field(registrar):
    client, _ = registrar
    program = open_admissions()
    response = client.post("/registrar/transferees/new", data=_transferee_form(program, previous_school=""))
    assert response.status_code == 400
    assert 'id="previous_school-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(Student)) is None


def test_credit_add_dispute_and_head_registrar_settles(registrar, login, client, as_role):
    reg_client, _ = registrar
    program = make_program("BSIT")
    subject = make_subject(program, "IT101")
    student = make_student(program=program, admission_type="TRANSFEREE")
    student.previous_school = "FEU"
    db.session.commit()
    page = reg_client.get(f"/registrar/students/{student.id}").get_data(as_text=True)
    assert "Credit a prior subject" in page and "IT101" in page
    bad = reg_client.post(f"/registrar/students/{student.id}/credits",
                          data={"subject_id": subject.id, "original_code": "", "original_title": "Prog 1",
                                "original_grade": "1.5", "units": "9"})
    assert bad.status_code == 422
    assert 'id="units-error"' in bad.get_data(as_text=True) and 'id="original_code-error"' in bad.get_data(as_text=True)
    ok = reg_client.post(f"/registrar/students/{student.id}/credits",
                         data={"subject_id": subject.id, "original_code": "CS1", "original_title": "Prog 1",
                               "original_grade": "1.5", "units": "3"})
    assert ok.status_code == 302
    credit = db.session.scalar(select(TransferCredit))
    assert (credit.source_school, credit.counted_in_gpa) == ("FEU", False)
    assert "Prog 1" in reg_client.get(f"/registrar/students/{student.id}").get_data(as_text=True)
    reg_client.post(f"/registrar/credits/{credit.id}/dispute", data={"note": "Grade looks altered"})
    assert credit.status == "DISPUTED"
    # A registrar cannot settle; the head registrar can.
    assert reg_client.post(f"/registrar/credits/{credit.id}/settle", data={"decision": "ACCEPT"}).status_code == 403
    listing = reg_client.get("/registrar/credits/disputed").get_data(as_text=True)
    assert "Grade looks altered" in listing and "Only the head registrar" in listing
    head_client, _ = as_role(Role.HEAD_REGISTRAR.value)
    assert "Settle" in head_client.get("/registrar/credits/disputed").get_data(as_text=True)
    head_client.post(f"/registrar/credits/{credit.id}/settle", data={"decision": "ACCEPT", "note": "Verified"})
    assert credit.status == "ACCEPTED"


def test_freshman_record_offers_conversion_to_transferee(registrar):
    client, _ = registrar
    student = make_student()
    assert "This student is really a transferee" in client.get(f"/registrar/students/{student.id}").get_data(
        as_text=True)
    client.post(f"/registrar/students/{student.id}/transferee",
                data={"previous_school": "PUP", "previous_course": "BSA"})
    assert student.admission_type == "TRANSFEREE"


def test_bulk_open_shows_a_progress_page_that_stops_polling_when_done(registrar):
    client, _ = registrar
    old = make_term(academic_year="2025-2026")
    program = make_program("BSIT")
    students = [make_student(program=program, year_level=2) for _ in range(3)]
    make_enrollment(students[0], old)
    make_term(academic_year="2026-2027")
    response = client.post("/registrar/continuing", data={"program_id": program.id, "year_level": "2",
                                                          "default_commitment": "1800"})
    assert response.status_code == 302
    assert db.session.scalar(select(BulkOpenJob.status)) == "DONE"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 of 3 students processed" in page and 'aria-valuenow="100"' in page
    assert 'hx-trigger="every 1s"' not in page  # finished: no more polling


def test_bulk_progress_partial_polls_while_running(registrar):
    client, _ = registrar
    term = make_term()
    program = make_program()
    from decimal import Decimal

    job = BulkOpenJob(program_id=program.id, year_level=1, term_id=term.id, default_commitment=Decimal("1000.00"),
                      status="RUNNING", total=10, processed=4, opened=4)
    db.session.add(job)
    db.session.commit()
    partial = client.get(f"/registrar/continuing/jobs/{job.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and 'hx-trigger="every 1s"' in partial and 'aria-valuenow="40"' in partial


def test_bulk_open_form_refuses_bad_year_level(registrar):
    client, _ = registrar
    make_term()
    program = make_program()
    response = client.post("/registrar/continuing", data={"program_id": program.id, "year_level": "7",
                                                          "default_commitment": "1800"})
    assert response.status_code == 400 and 'id="year_level-error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.STUDENT, Role.CASHIER, Role.ADMISSION, Role.PROFESSOR])
@pytest.mark.parametrize("url", ["/registrar/students", "/registrar/transferees/new", "/registrar/credits/disputed",
                                 "/registrar/continuing"])
def test_registrar_pages_are_for_registrars_only(as_role, role, url):
    client, _ = as_role(role.value)
    assert client.get(url).status_code == 403


def test_credit_service_refusal_is_not_a_500(registrar):
    client, user = registrar
    program = make_program()
    subject = make_subject(program)
    student = make_student(program=program, admission_type="TRANSFEREE")
    credits.add_credit(user, student.id, subject_id=subject.id, source_school="X", original_code="A",
                       original_title="B", original_grade="1.0", units=3)
    again = client.post(f"/registrar/students/{student.id}/credits",
                        data={"subject_id": subject.id, "source_school": "X", "original_code": "A",
                              "original_title": "B", "original_grade": "1.0", "units": "3"})
    assert again.status_code == 422 and "already credited" in again.get_data(as_text=True)


def test_the_student_page_is_a_hub_with_one_click_to_each_part_of_the_record(registrar):
    client, user = registrar
    make_term()
    student = make_student(first_name="Lourdes")
    enrollment = make_enrollment(student, commitment="2750.00")
    today = clock.today().isoformat()
    client.post(f"/registrar/students/{student.id}/status",
                data={"to_status": "LOA", "effective_date": today, "reason": "Medical leave"})
    html = client.get(f"/registrar/students/{student.id}").get_data(as_text=True)
    for link in ("#profile-title", "#history-title", "#terms-title", "#payments-title", "#documents-title",
                 "#audit-title", f"/registrar/grades/students/{student.id}",
                 f"/registrar/grades/students/{student.id}/transcript",
                 f"/registrar/enrollments/{enrollment.id}", f"/registrar/enrollments/{enrollment.id}/registration",
                 f"/registrar/enrollments/{enrollment.id}/registration.pdf"):
        assert f'href="{link}"' in html, link
    for anchor in ('id="profile-title"', 'id="history-title"', 'id="terms-title"', 'id="payments-title"',
                   'id="documents-title"', 'id="audit-title"', 'id="student-documents"'):
        assert html.count(anchor) == 1, anchor
    # The page's title is the student's number and name, nothing else (no section leaked into it).
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert student.student_number in title and "<" not in title
    # The audit trail names what happened to this student, newest first, with readable fields.
    assert "student.status_change" in html and "Medical leave" in html and user.full_name in html
    for target in (f"/registrar/enrollments/{enrollment.id}/registration",
                   f"/registrar/enrollments/{enrollment.id}/registration.pdf",
                   f"/registrar/grades/students/{student.id}/transcript"):
        assert client.get(target).status_code == 200, target
