"""Grade pages: the professor's sheet (own classes only, HTMX per row), the registrar's queue,
review, reopening, approvals and histories, the student's grades and transcripts."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import GradeEntry, GradeSheet, Role, Transcript
from richwell.services import grades as grades_service
from richwell.services.grades import gpa
from richwell.services.grades.rules import add_months
from richwell.services.platform.clock import today
from tests.confirming import confirmed_post
from tests.factories import add_to_class, make_class, make_student, make_term, make_user, post_grades

HX = {"HX-Request": "true"}


@pytest.fixture
def sheet(login):
    professor = make_user(Role.PROFESSOR)
    offering = make_class(professor=professor, code="IT101", title="Programming 1")
    rows = [add_to_class(offering) for _ in range(3)]
    return login(professor), offering, rows


def _entries() -> int:
    return db.session.scalar(select(func.count()).select_from(GradeEntry))


def test_grade_sheet_shows_the_roster_with_a_picker_of_allowed_values_only(sheet):
    client, offering, rows = sheet
    page = client.get(f"/professor/classes/{offering.id}/grades")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for se in rows:
        assert f'id="grade-{se.id}"' in html and f'aria-describedby="status-{se.id}"' in html
        assert f'<label class="sr-only" for="grade-{se.id}">Grade for {se.enrollment.student.full_name}' in html
    select_html = html[html.index(f'id="grade-{rows[0].id}"'):]
    select_html = select_html[:select_html.index("</select>")]
    import re
    values = re.findall(r'<option value="([^"]*)"', select_html)
    assert values == ["", "1.00", "1.25", "1.50", "1.75", "2.00", "2.25", "2.50", "2.75", "3.00", "5.00", "INC", "DRP"]
    assert 'aria-live="polite"' in html and "Submit for finalization" in html
    assert client.get("/professor/grades").status_code == 200


def test_another_professors_class_answers_404(sheet, as_role):
    _client, offering, rows = sheet
    other, _user = as_role("professor")
    assert other.get(f"/professor/classes/{offering.id}/grades").status_code == 404
    assert other.post(f"/professor/classes/{offering.id}/grades/{rows[0].id}", data={f"grade-{rows[0].id}": "1.00"},
                      headers=HX).status_code == 404
    assert other.post(f"/professor/classes/{offering.id}/grades/submit").status_code == 404
    assert _entries() == 0
    student_client, _ = as_role("student")
    assert student_client.get(f"/professor/classes/{offering.id}/grades").status_code == 403


def test_a_row_is_saved_as_the_professor_picks_and_the_summary_follows(sheet):
    client, offering, rows = sheet
    response = client.post(f"/professor/classes/{offering.id}/grades/{rows[0].id}",
                           data={f"grade-{rows[0].id}": "5.00"}, headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Saved draft: 5.00" in html
    assert 'id="grade-summary" hx-swap-oob="innerHTML"' in html
    assert '<dd data-count="failed">1</dd>' in html and '<dd data-count="missing">2</dd>' in html
    assert "<svg" in html  # the distribution chart follows too
    assert db.session.scalar(select(GradeEntry.value)) == "5.00"


@pytest.mark.parametrize("bad", ["1.3", "0", "4.0", "A", "<script>"])
def test_a_bad_row_value_is_refused_with_a_message(sheet, bad):
    client, offering, rows = sheet
    response = client.post(f"/professor/classes/{offering.id}/grades/{rows[0].id}",
                           data={f"grade-{rows[0].id}": bad}, headers=HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "is not an allowed grade" in html and "<script>" not in html
    assert _entries() == 0


def test_a_grade_for_a_student_not_in_the_class_is_refused_on_the_page(sheet):
    client, offering, _rows = sheet
    stranger = add_to_class(make_class())
    response = client.post(f"/professor/classes/{offering.id}/grades/{stranger.id}",
                           data={f"grade-{stranger.id}": "1.00"}, headers=HX)
    assert response.status_code == 422 and "not enrolled in this class" in response.get_data(as_text=True)
    assert _entries() == 0


def test_the_sheet_works_without_javascript(sheet):
    client, offering, (a, b, c) = sheet
    response = client.post(f"/professor/classes/{offering.id}/grades",
                           data={f"grade-{a.id}": "1.00", f"grade-{b.id}": "4.0", f"grade-{c.id}": "INC"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "nothing was saved" in html and "4.0 is not an allowed grade" in html
    assert 'aria-invalid="true"' in html
    assert _entries() == 0
    response = client.post(f"/professor/classes/{offering.id}/grades",
                           data={f"grade-{a.id}": "1.00", f"grade-{b.id}": "2.00", f"grade-{c.id}": "INC"})
    assert response.status_code == 302
    assert _entries() == 3
    # A plain (non-HTMX) row post also works and comes back to the sheet.
    response = client.post(f"/professor/classes/{offering.id}/grades/{a.id}", data={f"grade-{a.id}": "1.25"})
    assert response.status_code == 302


def test_submitting_with_missing_grades_shows_the_message(sheet):
    client, offering, (a, _b, _c) = sheet
    client.post(f"/professor/classes/{offering.id}/grades/{a.id}", data={f"grade-{a.id}": "1.00"}, headers=HX)
    response = confirmed_post(client, f"/professor/classes/{offering.id}/grades/submit")
    assert response.status_code == 422
    assert "2 students have no grade yet" in response.get_data(as_text=True)
    assert grades_service.find_sheet(offering.id).status == "OPEN"


def test_professor_submits_then_registrar_finalizes_from_the_queue(sheet, as_role):
    client, offering, rows = sheet
    for se, value in zip(rows, ("1.00", "INC", "5.00")):
        client.post(f"/professor/classes/{offering.id}/grades/{se.id}", data={f"grade-{se.id}": value}, headers=HX)
    assert confirmed_post(client, f"/professor/classes/{offering.id}/grades/submit").status_code == 302
    page = client.get(f"/professor/classes/{offering.id}/grades").get_data(as_text=True)
    assert "Submitted" in page and "<select" not in page
    registrar, _user = as_role("registrar")
    queue = registrar.get("/registrar/grades").get_data(as_text=True)
    assert f'name="offering_id" value="{offering.id}"' in queue and "IT101" in queue
    review = registrar.get(f"/registrar/grades/classes/{offering.id}").get_data(as_text=True)
    assert "Finalize this class" in review and 'role="img"' in review
    response = confirmed_post(registrar, "/registrar/grades/finalize", {"offering_id": [str(offering.id)]})
    assert response.status_code == 302
    assert grades_service.find_sheet(offering.id).status == "FINALIZED"
    follow = registrar.get(response.headers["Location"]).get_data(as_text=True)
    assert "Grades posted for 1 class (3 students notified)" in follow


def test_finalizing_an_unsubmitted_class_from_the_page_is_refused(sheet, as_role):
    _client, offering, _rows = sheet
    registrar, _user = as_role("registrar")
    response = confirmed_post(registrar, "/registrar/grades/finalize", {"offering_id": [str(offering.id)]},
                              follow_redirects=True)
    assert "not submitted yet; nothing was finalized" in response.get_data(as_text=True)
    assert grades_service.find_sheet(offering.id) is None


def test_registrar_reopens_a_closed_class_and_errors_stand_at_their_fields(sheet, as_role):
    _client, offering, _rows = sheet
    offering.section.term.grade_deadline = today() - timedelta(days=2)
    db.session.commit()
    registrar, _user = as_role("registrar")
    assert "IT101" in registrar.get("/registrar/grades").get_data(as_text=True)  # listed as closed
    response = registrar.post(f"/registrar/grades/classes/{offering.id}/reopen",
                              data={"reason": "", "until": (today() + timedelta(days=3)).isoformat()})
    assert response.status_code == 400
    assert 'id="reopen-reason-error"' in response.get_data(as_text=True)
    response = registrar.post(f"/registrar/grades/classes/{offering.id}/reopen",
                              data={"reason": "Professor was ill", "until": "not-a-date"})
    assert response.status_code == 400 and 'id="reopen-until-error"' in response.get_data(as_text=True)
    assert grades_service.find_sheet(offering.id) is None
    response = registrar.post(f"/registrar/grades/classes/{offering.id}/reopen",
                              data={"reason": "Professor was ill", "until": (today() + timedelta(days=3)).isoformat()})
    assert response.status_code == 302
    assert db.session.scalar(select(GradeSheet.late_entry_until)) == today() + timedelta(days=3)


def _posted(login):
    professor = make_user(Role.PROFESSOR)
    offering = make_class(professor=professor, code="IT101", title="Programming 1")
    a, b = add_to_class(offering), add_to_class(offering)
    post_grades(offering, {a.id: "2.00", b.id: "INC"})
    return login(professor), offering, a, b


def test_change_requests_flow_through_the_pages(login, as_role, app):
    professor, offering, a, b = _posted(login)
    response = professor.post(f"/professor/classes/{offering.id}/grades/{a.id}/change",
                              data={"new_value": "1.75", "reason": "Recomputed the final exam"})
    assert response.status_code == 302
    response = professor.post(f"/professor/classes/{offering.id}/grades/{b.id}/change",
                              data={"new_value": "DRP", "reason": ""})
    assert response.status_code == 422 and "numeric grade" in response.get_data(as_text=True)
    page = professor.get(f"/professor/classes/{offering.id}/grades").get_data(as_text=True)
    assert "Waiting for approval: 2.00 → 1.75" in page and "Post completion grade" in page

    registrar, _user = as_role("registrar")
    page = registrar.get("/registrar/grades/requests").get_data(as_text=True)
    assert "Waiting for your decision" in page and "Recomputed the final exam" in page
    request_id = grades_service.requests_for(_user)[0].id
    response = registrar.post(f"/registrar/grades/requests/{request_id}/decide", data={"decision": "approve"})
    assert response.status_code == 302
    db.session.refresh(a)
    assert a.grade == "1.75"

    history = registrar.get(f"/registrar/grades/students/{a.enrollment.student_id}").get_data(as_text=True)
    assert "Approved change" in history and "Recomputed the final exam" in history and "3 versions" in history


def test_a_registrars_own_request_cannot_be_approved_by_them_on_the_page(login, as_role):
    _professor, _offering, a, _b = _posted(login)
    head, head_user = as_role("head_registrar")
    response = head.post(f"/registrar/grades/enrollments/{a.id}/change",
                         data={"new_value": "1.50", "reason": "Encoding error", "student_id": a.enrollment.student_id})
    assert response.status_code == 302
    request_id = grades_service.requests_for(head_user)[0].id
    page = head.get("/registrar/grades/requests").get_data(as_text=True)
    assert "You cannot approve your own request" in page
    response = head.post(f"/registrar/grades/requests/{request_id}/decide", data={"decision": "approve"},
                         follow_redirects=True)
    assert "You cannot approve your own request" in response.get_data(as_text=True)
    db.session.refresh(a)
    assert a.grade == "2.00"
    # Another head registrar sees it among the ones only they may approve.
    other_head, _ = as_role("head_registrar")
    page = other_head.get("/registrar/grades/requests").get_data(as_text=True)
    section = page[page.index("Only you may approve"):page.index("Waiting for your decision")]
    assert "Encoding error" in section


def test_student_sees_grades_gpa_inc_countdown_and_retake_hint(login):
    student = make_student()
    failed = make_class(program=student.program, code="IT100", title="Computing")
    inc = make_class(program=student.program, code="IT200", title="Web Design", is_major=True)
    passed = make_class(program=student.program, code="GE1", title="Self", units=3)
    post_grades(failed, {add_to_class(failed, student).id: "5.00"})
    post_grades(inc, {add_to_class(inc, student).id: "INC"})
    post_grades(passed, {add_to_class(passed, student).id: "1.00"})
    client = login(student.user)
    html = client.get("/student/grades").get_data(as_text=True)
    db.session.refresh(student)
    assert str(student.cumulative_gpa) == "3.00"  # (15 + 3) / 6
    assert 'data-cumulative-gpa>3.00<' in html
    assert "Term GPA" in html
    days = (add_months(today(), 6) - today()).days
    assert f'data-days-left="{days}"' in html and "IT200 Web Design" in html
    assert "Take IT100 again" in html


def test_student_pages_show_only_their_own(login, as_role):
    student = make_student()
    other = make_student()
    client = login(student.user)
    assert client.post("/student/transcript").status_code == 302
    mine = db.session.scalar(select(Transcript))
    assert client.get(f"/student/transcripts/{mine.id}").status_code == 200
    other_client = login(other.user, client.application.test_client())
    assert other_client.get(f"/student/transcripts/{mine.id}").status_code == 404
    assert other_client.get(f"/student/transcripts/{mine.id}.pdf").status_code == 404
    professor, _ = as_role("professor")
    assert professor.get(f"/registrar/transcripts/{mine.id}").status_code == 403


def test_transcript_html_and_pdf_carry_the_code_and_the_qr(login, as_role):
    student = make_student()
    offering = make_class(program=student.program, code="IT101", title="Programming 1")
    post_grades(offering, {add_to_class(offering, student).id: "1.25"})
    registrar, _user = as_role("registrar")
    page = registrar.get(f"/registrar/grades/students/{student.id}/transcript").get_data(as_text=True)
    assert "IT101" in page and "Issue official transcript" in page
    response = registrar.post(f"/registrar/grades/students/{student.id}/transcript")
    assert response.status_code == 302
    issued = db.session.scalar(select(Transcript))
    html = registrar.get(response.headers["Location"]).get_data(as_text=True)
    assert issued.code in html and f"/verify/{issued.code}" in html and "<svg" in html
    assert "Official transcript of records" in html and 'data-cumulative-gpa>1.25<' in html
    pdf = registrar.get(f"/registrar/transcripts/{issued.id}.pdf")
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.data[:5] == b"%PDF-"
    student_client = login(student.user)
    assert student_client.get(f"/student/transcripts/{issued.id}").status_code == 200
    assert "IT101" in student_client.get("/student/transcript").get_data(as_text=True)


def test_the_distribution_chart_describes_its_counts(sheet):
    client, offering, (a, b, c) = sheet
    for se, value in ((a, "1.00"), (b, "1.00"), (c, "INC")):
        client.post(f"/professor/classes/{offering.id}/grades/{se.id}", data={f"grade-{se.id}": value}, headers=HX)
    html = client.get(f"/professor/classes/{offering.id}/grades").get_data(as_text=True)
    assert "1.00: 2;" in html and "INC: 1;" in html and "5.00: 0;" in html
    assert 'class="bar bar-pass"' in html and 'class="bar bar-inc"' in html


def test_registrar_can_find_a_student_and_see_their_grades(login, as_role):
    student = make_student(last_name="Dimaculangan")
    term = make_term()
    offering = make_class(program=student.program, term=term)
    post_grades(offering, {add_to_class(offering, student).id: "2.25"})
    gpa.recompute_all()
    registrar, _ = as_role("registrar")
    found = registrar.get("/registrar/grades?q=dimacul").get_data(as_text=True)
    assert student.student_number in found
    assert registrar.get(f"/registrar/grades/students/{student.id}").status_code == 200
    assert registrar.get("/registrar/grades/students/999999").status_code == 404
    assert registrar.get("/registrar/grades/classes/999999").status_code == 404
