"""DOMAIN.md "Subject enrollment" check 4: a prerequisite's latest result must be PASSED or CREDITED."""
import pytest

from richwell.extensions import db
from richwell.models import Subject, SubjectEnrollment, TransferCredit
from richwell.services.academics.prerequisites import latest_results, unmet_prerequisites
from tests.factories import make_enrollment, make_program, make_student, make_term


def _subjects(program):
    intro = Subject(program_id=program.id, code="IT101", title="Programming 1", units=3, year_level=1,
                    semester="FIRST")
    nxt = Subject(program_id=program.id, code="IT102", title="Programming 2", units=3, year_level=1,
                  semester="SECOND")
    nxt.prerequisites.append(intro)
    db.session.add_all([intro, nxt])
    db.session.commit()
    return intro, nxt


@pytest.mark.parametrize("status,met", [("PASSED", True), ("INC", False), ("FAILED", False),
                                        ("DROPPED", False), ("ENROLLED", False)])
def test_prerequisite_latest_result(status, met):
    program = make_program()
    intro, nxt = _subjects(program)
    student = make_student(program=program)
    enrollment = make_enrollment(student, make_term())
    db.session.add(SubjectEnrollment(term_enrollment_id=enrollment.id, subject_id=intro.id, status=status))
    db.session.commit()
    unmet = unmet_prerequisites(student.id, nxt)
    assert (unmet == []) is met
    if not met:
        assert unmet[0].subject.code == "IT101"
        assert "IT101" in unmet[0].sentence


def test_prerequisite_never_taken_blocks():
    program = make_program()
    intro, nxt = _subjects(program)
    student = make_student(program=program)
    [unmet] = unmet_prerequisites(student.id, nxt)
    assert unmet.sentence == "IT101 Programming 1 has not been taken"


def test_prerequisite_latest_attempt_wins_failed_then_passed():
    program = make_program()
    intro, nxt = _subjects(program)
    student = make_student(program=program)
    old = make_enrollment(student, make_term(academic_year="2025-2026"))
    new = make_enrollment(student, make_term(academic_year="2026-2027"))
    db.session.add_all([
        SubjectEnrollment(term_enrollment_id=old.id, subject_id=intro.id, status="FAILED"),
        SubjectEnrollment(term_enrollment_id=new.id, subject_id=intro.id, status="PASSED"),
    ])
    db.session.commit()
    assert latest_results(student.id, [intro.id]) == {intro.id: "PASSED"}
    assert unmet_prerequisites(student.id, nxt) == []


def test_prerequisite_credited_transfer_satisfies_and_disputed_does_not():
    program = make_program()
    intro, nxt = _subjects(program)
    student = make_student(program=program, admission_type="TRANSFEREE")
    credit = TransferCredit(student_id=student.id, subject_id=intro.id, source_school="STI", original_code="CS1",
                            original_title="Intro to Programming", original_grade="1.75", units=3)
    db.session.add(credit)
    db.session.commit()
    assert unmet_prerequisites(student.id, nxt) == []
    credit.status = "DISPUTED"
    db.session.commit()
    assert [u.result for u in unmet_prerequisites(student.id, nxt)] == ["NOT_TAKEN"]
