"""Curriculum, term, section and schedule pages through the test client."""
import contextlib
import re

import pytest
from sqlalchemy import event, func, select

from richwell.extensions import db
from richwell.models import Program, Role, ScheduleSlot, Section, Subject, Term, subject_prerequisites
from tests.confirming import confirmed_post
from tests.factories import (
    make_offering,
    make_program,
    make_section,
    make_slot,
    make_subject,
    make_term,
    make_user,
)

HX = {"HX-Request": "true"}

REGISTRAR_PAGES = ["/registrar/curriculum", "/registrar/terms", "/registrar/sections", "/registrar/schedules",
                   "/registrar/schedules/conflicts"]


@contextlib.contextmanager
def count_statements():
    statements = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


# ---------------------------------------------------------------- access

@pytest.mark.parametrize("role", ["student", "cashier", "professor", "admission", "admin"])
def test_registrar_pages_are_for_registrars_only(as_role, role):
    client, _ = as_role(role)
    for url in REGISTRAR_PAGES:
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role", ["registrar", "head_registrar"])
def test_registrars_and_head_registrars_see_every_page(as_role, role):
    make_term()
    client, _ = as_role(role)
    for url in REGISTRAR_PAGES:
        assert client.get(url).status_code == 200, url


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get("/registrar/curriculum").status_code == 302
    assert client.get("/admin/programs").status_code == 302


def test_navigation_has_the_new_links(as_role):
    client, _ = as_role("registrar")
    page = text_of(client.get("/registrar/"))
    for label in ("Curriculum", "Terms", "Sections", "Schedules"):
        assert f">{label}</a>" in page
    admin, _ = as_role("admin")
    assert ">Programs</a>" in text_of(admin.get("/admin/"))


# ---------------------------------------------------------------- programs (admin)

def test_admin_creates_a_program_and_a_duplicate_code_is_refused_at_the_field(as_role):
    client, _ = as_role("admin")
    response = client.post("/admin/programs", data={"code": "bsit", "name": "BS Information Technology", "years": "4"})
    assert response.status_code == 302
    response = client.post("/admin/programs", data={"code": "BSIT", "name": "Again", "years": "4"})
    assert response.status_code == 409
    assert 'id="code-error"' in text_of(response) and "already exists" in text_of(response)
    assert db.session.scalar(select(func.count(Program.id))) == 1


def test_admin_edits_a_program(as_role):
    client, _ = as_role("admin")
    program = make_program("BSBA")
    response = client.post(f"/admin/programs/{program.id}", data={"name": "Business", "years": "9"})
    assert response.status_code == 400 and "Years must be a whole number from 1 to 5." in text_of(response)
    response = client.post(f"/admin/programs/{program.id}", data={"name": "Business", "years": "4"})
    assert response.status_code == 302
    db.session.refresh(program)
    assert (program.name, program.is_active) == ("Business", False)
    assert client.get("/admin/programs/99999").status_code == 404


# ---------------------------------------------------------------- subjects and prerequisites

@pytest.mark.parametrize("units", ["0", "-2", "7", "seven", ""])
def test_subject_form_refuses_bad_units_at_the_field(as_role, units):
    client, _ = as_role("registrar")
    program = make_program("BSIT")
    response = client.post(f"/registrar/curriculum/{program.id}/subjects/new", data={
        "code": "IT101", "title": "Intro", "units": units, "is_major": "major", "year_level": "1",
        "semester": "FIRST"})
    assert response.status_code == 400
    page = text_of(response)
    assert '<p id="units-error" class="field-error" role="alert">Units must be a whole number from 1 to 6.</p>' in page
    assert 'aria-invalid="true"' in page
    assert db.session.scalar(select(func.count(Subject.id))) == 0


def test_subject_is_added_then_edited(as_role):
    client, _ = as_role("registrar")
    program = make_program("BSIT")
    response = client.post(f"/registrar/curriculum/{program.id}/subjects/new", data={
        "code": "it101", "title": "Intro to Computing", "units": "3", "is_major": "minor", "year_level": "1",
        "semester": "FIRST"})
    subject = db.session.scalar(select(Subject))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/registrar/subjects/{subject.id}")
    assert (subject.code, subject.is_major) == ("IT101", False)
    make_subject(program, "IT102")
    response = client.post(f"/registrar/subjects/{subject.id}", data={
        "code": "IT102", "title": "X", "units": "3", "is_major": "major", "year_level": "1", "semester": "FIRST"})
    assert response.status_code == 409 and "BSIT already has a subject with the code IT102." in text_of(response)
    response = client.post(f"/registrar/subjects/{subject.id}", data={
        "code": "IT100", "title": "Computing", "units": "2", "is_major": "major", "year_level": "1",
        "semester": "SECOND"})
    assert response.status_code == 302
    db.session.refresh(subject)
    assert (subject.code, subject.units, subject.semester) == ("IT100", 2, "SECOND")


def test_a_cycle_is_refused_at_the_prerequisite_field_over_htmx(as_role):
    client, _ = as_role("registrar")
    program = make_program("BSIT")
    it201 = make_subject(program, "IT201")
    it301 = make_subject(program, "IT301", prerequisites=(it201,))
    response = client.post(f"/registrar/subjects/{it201.id}/prerequisites", data={"prerequisite_id": it301.id},
                           headers=HX)
    assert response.status_code == 422
    page = text_of(response)
    assert "<html" not in page and 'id="prerequisites"' in page
    assert ('<p id="prerequisite_id-error" class="field-error" role="alert">IT201 cannot require IT301: '
            'that would close the cycle IT201 → IT301 → IT201.</p>') in page
    assert db.session.scalar(select(func.count()).select_from(subject_prerequisites)) == 1


def test_linking_and_unlinking_prerequisites_over_htmx_and_plain_posts(as_role):
    client, _ = as_role("registrar")
    program = make_program("BSIT")
    it102, it103 = make_subject(program, "IT102"), make_subject(program, "IT103")
    response = client.post(f"/registrar/subjects/{it103.id}/prerequisites", data={"prerequisite_id": it102.id},
                           headers=HX)
    assert response.status_code == 200 and "<strong>IT102</strong>" in text_of(response)
    response = client.post(f"/registrar/subjects/{it103.id}/prerequisites/{it102.id}/remove")
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(subject_prerequisites)) == 0


def test_a_prerequisite_from_another_program_is_refused_on_the_page(as_role):
    client, _ = as_role("registrar")
    it101 = make_subject(make_program("BSIT"), "IT101")
    ba101 = make_subject(make_program("BSBA"), "BA101")
    response = client.post(f"/registrar/subjects/{it101.id}/prerequisites", data={"prerequisite_id": ba101.id})
    assert response.status_code == 400
    assert "BA101 belongs to BSBA; a prerequisite must be a subject of BSIT." in text_of(response)


def test_curriculum_page_shows_years_units_prerequisites_and_the_graph(as_role):
    client, _ = as_role("registrar")
    program = make_program("BSIT")
    it102 = make_subject(program, "IT102", units=3)
    make_subject(program, "PE1", units=2, is_major=False)
    make_subject(program, "IT103", units=3, semester="SECOND", prerequisites=(it102,))
    page = text_of(client.get(f"/registrar/curriculum/{program.id}"))
    assert "First year" in page and "1st semester" in page and "2nd semester" in page
    assert '<strong id="total-units">8 units</strong>' in page
    assert '<td class="num" data-semester-units>5</td>' in page
    assert "<td>IT102</td>" in page  # IT103's prerequisite by code
    assert "<svg" in page and "IT103 requires IT102" in page and 'role="img"' in page


def _curriculum(n: int) -> Program:
    program = make_program(f"P{n}")
    previous = None
    for i in range(n):
        previous = make_subject(program, f"S{i:03d}", year_level=1 + i % 4,
                                semester="FIRST" if i % 2 else "SECOND",
                                prerequisites=(previous,) if previous is not None and i % 3 else ())
    return program


def test_the_curriculum_page_runs_the_same_number_of_statements_for_5_or_40_subjects(as_role):
    client, _ = as_role("registrar")
    small, large = _curriculum(5), _curriculum(40)
    counts = []
    for program in (small, large):
        db.session.rollback()  # each request starts its own transaction, like in production
        with count_statements() as statements:
            assert client.get(f"/registrar/curriculum/{program.id}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def _section_with(n: int, term: Term, professor) -> Section:
    program = make_program(f"Q{n}")
    section = make_section(term, program)
    for i in range(n):
        offering = make_offering(section, make_subject(program, f"T{i:03d}"), professor if i % 2 else None)
        make_slot(offering, day=i % 6, start=f"{7 + i % 10:02d}:00", end=f"{8 + i % 10:02d}:00", room=f"RM {i % 4}")
    return section


def test_the_section_schedule_page_runs_the_same_number_of_statements_for_5_or_40_classes(as_role):
    client, _ = as_role("registrar")
    term = make_term()
    professor = make_user(Role.PROFESSOR)
    small, large = _section_with(5, term, professor), _section_with(40, term, professor)
    counts = []
    for section in (small, large):
        db.session.rollback()  # each request starts its own transaction, like in production
        with count_statements() as statements:
            assert client.get(f"/registrar/sections/{section.id}").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    for section in (small, large):  # the HTMX grid fragment too
        db.session.rollback()  # each request starts its own transaction, like in production
        with count_statements() as statements:
            client.get(f"/registrar/schedules?term_id={term.id}&section_id={section.id}", headers=HX)
        counts.append(len(statements))
    assert counts[2] == counts[3], counts


# ---------------------------------------------------------------- terms

TERM = {"academic_year": "2026-2027", "semester": "FIRST", "start_date": "2026-08-03", "end_date": "2026-12-18",
        "enrollment_open": "2026-08-03", "enrollment_close": "2026-08-21", "drop_deadline": "2026-09-04",
        "grade_deadline": "2026-12-16"}


def test_a_term_with_dates_out_of_order_is_refused_at_each_field(as_role):
    client, _ = as_role("registrar")
    response = client.post("/registrar/terms", data={**TERM, "enrollment_close": "2026-08-01",
                                                     "grade_deadline": "not a date"})
    assert response.status_code == 400
    page = text_of(response)
    assert ('<p id="enrollment_close-error" class="field-error" role="alert">'
            'Enrollment must close after it opens.') in page
    assert 'id="grade_deadline-error"' in page
    assert db.session.scalar(select(func.count(Term.id))) == 0


def test_a_second_current_term_is_refused_on_the_page(as_role):
    client, _ = as_role("registrar")
    assert client.post("/registrar/terms", data={**TERM, "make_current": "y"}).status_code == 302
    response = client.post("/registrar/terms", data={**TERM, "semester": "SECOND", "make_current": "y"})
    assert response.status_code == 400
    assert 'id="make_current-error"' in text_of(response)
    assert db.session.scalar(select(func.count(Term.id))) == 1


def test_the_registrar_switches_the_current_term(as_role):
    client, _ = as_role("registrar")
    old = make_term(current=True)
    new = make_term(current=False, semester="SECOND")
    response = confirmed_post(client, f"/registrar/terms/{new.id}/make-current", {"reason": ""}, follow_redirects=True)
    assert "2nd semester 2026-2027 is now the current term." in text_of(response)
    db.session.refresh(old)
    db.session.refresh(new)
    assert (old.is_current, new.is_current) == (False, True)
    assert client.post("/registrar/terms/99999/make-current").status_code == 302


def test_term_dates_are_edited_on_their_page(as_role):
    client, _ = as_role("registrar")
    term = make_term()
    assert client.get(f"/registrar/terms/{term.id}").status_code == 200
    data = {k: v for k, v in TERM.items() if k not in ("academic_year", "semester")}
    assert client.post(f"/registrar/terms/{term.id}", data={**data, "end_date": "2026-01-01"}).status_code == 400
    assert client.post(f"/registrar/terms/{term.id}", data=data).status_code == 302


# ---------------------------------------------------------------- sections and slots

def test_block_sections_from_the_sections_page(as_role):
    client, _ = as_role("registrar")
    term = make_term()
    program = make_program("BSIT")
    make_subject(program, "IT101")
    make_subject(program, "GE101", is_major=False)
    response = client.post(f"/registrar/sections/block?term_id={term.id}", data={
        "block-program_id": program.id, "block-year_level": "1", "block-count": "2", "block-capacity": "30"})
    assert response.status_code == 302
    assert sorted(db.session.scalars(select(Section.code))) == ["BSIT-1A", "BSIT-1B"]
    page = text_of(client.get(f"/registrar/sections?term_id={term.id}"))
    assert "BSIT-1B" in page and "2 TBA" in page
    response = client.post(f"/registrar/sections/block?term_id={term.id}", data={
        "block-program_id": program.id, "block-year_level": "1", "block-count": "0", "block-capacity": "30"})
    assert response.status_code == 400 and 'id="block-count-error"' in text_of(response)


def test_a_section_is_created_and_its_capacity_is_checked(as_role):
    client, _ = as_role("registrar")
    term = make_term()
    program = make_program("BSBA")
    response = client.post(f"/registrar/sections?term_id={term.id}", data={
        "one-program_id": program.id, "one-year_level": "1", "one-code": "", "one-capacity": "abc"})
    assert response.status_code == 400 and "Capacity must be a whole number from 1 to 500." in text_of(response)
    response = client.post(f"/registrar/sections?term_id={term.id}", data={
        "one-program_id": program.id, "one-year_level": "1", "one-code": "", "one-capacity": "40"})
    section = db.session.scalar(select(Section))
    assert response.status_code == 302 and section.code == "BSBA-1A"


def test_a_professor_conflict_is_refused_over_htmx_then_overridden_with_a_reason(as_role):
    client, registrar = as_role("registrar")
    term, program = make_term(), make_program("BSIT")
    professor = make_user(Role.PROFESSOR, first_name="Maria", last_name="Garcia")
    a_section, b_section = make_section(term, program, code="BSIT-1A"), make_section(term, program, code="BSIT-1B")
    make_slot(make_offering(a_section, make_subject(program, "IT101"), professor), day=0, start="08:00", end="09:30")
    offering = make_offering(b_section, make_subject(program, "IT102"), professor)
    url = f"/registrar/offerings/{offering.id}/slots"
    prefix = f"o{offering.id}-slot-"
    data = {prefix + "day": "0", prefix + "start_time": "09:00", prefix + "end_time": "10:30", prefix + "room": "RM 2"}
    response = client.post(url, data=data, headers=HX)
    assert response.status_code == 422
    page = text_of(response)
    assert "<html" not in page
    assert f'id="{prefix}override_reason-error"' in page
    assert "Maria Garcia already teaches IT101 in BSIT-1A on Mon 8:00 AM–9:30 AM." in page
    assert db.session.scalar(select(func.count(ScheduleSlot.id))) == 1
    response = client.post(url, data={**data, prefix + "override_reason": "Joint lecture in the AVR this week."},
                           headers=HX)
    assert response.status_code == 200
    page = text_of(response)
    assert "placed over a professor conflict (override recorded)" in page
    assert "Override: Joint lecture in the AVR this week." in page and "Professor conflict" in page
    slot = db.session.scalar(select(ScheduleSlot).where(ScheduleSlot.offering_id == offering.id))
    assert slot.override_reason == "Joint lecture in the AVR this week."


def test_a_slot_ending_before_it_starts_is_refused_on_the_page_without_javascript(as_role):
    client, _ = as_role("registrar")
    term, program = make_term(), make_program("BSIT")
    offering = make_offering(make_section(term, program), make_subject(program))
    prefix = f"o{offering.id}-slot-"
    response = client.post(f"/registrar/offerings/{offering.id}/slots", data={
        prefix + "day": "2", prefix + "start_time": "11:00", prefix + "end_time": "10:00"})
    assert response.status_code == 400
    page = text_of(response)
    assert "<html" in page and f'id="{prefix}end_time-error"' in page and "The class must end after it starts." in page
    assert db.session.scalar(select(func.count(ScheduleSlot.id))) == 0


def test_a_room_double_booking_shows_a_warning(as_role):
    client, _ = as_role("registrar")
    term, program = make_term(), make_program("BSIT")
    make_slot(make_offering(make_section(term, program, code="BSIT-1A"), make_subject(program, "IT101")),
              day=1, start="08:00", end="09:30", room="RM 7")
    offering = make_offering(make_section(term, program, code="BSIT-1B"), make_subject(program, "IT102"))
    prefix = f"o{offering.id}-slot-"
    response = client.post(f"/registrar/offerings/{offering.id}/slots", data={
        prefix + "day": "1", prefix + "start_time": "08:00", prefix + "end_time": "09:00", prefix + "room": "RM 7"},
        headers=HX)
    assert response.status_code == 200
    page = text_of(response)
    assert "<strong>Warning:</strong> Room RM 7 is also booked for IT101 in BSIT-1A" in page
    assert "Room double-booked" in page


def test_professor_assignment_capacity_and_slot_removal_on_the_section_page(as_role):
    client, _ = as_role("registrar")
    term, program = make_term(), make_program("BSIT")
    professor = make_user(Role.PROFESSOR, first_name="Jose", last_name="Ramos")
    section = make_section(term, program)
    offering = make_offering(section, make_subject(program, "IT101"))
    slot = make_slot(offering)
    prefix = f"o{offering.id}-prof-"
    response = client.post(f"/registrar/offerings/{offering.id}/professor",
                           data={prefix + "professor_id": professor.id}, headers=HX)
    assert response.status_code == 200 and "IT101: professor Jose Ramos." in text_of(response)
    response = client.post(f"/registrar/sections/{section.id}/capacity", data={"capacity": "0"}, headers=HX)
    assert response.status_code == 400 and 'id="capacity-error"' in text_of(response)
    assert client.post(f"/registrar/sections/{section.id}/capacity", data={"capacity": "25"}).status_code == 302
    db.session.refresh(offering)
    assert offering.capacity == 25
    assert client.post(f"/registrar/slots/{slot.id}/remove", headers=HX).status_code == 200
    assert db.session.scalar(select(func.count(ScheduleSlot.id))) == 0
    assert client.post("/registrar/slots/99999/remove").status_code == 404
    assert client.get("/registrar/sections/99999").status_code == 404


def test_grids_per_section_professor_and_room_answer_fragments_over_htmx(as_role):
    client, _ = as_role("registrar")
    term, program = make_term(), make_program("BSIT")
    professor = make_user(Role.PROFESSOR, first_name="Liza", last_name="Aquino")
    section = make_section(term, program, code="BSIT-2A")
    make_slot(make_offering(section, make_subject(program, "IT201"), professor), day=3, room="CL 1")
    for query, caption in ((f"section_id={section.id}", "BSIT-2A"), (f"professor_id={professor.id}", "Liza Aquino"),
                           ("room=cl+1", "Room CL 1")):
        response = client.get(f"/registrar/schedules?term_id={term.id}&{query}", headers=HX)
        page = text_of(response)
        assert response.status_code == 200 and "<html" not in page
        assert caption in page and "IT201" in page and 'class="weekly-grid"' in page
        full = text_of(client.get(f"/registrar/schedules?term_id={term.id}&{query}"))
        assert "<html" in full and "IT201" in full
    assert client.get(f"/registrar/schedules?term_id={term.id}&section_id=99999", headers=HX).status_code == 404
    other_user = make_user(Role.CASHIER)
    assert client.get(f"/registrar/schedules?term_id={term.id}&professor_id={other_user.id}").status_code == 404


def test_the_conflicts_page_lists_open_conflicts(as_role):
    client, _ = as_role("registrar")
    term, program = make_term(), make_program("BSIT")
    section = make_section(term, program, code="BSIT-1A")
    make_slot(make_offering(section, make_subject(program, "IT101")), room="RM 1")
    make_slot(make_offering(section, make_subject(program, "IT102")), room="RM 1")
    page = text_of(client.get("/registrar/schedules/conflicts"))
    assert "Room RM 1 is double-booked" in page and "BSIT-1A has IT101" in page


# ---------------------------------------------------------------- professor home

def test_a_professor_sees_only_their_own_classes_this_term(as_role):
    client, professor = as_role("professor")
    other = make_user(Role.PROFESSOR)
    term, program = make_term(), make_program("BSIT")
    section = make_section(term, program, code="BSIT-3A")
    make_slot(make_offering(section, make_subject(program, "IT301", title="Advanced Databases"), professor),
              day=4, start="13:00", end="14:30", room="CL 2")
    make_slot(make_offering(section, make_subject(program, "IT302", title="Networking 2"), other), day=4)
    past = make_section(make_term(current=False, academic_year="2020-2021"), program, code="OLD-1A")
    make_offering(past, make_subject(program, "IT999", title="Old Subject"), professor)
    page = text_of(client.get("/professor/"))
    assert "Advanced Databases" in page and "IT301 · BSIT-3A" in page and "1:00 PM–2:30 PM" in page
    assert "Networking 2" not in page and "Old Subject" not in page
    assert 'class="weekly-grid"' in page


def test_the_professor_home_works_without_a_current_term(as_role):
    client, _ = as_role("professor")
    assert "There is no current term yet." in text_of(client.get("/professor/"))
