"""The picker's block section: "enroll in my block" through the page (HTMX and plain form),
the other offered subjects behind a filter, and the block card refreshed without a reload."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from richwell.extensions import db
from richwell.models import SubjectEnrollment
from tests.factories import (
    make_enrollment,
    make_program,
    make_student,
    make_term,
    new_offering,
    new_section,
    new_subject,
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
    it101 = new_subject(program, "IT101", title="Programming 1")
    it102 = new_subject(program, "IT102", title="Discrete Math")
    new_offering(it101, sec, slots=[(0, "08:00", "09:30")])
    new_offering(it102, sec, slots=[(0, "09:00", "10:00")])  # inside IT101's hours: the block clashes
    return SimpleNamespace(program=program, term=term, student=student, te=te, sec=sec, it101=it101, it102=it102)


@pytest.fixture
def student_client(w, login):
    return login(w.student.user)


def _enrolled(te_id):
    return set(db.session.scalars(select(SubjectEnrollment.subject_id).where(
        SubjectEnrollment.term_enrollment_id == te_id, SubjectEnrollment.status == "ENROLLED")).all())


def test_block_section_comes_first_with_one_action(w, student_client):
    html = student_client.get("/student/subjects").get_data(as_text=True)
    assert "Your block: BSIT-1A" in html and "Enroll in my block" in html
    assert html.index('id="block-card"') < html.index(">Recommended<")


def test_enroll_in_my_block_enrolls_what_it_can_and_explains_each_refusal(w, student_client):
    # IT102 meets Monday 9:00, inside IT101's 8:00–9:30: the block itself clashes.
    response = student_client.post(f"/student/enrollments/{w.te.id}/block", headers=HX)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "enrollment-changed"
    html = response.get_data(as_text=True)
    assert "Enrolled in 1 subject" in html and "IT101 Programming 1" in html
    assert "Not enrolled in 1 subject" in html and "IT102 Discrete Math" in html and "clashes with" in html
    assert 'id="block-card"' in html and 'id="unit-counter"' in html  # refreshed out of band
    assert _enrolled(w.te.id) == {w.it101.id}


def test_enroll_in_my_block_without_javascript_flashes_the_outcome(w, student_client):
    response = student_client.post(f"/student/enrollments/{w.te.id}/block")
    assert response.status_code == 303
    page = student_client.get("/student/subjects").get_data(as_text=True)
    assert "IT101 Programming 1: Enrolled in section BSIT-1A." in page
    assert "IT102 Discrete Math was not enrolled" in page


def test_another_students_block_is_404(w, login):
    other = make_student(program=w.program)
    response = login(other.user).post(f"/student/enrollments/{w.te.id}/block", headers=HX)
    assert response.status_code == 404
    assert _enrolled(w.te.id) == set()


def test_block_action_needs_the_csrf_token(w, student_client, app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = student_client.post(f"/student/enrollments/{w.te.id}/block")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400 and _enrolled(w.te.id) == set()


def test_other_offered_subjects_are_collapsed_behind_a_filter_by_code_title_and_day(w, student_client):
    senior = new_subject(w.program, "IT401", title="Capstone", year_level=4)
    new_offering(senior, new_section(w.term, w.program, "BSIT-4A", year_level=4), slots=[(2, "13:00", "15:00")])
    html = student_client.get("/student/subjects").get_data(as_text=True)
    details = html[html.index('<details class="other-subjects"'):]
    assert "Capstone" in details and 'data-search="it401 capstone"' in details and 'data-days="Wed"' in details
    assert 'id="subject-filter-text"' in details and 'id="subject-filter-day"' in details
    assert "Capstone" not in html[:html.index('<details class="other-subjects"')]
