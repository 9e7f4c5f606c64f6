"""The subject picker pages (student, registrar, admin), HTMX partials, schedule, COR, rosters."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import event, func, select

from richwell.extensions import db
from richwell.models import AuditEntry, Offering, Role, SubjectEnrollment, TermEnrollment
from richwell.services.enrollment import enroll_in_subject
from tests.confirming import confirmed_post
from tests.factories import (
    make_enrollment,
    make_program,
    make_student,
    make_term,
    make_user,
    new_offering,
    new_section,
    new_subject,
    past_result,
    pay_first_month,
)

HX = {"HX-Request": "true"}


@pytest.fixture
def w():
    program = make_program(code="BSIT")
    term = make_term()
    student = make_student(program=program, first_name="Maria")
    te = make_enrollment(student, term)
    pay_first_month(te)
    sec = new_section(term, program, "BSIT-1A")
    prof = make_user(Role.PROFESSOR, first_name="Pedro", last_name="Santos")
    it101 = new_subject(program, "IT101", title="Programming 1")
    it102 = new_subject(program, "IT102", title="Discrete Math")
    o101 = new_offering(it101, sec, slots=[(0, "08:00", "09:30")], professor=prof)
    o102 = new_offering(it102, sec, slots=[(0, "09:00", "10:00")])
    return SimpleNamespace(program=program, term=term, student=student, te=te, sec=sec, prof=prof, it101=it101,
                           it102=it102, o101=o101, o102=o102)


@pytest.fixture
def student_client(w, login):
    return login(w.student.user)


def _add(client, te_id, subject, section, headers=HX, **extra):
    return client.post(f"/student/enrollments/{te_id}/subjects",
                       data={"subject_id": subject, "section_id": section, **extra}, headers=headers)


def test_student_picker_lists_recommended_subjects_with_sections_and_the_counter(w, student_client):
    html = student_client.get("/student/subjects").get_data(as_text=True)
    assert "Recommended" in html and "IT101" in html and "Programming 1" in html
    assert "0 / 30" in html and 'id="unit-counter"' in html and 'aria-live="polite"' in html
    assert "Pedro Santos" in html and 'id="seats-%d"' % w.o101.id in html
    assert "Mon 8:00 AM–9:30 AM" in html
    assert html.count('class="add-form"') == 2


def test_student_picker_before_month1_is_paid_says_so_and_offers_no_add_buttons(w, student_client):
    w.te.buckets[0].paid = 0
    db.session.commit()
    html = student_client.get("/student/subjects").get_data(as_text=True)
    assert "first month is not paid yet" in html and "₱\u00a05,000.00 is due for month 1" in html
    assert 'class="add-form"' not in html and 'name="section_id"' not in html


def test_student_without_a_current_enrollment_is_told_so(login):
    student = make_student()
    make_term()
    html = login(student.user).get("/student/subjects").get_data(as_text=True)
    assert "no enrollment for the current term" in html


def test_htmx_add_swaps_the_subject_body_and_updates_counter_and_week_out_of_band(w, student_client):
    response = _add(student_client, w.te.id, w.it101.id, w.sec.id)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<div class="subject-body" id="subject-{w.it101.id}-body">')
    assert "Enrolled" in html and "BSIT-1A" in html and "Drop" in html
    assert re.search(r'id="unit-counter"[^>]*hx-swap-oob="true"', html) and "3 / 30" in html
    assert re.search(r'id="schedule-preview"[^>]*hx-swap-oob="true"', html) and "IT101" in html
    assert response.headers["HX-Trigger"] == "enrollment-changed"
    assert db.session.scalar(select(func.count()).select_from(SubjectEnrollment)) == 1


def test_plain_form_add_redirects_with_a_message(w, student_client):
    response = _add(student_client, w.te.id, w.it101.id, w.sec.id, headers={})
    assert response.status_code == 303 and response.headers["Location"].endswith("/student/subjects")
    html = student_client.get("/student/subjects").get_data(as_text=True)
    assert "IT101 Programming 1 added (section BSIT-1A)." in html


def test_htmx_refusal_lands_in_the_subjects_message_slot_with_422(w, student_client):
    _add(student_client, w.te.id, w.it101.id, w.sec.id)
    response = _add(student_client, w.te.id, w.it102.id, w.sec.id)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == f"#subject-{w.it102.id}-msg"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert "clashes with IT101 in section BSIT-1A (Mon 8:00 AM–9:30 AM)" in response.get_data(as_text=True)


def test_plain_form_refusal_shows_the_page_with_the_sentence(w, student_client):
    w.o101.capacity = w.o101.enrolled_count = 1
    db.session.commit()
    response = _add(student_client, w.te.id, w.it101.id, w.sec.id, headers={})
    assert response.status_code == 422
    assert "Section BSIT-1A is full for IT101 (1 of 1 seats taken)." in response.get_data(as_text=True)


def test_another_students_enrollment_id_answers_404_and_changes_nothing(w, login):
    intruder = make_student(program=w.program)
    make_enrollment(intruder, w.term)
    client = login(intruder.user)
    assert _add(client, w.te.id, w.it101.id, w.sec.id).status_code == 404
    assert _add(client, w.te.id, w.it101.id, w.sec.id, headers={}).status_code == 404
    assert client.get(f"/student/enrollments/{w.te.id}/picker/live").status_code == 404
    assert client.get(f"/student/enrollments/{w.te.id}/picker/preview").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(SubjectEnrollment)) == 0


@pytest.mark.parametrize("subject,section", [("", ""), ("abc", "1"), ("-3", "1"), ("9" * 40, "1"),
                                             ("1", "<script>")])
def test_malformed_ids_answer_400_with_a_message(w, student_client, subject, section):
    response = _add(student_client, w.te.id, subject, section)
    assert response.status_code == 400
    assert "Choose a" in response.get_data(as_text=True)


def test_unknown_subject_answers_400_at_the_picker(w, student_client):
    response = _add(student_client, w.te.id, 99999, w.sec.id)
    assert response.status_code == 400 and "does not exist" in response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "#subject-99999-msg"


def test_htmx_drop_returns_the_card_with_its_sections_and_frees_the_seat(w, student_client):
    added = enroll_in_subject(w.te.id, w.it101.id, w.sec.id, w.student.user)
    response = confirmed_post(student_client, f"/student/subject-enrollments/{added.subject_enrollment_id}/drop",
                              {"subject_id": w.it101.id}, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == f"#subject-{w.it101.id}"
    html = response.get_data(as_text=True)
    assert 'class="add-form"' in html and "0 / 30" in html and "IT101 Programming 1 dropped." in html
    assert db.session.get(Offering, w.o101.id).enrolled_count == 0


def test_dropping_another_students_subject_answers_404(w, login):
    added = enroll_in_subject(w.te.id, w.it101.id, w.sec.id, w.student.user)
    intruder = make_student(program=w.program)
    response = confirmed_post(login(intruder.user), f"/student/subject-enrollments/{added.subject_enrollment_id}/drop",
                              headers=HX)
    assert response.status_code == 404
    assert db.session.get(SubjectEnrollment, added.subject_enrollment_id).status == "ENROLLED"


def test_preview_marks_a_clash_before_submitting(w, student_client):
    enroll_in_subject(w.te.id, w.it101.id, w.sec.id, w.student.user)
    response = student_client.get(f"/student/enrollments/{w.te.id}/picker/preview?offering_id={w.o102.id}",
                                  headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "IT102 in section BSIT-1A (Mon 9:00 AM–10:00 AM) clashes with IT101" in html
    assert html.count("wg-entry wg-clash") == 2 and "IT102 (preview)" in html
    bad = student_client.get(f"/student/enrollments/{w.te.id}/picker/preview?offering_id=abc", headers=HX)
    assert bad.status_code == 400


def test_live_refresh_sends_every_card_and_the_counter_out_of_band(w, student_client):
    html = student_client.get(f"/student/enrollments/{w.te.id}/picker/live", headers=HX).get_data(as_text=True)
    assert html.count('hx-swap-oob="true"') == 4  # two cards, the counter and the block card
    assert f'id="subject-{w.it101.id}"' in html


def test_registrar_picker_offers_override_fields_and_drops_need_a_reason(w, as_role):
    w.o101.capacity = w.o101.enrolled_count = 1
    db.session.commit()
    client, registrar = as_role("registrar")
    html = client.get(f"/registrar/enrollments/{w.te.id}").get_data(as_text=True)
    assert "Enrollment of Maria" in html and 'name="override_capacity_reason"' in html
    assert "Add with override" in html
    refused = client.post(f"/registrar/enrollments/{w.te.id}/subjects", headers=HX,
                          data={"subject_id": w.it101.id, "section_id": w.sec.id})
    assert refused.status_code == 422
    ok = client.post(f"/registrar/enrollments/{w.te.id}/subjects", headers=HX,
                     data={"subject_id": w.it101.id, "section_id": w.sec.id,
                           "override_capacity_reason": "Graduating"})
    assert ok.status_code == 200
    se = db.session.scalar(select(SubjectEnrollment))
    no_reason = confirmed_post(client, f"/registrar/subject-enrollments/{se.id}/drop", {"subject_id": w.it101.id},
                               headers=HX)
    assert no_reason.status_code == 400 and "reason" in no_reason.get_data(as_text=True)
    dropped = confirmed_post(client, f"/registrar/subject-enrollments/{se.id}/drop",
                             {"subject_id": w.it101.id, "reason": "Shifted to BSBA"}, headers=HX)
    assert dropped.status_code == 200
    assert db.session.scalar(select(AuditEntry.reason).where(AuditEntry.action == "enrollment.subject_drop")) \
        == "Shifted to BSBA"


def test_registrar_finds_a_student_by_number_or_name(w, as_role):
    client, _ = as_role("head_registrar")
    html = client.get("/registrar/enrollment?q=maria").get_data(as_text=True)
    assert w.student.student_number in html and f"/registrar/enrollments/{w.te.id}" in html
    assert "No student matches" in client.get("/registrar/enrollment?q=zzzz").get_data(as_text=True)
    assert client.get("/registrar/enrollments/999999").status_code == 404


def test_admin_month1_override_page_needs_a_reason(w, as_role):
    w.te.buckets[0].paid = 0
    db.session.commit()
    client, admin = as_role("admin")
    html = client.get(f"/admin/enrollments/{w.te.id}").get_data(as_text=True)
    assert 'name="override_month1_reason"' in html and "override_capacity_reason" not in html
    refused = client.post(f"/admin/enrollments/{w.te.id}/subjects", headers=HX,
                          data={"subject_id": w.it101.id, "section_id": w.sec.id})
    assert refused.status_code == 422 and "first month is paid" in refused.get_data(as_text=True)
    ok = client.post(f"/admin/enrollments/{w.te.id}/subjects", headers=HX,
                     data={"subject_id": w.it101.id, "section_id": w.sec.id,
                           "override_month1_reason": "Scholarship"})
    assert ok.status_code == 200
    assert client.get(f"/registrar/enrollments/{w.te.id}").status_code == 403


def test_registrar_cannot_override_month1_and_student_cannot_override_anything(w, as_role, student_client):
    w.te.buckets[0].paid = 0
    db.session.commit()
    client, _ = as_role("registrar")
    response = client.post(f"/registrar/enrollments/{w.te.id}/subjects", headers=HX,
                           data={"subject_id": w.it101.id, "section_id": w.sec.id,
                                 "override_month1_reason": "please"})
    assert response.status_code == 403
    pay_first_month(w.te)
    response = _add(student_client, w.te.id, w.it101.id, w.sec.id, override_capacity_reason="me")
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(SubjectEnrollment)) == 0


def test_weekly_schedule_and_cor_show_subjects_schedule_units_and_assessment(w, student_client):
    enroll_in_subject(w.te.id, w.it101.id, w.sec.id, w.student.user)
    html = student_client.get("/student/schedule").get_data(as_text=True)
    assert "My weekly schedule" in html and "IT101" in html and "8:00 AM–9:30 AM" in html
    cor = student_client.get("/student/registration").get_data(as_text=True)
    for text in ["Certificate of Registration", w.student.student_number, "IT101", "Programming 1", "BSIT-1A",
                 "Mon 8:00 AM–9:30 AM", "Pedro Santos", "Total units", "₱\u00a05,000.00", "Month 6", "₱\u00a030,000.00",
                 "₱\u00a025,000.00"]:
        assert text in cor, text


def test_registrar_sees_any_cor(w, as_role):
    client, _ = as_role("registrar")
    assert "Certificate of Registration" in client.get(
        f"/registrar/enrollments/{w.te.id}/registration").get_data(as_text=True)
    assert client.get("/registrar/enrollments/424242/registration").status_code == 404


def test_rosters_registrar_any_professor_own_only(w, as_role, login):
    enroll_in_subject(w.te.id, w.it101.id, w.sec.id, w.student.user)
    client, _ = as_role("registrar")
    assert "IT101" in client.get("/registrar/rosters").get_data(as_text=True)
    page = client.get(f"/registrar/rosters/{w.o101.id}").get_data(as_text=True)
    assert w.student.student_number in page and "Maria" in page and "Print" in page
    prof = login(w.prof)
    assert w.student.student_number in prof.get(f"/professor/rosters/{w.o101.id}").get_data(as_text=True)
    assert "IT101" in prof.get("/professor/rosters").get_data(as_text=True)
    assert "IT102" not in prof.get("/professor/rosters").get_data(as_text=True)
    assert prof.get(f"/professor/rosters/{w.o102.id}").status_code == 404
    assert prof.get(f"/professor/rosters/{w.o102.id}.csv").status_code == 404
    assert prof.get("/professor/rosters/999999").status_code == 404


def test_roster_csv_escapes_formula_like_cells(w, as_role):
    w.student.user.last_name = "=HYPERLINK(1)"
    db.session.commit()
    enroll_in_subject(w.te.id, w.it101.id, w.sec.id, w.student.user)
    client, _ = as_role("registrar")
    response = client.get(f"/registrar/rosters/{w.o101.id}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="roster-IT101-BSIT-1A.csv"' in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("No.,Student number,Last name")
    assert f"1,{w.student.student_number},'=HYPERLINK(1),Maria" in lines[1]


@pytest.mark.parametrize("url", ["/student/subjects", "/student/schedule", "/student/registration"])
def test_student_pages_refuse_other_roles(w, as_role, url):
    client, _ = as_role("cashier")
    assert client.get(url).status_code == 403


def _statements(client, url, **kwargs):
    """SQL statements one request runs. SQLite's explicit BEGIN is left out: PostgreSQL's driver
    opens transactions without a statement the engine sees, and the budget is about queries."""
    count = 0

    def _count(conn, cursor, statement, *args):
        nonlocal count
        count += not statement.startswith("BEGIN")

    db.session.expire_all()
    db.session.info.clear()
    event.listen(db.engine, "before_cursor_execute", _count)
    try:
        response = client.open(url, **kwargs)
    finally:
        event.remove(db.engine, "before_cursor_execute", _count)
    assert response.status_code in (200, 303), response.get_data(as_text=True)[:500]
    return count


def test_the_picker_page_runs_a_bounded_number_of_statements(w, student_client):
    sections = [w.sec] + [new_section(w.term, w.program, f"BSIT-1{c}") for c in "BCD"]

    def grow(n):
        for i in range(n):
            subject = new_subject(w.program, year_level=1 + i % 3)
            for j, section in enumerate(sections[: 1 + i % 4]):
                new_offering(subject, section, slots=[(1 + i % 5, f"{7 + j:02d}:00", f"{8 + j:02d}:00")])

    grow(3)  # 5 subjects
    small = _statements(student_client, "/student/subjects")
    grow(35)  # 40 subjects, ~100 sections
    large = _statements(student_client, "/student/subjects")
    assert small == large <= 12
    assert _statements(student_client, f"/student/enrollments/{w.te.id}/picker/live", headers=HX) <= small + 1


def test_an_add_runs_at_most_twelve_statements(w, student_client):
    enroll_in_subject(w.te.id, w.it102.id, w.sec.id, w.student.user)
    other = new_section(w.term, w.program, "BSIT-1B")
    it100 = new_subject(w.program, "IT100")
    old = make_enrollment(w.student, make_term(current=False, academic_year="2025-2026"))
    past_result(old, it100, "PASSED")
    it103 = new_subject(w.program, "IT103", prerequisites=[it100])
    new_offering(w.it101, other, slots=[(2, "08:00", "09:00")])
    te_id, subject_id, section_id = w.te.id, it103.id, other.id
    new_offering(it103, other, slots=[(3, "08:00", "09:00")])
    for sid in (w.it101.id, subject_id):  # a subject with a prerequisite: the heaviest path
        assert _statements(student_client, f"/student/enrollments/{te_id}/subjects", method="POST", headers=HX,
                           data={"subject_id": sid, "section_id": section_id}) <= 12
    assert db.session.get(TermEnrollment, te_id).enrolled_units == 9
