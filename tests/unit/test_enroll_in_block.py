""""Enroll in my block": every subject of the student's block section under the same rules,
each in its own unit of work, so a full or clashing subject is refused with its reason and
the rest still enroll."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import AuditEntry, Offering, SubjectEnrollment
from richwell.services.enrollment import advise, block_section, enroll_in_block, enroll_in_subject
from richwell.services.enrollment.block import NoBlockSection
from richwell.services.platform.unit_of_work import unit_of_work
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


def _world():
    program = make_program(code="BSIT")
    term = make_term(open_today=True)
    student = make_student(program=program, year_level=1)
    te = make_enrollment(student, term)
    pay_first_month(te)
    block_a = new_section(term, program, "BSIT-1A")
    block_b = new_section(term, program, "BSIT-1B")
    subjects = [new_subject(program, f"IT10{i}", title=f"Subject {i}") for i in range(1, 5)]
    offers = {}
    for day, subject in enumerate(subjects):
        offers[subject.code] = new_offering(subject, block_a, slots=[(day, "08:00", "09:30")])
    # BSIT-1B offers only one of them: BSIT-1A covers the most, so it is the block.
    new_offering(subjects[0], block_b, slots=[(5, "08:00", "09:30")])
    return SimpleNamespace(program=program, term=term, student=student, te=te, a=block_a, b=block_b,
                           subjects=subjects, offers=offers, user=student.user)


def _enrolled_codes(te_id):
    return sorted(db.session.scalars(
        select(Offering.subject_id).join(SubjectEnrollment, SubjectEnrollment.offering_id == Offering.id)
        .where(SubjectEnrollment.term_enrollment_id == te_id, SubjectEnrollment.status == "ENROLLED")).all())


def test_the_block_is_the_section_offering_the_most_regular_subjects():
    w = _world()
    block = block_section(advise(w.te.id, w.user))
    assert block is not None and block.section_code == "BSIT-1A"
    assert [s.choice.code for s in block.subjects] == ["IT101", "IT102", "IT103", "IT104"]


def test_enroll_in_block_enrolls_every_subject_of_the_block():
    w = _world()
    result = enroll_in_block(w.te.id, w.user)
    assert result.section_code == "BSIT-1A"
    assert [o.code for o in result.enrolled] == ["IT101", "IT102", "IT103", "IT104"] and not result.refused
    assert _enrolled_codes(w.te.id) == sorted(s.id for s in w.subjects)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.like("enrollment.%"))) >= 4


def test_a_full_and_a_clashing_subject_are_refused_with_reasons_and_the_rest_still_enroll():
    w = _world()
    full = w.offers["IT102"]
    full.capacity, full.enrolled_count = 1, 1
    # IT104 (Thursday in the block) clashes with a class the student already takes elsewhere.
    other = new_section(w.term, w.program, "BSIT-1C")
    elective = new_subject(w.program, "GE001", title="Elective", year_level=2)
    new_offering(elective, other, slots=[(3, "08:30", "10:00")])
    db.session.commit()
    enroll_in_subject(w.te.id, elective.id, other.id, w.user)

    result = enroll_in_block(w.te.id, w.user)

    assert [o.code for o in result.enrolled] == ["IT101", "IT103"]
    refused = {o.code: o for o in result.refused}
    assert set(refused) == {"IT102", "IT104"}
    assert refused["IT102"].refusal_code == "section_full" and "BSIT-1A is full" in refused["IT102"].message
    assert refused["IT104"].refusal_code == "schedule_conflict" and "GE001" in refused["IT104"].message
    db.session.expire_all()
    ids = {s.code: s.id for s in w.subjects}
    assert _enrolled_codes(w.te.id) == sorted([ids["IT101"], ids["IT103"], elective.id])
    assert db.session.get(Offering, full.id).enrolled_count == 1


def test_enrolling_the_block_twice_changes_nothing_the_second_time():
    w = _world()
    enroll_in_block(w.te.id, w.user)
    again = enroll_in_block(w.te.id, w.user)
    assert not again.enrolled and not again.refused and len(again.already) == 4
    assert len(_enrolled_codes(w.te.id)) == 4


def test_another_students_block_is_not_found():
    w = _world()
    stranger = make_student(program=w.program, year_level=1)
    from richwell.services.platform.errors import NotFound
    with pytest.raises(NotFound):
        enroll_in_block(w.te.id, stranger.user)
    assert _enrolled_codes(w.te.id) == []


def test_no_block_section_is_a_clear_refusal():
    program = make_program(code="BSBA")
    term = make_term(open_today=True)
    student = make_student(program=program, year_level=1)
    te = make_enrollment(student, term)
    with pytest.raises(NoBlockSection):
        enroll_in_block(te.id, student.user)


def test_enroll_in_block_refuses_to_run_inside_a_unit_of_work():
    w = _world()
    with pytest.raises(RuntimeError), unit_of_work():
        enroll_in_block(w.te.id, w.user)
