"""DOMAIN.md "Recommended subjects (advising)": the program's subjects for the student's year
level and the term's semester, plus back subjects and retakes whose prerequisites are met;
other offered subjects are irregular. Computed with a bounded number of statements."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from richwell.extensions import db
from richwell.models import Role
from richwell.services.enrollment import advise, enroll_in_subject, preview_meetings, registration
from richwell.services.platform.errors import NotFound
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


@pytest.fixture
def world():
    program = make_program(code="BSIT")
    old_term = make_term(current=False, academic_year="2025-2026", semester="FIRST")
    term = make_term(academic_year="2026-2027", semester="FIRST")
    student = make_student(program=program, year_level=2)
    old = make_enrollment(student, old_term)
    te = make_enrollment(student, term)
    pay_first_month(te)
    s = {code: new_subject(program, code, year_level=y, semester=sem, title=f"Title {code}")
         for code, y, sem in [("IT101", 1, "FIRST"), ("IT102", 1, "SECOND"), ("IT103", 1, "SECOND"),
                              ("IT104", 1, "FIRST"), ("IT201", 2, "FIRST"), ("IT202", 2, "FIRST"),
                              ("IT301", 3, "FIRST"), ("IT105", 1, "FIRST")]}
    s["IT201"].prerequisites.append(s["IT101"])
    s["IT103"].prerequisites.append(s["IT104"])  # IT104 failed: IT103 (a back subject) not recommended
    db.session.commit()
    past_result(old, s["IT101"], "PASSED")
    past_result(old, s["IT104"], "FAILED")
    past_result(old, s["IT105"], "DROPPED")
    sec_a = new_section(term, program, "BSIT-2A", year_level=2)
    sec_b = new_section(term, program, "BSIT-2B", year_level=2)
    prof = make_user(Role.PROFESSOR, first_name="Pedro", last_name="Santos")
    new_offering(s["IT201"], sec_a, slots=[(0, "08:00", "09:30")], professor=prof)
    new_offering(s["IT201"], sec_b, slots=[(0, "10:00", "11:30")], capacity=2, enrolled_count=2)
    new_offering(s["IT202"], sec_a, slots=[(0, "09:00", "10:00")])
    new_offering(s["IT102"], sec_a, slots=[(2, "08:00", "09:00")])
    new_offering(s["IT103"], sec_a, slots=[(2, "09:00", "10:00")])
    new_offering(s["IT104"], sec_a, slots=[(3, "08:00", "09:00")])
    new_offering(s["IT105"], sec_a, slots=[(3, "09:00", "10:00")])
    new_offering(s["IT301"], sec_a, slots=[(4, "08:00", "09:00")])
    return type("W", (), {"te": te, "s": s, "sec_a": sec_a, "sec_b": sec_b, "student": student})


def _by_code(choices):
    return {c.code: c for c in choices}


def test_advising_recommends_year_and_semester_subjects_back_subjects_and_retakes(world):
    advice = advise(world.te.id, world.student.user)
    recommended = _by_code(advice.recommended)
    assert list(recommended) == ["IT201", "IT202", "IT104", "IT105", "IT102"]
    assert [c.category for c in advice.recommended] == ["regular", "regular", "retake", "retake", "back"]
    assert recommended["IT201"].reason == "Year 2, 1st semester subject of your curriculum."
    assert recommended["IT104"].reason == "Retake: failed in 1st semester 2025-2026."
    assert recommended["IT105"].reason == "Retake: dropped in 1st semester 2025-2026."
    assert recommended["IT102"].reason == "Back subject from Year 1, 2nd semester, not yet taken."


def test_advising_lists_other_offered_subjects_as_irregular_and_skips_passed_ones(world):
    advice = advise(world.te.id, world.student.user)
    irregular = _by_code(advice.irregular)
    assert list(irregular) == ["IT103", "IT301"]
    assert "prerequisites are not met" in irregular["IT103"].reason
    assert [r.code for r in irregular["IT103"].refusals] == ["prerequisite"]
    assert irregular["IT301"].can_enroll and irregular["IT301"].is_irregular
    assert "IT101" not in _by_code(advice.recommended + advice.irregular)  # passed


def test_advising_sections_carry_schedule_professor_seats_and_reasons(world):
    advice = advise(world.te.id, world.student.user)
    it201 = _by_code(advice.recommended)["IT201"]
    a, b = it201.sections
    assert (a.section_code, a.professor, a.seats_left, a.can_enroll) == ("BSIT-2A", "Pedro Santos", 40, True)
    assert a.meetings[0].when == "Mon 8:00 AM–9:30 AM"
    assert (b.professor, b.seats_left, b.can_enroll) == ("TBA", 0, False)
    assert [r.code for r in b.refusals] == ["section_full"]
    assert not b.can_override  # a student overrides nothing
    assert advise(world.te.id, make_user(Role.REGISTRAR)).recommended[0].sections[1].can_override


def test_advising_marks_clashes_with_enrolled_classes_and_the_enrolled_subject(world):
    enroll_in_subject(world.te.id, world.s["IT201"].id, world.sec_a.id, world.student.user)
    advice = advise(world.te.id, world.student.user)
    rec = _by_code(advice.recommended)
    assert rec["IT201"].enrolled.section_code == "BSIT-2A" and rec["IT201"].enrolled.can_drop
    [it202] = rec["IT202"].sections
    assert not it202.can_enroll
    assert it202.refusals[0].message.startswith("IT202 in section BSIT-2A (Mon 9:00 AM–10:00 AM) clashes with IT201")
    assert advice.enrolled_units == 3 and [m.subject_code for m in advice.timetable] == ["IT201"]


def test_advising_before_month1_is_paid_says_so_on_every_subject(world):
    world.te.buckets[0].paid = 0
    db.session.commit()
    advice = advise(world.te.id, world.student.user)
    assert not advice.first_month_paid and advice.month1_due == world.te.monthly_commitment
    assert not advice.can_add
    assert all(c.refusals[0].code == "first_month_unpaid" for c in advice.recommended)
    assert advise(world.te.id, make_user(Role.ADMIN)).can_add


def test_a_student_reads_only_their_own_advising_preview_and_registration(world):
    """Ownership lives in the service: another student (or a role that does not enroll) finds
    nothing; registrars and administrators read any enrollment."""
    other = make_student(program=make_program(code="BSCS"))
    reads = (lambda user: advise(world.te.id, user), lambda user: preview_meetings(world.te.id, user),
             lambda user: registration(world.te.id, user))
    for read in reads:
        for user in (other.user, make_user(Role.CASHIER), make_user(Role.PROFESSOR)):
            with pytest.raises(NotFound):
                read(user)
        for user in (world.student.user, make_user(Role.REGISTRAR), make_user(Role.HEAD_REGISTRAR),
                     make_user(Role.ADMIN)):
            read(user)
    assert advise(world.te.id, make_user(Role.HEAD_REGISTRAR)).viewer == "registrar"


def _statements(fn):
    count = 0

    def _count(*args):
        nonlocal count
        count += 1

    db.session.expire_all()
    db.session.info.clear()  # the settings cache lives per session: count a fresh request's reads
    event.listen(db.engine, "before_cursor_execute", _count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", _count)
    return count


@pytest.mark.parametrize("viewer", ["student", "registrar"])
def test_advising_runs_a_bounded_number_of_statements(viewer):
    program = make_program(code="BSCS")
    term = make_term()
    student = make_student(program=program)
    te = make_enrollment(student, term)
    pay_first_month(te)
    sections = [new_section(term, program, f"BSCS-1{c}") for c in "ABCD"]

    def grow(n):
        for i in range(n):
            subject = new_subject(program, year_level=1 + i % 4, prerequisites=[])
            for j, section in enumerate(sections[: 1 + i % 4]):
                new_offering(subject, section, slots=[(i % 6, f"{7 + j:02d}:00", f"{8 + j:02d}:00")])

    user = student.user if viewer == "student" else make_user(Role.REGISTRAR)
    grow(5)
    small = _statements(lambda: advise(te.id, user))
    grow(35)
    large = _statements(lambda: advise(te.id, user))
    assert small == large <= 10
