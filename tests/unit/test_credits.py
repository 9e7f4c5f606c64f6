"""DOMAIN.md "Transferee credits": the registrar creates transferees and credits their prior
subjects; credits satisfy prerequisites; only the head registrar settles a disputed credit."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import AuditEntry, Role, Student, SubjectEnrollment, TransferCredit, User
from richwell.services.academics.prerequisites import unmet_prerequisites
from richwell.services.admissions import credits
from richwell.services.platform import accounts, settings
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, ValidationError
from tests.factories import (
    application_values,
    documents,
    make_enrollment,
    make_program,
    make_student,
    make_subject,
    make_user,
    open_admissions,
)

pytestmark = pytest.mark.usefixtures("empty_uploads")


def _transferee_values(program, **overrides):
    values = application_values(program, **{"previous_school": "STI College Malolos",
                                             "previous_course": "BS Computer Science", **overrides})
    values.pop("password")
    return values


def _credit_values(subject, **overrides):
    values = {"subject_id": subject.id, "source_school": "STI College Malolos", "original_code": "CS101",
              "original_title": "Introduction to Programming", "original_grade": "1.75", "units": 3}
    values.update(overrides)
    return values


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_transferee_flow_end_to_end_credit_satisfies_a_prerequisite():
    """Created by the registrar, credited, and the credit meets the prerequisite through the
    same service the subject enrollment uses."""
    program = open_admissions(link=False)  # the registrar's door does not depend on the online switch
    intro = make_subject(program, "IT101")
    advanced = make_subject(program, "IT102", semester="SECOND", prerequisites=[intro])
    registrar = make_user(Role.REGISTRAR)
    admitted = credits.create_transferee(registrar, documents=documents(), **_transferee_values(program))
    student = admitted.student
    assert [u.result for u in unmet_prerequisites(student.id, advanced)] == ["NOT_TAKEN"]
    credit = credits.add_credit(registrar, student.id, **_credit_values(intro))
    assert credit.status == "ACCEPTED" and credit.counted_in_gpa is False
    assert unmet_prerequisites(student.id, advanced) == []
    # A dispute suspends the credit; the head registrar's acceptance restores it.
    credits.dispute_credit(registrar, credit.id, "The grade on the TOR looks altered.")
    assert [u.result for u in unmet_prerequisites(student.id, advanced)] == ["NOT_TAKEN"]
    credits.settle_credit(make_user(Role.HEAD_REGISTRAR), credit.id, "ACCEPT", "Verified with STI.")
    assert unmet_prerequisites(student.id, advanced) == []
    assert credits.credits_of(student.id) == [credit]


def test_registrar_created_transferee_gets_a_generated_password_to_change():
    program = open_admissions()
    admitted = credits.create_transferee(make_user(Role.REGISTRAR), **_transferee_values(program))
    student = admitted.student
    assert student.created_via == "REGISTRAR" and student.admission_type == "TRANSFEREE"
    assert student.user.must_change_password is True
    assert accounts.authenticate(student.student_number, admitted.password) == student.user
    assert len(admitted.enrollment.buckets) == 6
    assert "student.admit" in _actions()


def test_registrar_created_transferee_follows_the_application_rules():
    program = open_admissions()
    registrar = make_user(Role.REGISTRAR)
    with pytest.raises(ValidationError) as caught:
        credits.create_transferee(registrar, **_transferee_values(program, previous_school="", mobile="12345"))
    assert {"previous_school", "mobile"} <= set(caught.value.fields)
    credits.create_transferee(registrar, **_transferee_values(program, email="dup@example.com"))
    with pytest.raises(Conflict):
        credits.create_transferee(registrar, **_transferee_values(program, email="Dup@Example.com"))
    assert db.session.scalar(select(func.count(Student.id))) == 1


def test_only_registrars_create_transferees():
    program = open_admissions()
    with pytest.raises(Forbidden):
        credits.create_transferee(make_user(Role.ADMISSION), **_transferee_values(program))
    assert db.session.scalar(select(func.count(User.id)).where(User.role == "student")) == 0


def test_freshman_is_converted_before_receiving_credits():
    program = make_program()
    subject = make_subject(program)
    registrar = make_user(Role.REGISTRAR)
    student = make_student(program=program)
    with pytest.raises(DomainError) as caught:
        credits.add_credit(registrar, student.id, **_credit_values(subject))
    assert caught.value.code == "not_transferee"
    with pytest.raises(ValidationError):
        credits.convert_to_transferee(registrar, student.id, "", "BSCS")
    credits.convert_to_transferee(registrar, student.id, "AMA Computer College", "BSCS")
    assert student.admission_type == "TRANSFEREE"
    assert credits.add_credit(registrar, student.id, **_credit_values(subject, source_school="")).source_school == (
        "AMA Computer College")  # defaults to the previous school


def test_credit_must_match_a_subject_of_the_students_program():
    bsit, bsba = make_program("BSIT"), make_program("BSBA")
    theirs = make_subject(bsba, "BA101")
    student = make_student(program=bsit, admission_type="TRANSFEREE")
    with pytest.raises(ValidationError) as caught:
        credits.add_credit(make_user(Role.REGISTRAR), student.id, **_credit_values(theirs))
    assert "BSIT curriculum" in caught.value.fields["subject_id"][0]


@pytest.mark.parametrize("field,value", [("units", 0), ("units", 7), ("units", "three"), ("original_code", ""),
                                         ("original_title", "t" * 201), ("original_grade", ""),
                                         ("subject_id", "x")])
def test_credit_refuses_bad_input_at_its_field(field, value):
    program = make_program()
    subject = make_subject(program)
    student = make_student(program=program, admission_type="TRANSFEREE")
    with pytest.raises(ValidationError) as caught:
        credits.add_credit(make_user(Role.REGISTRAR), student.id, **_credit_values(subject, **{field: value}))
    assert field in caught.value.fields
    assert db.session.scalar(select(func.count(TransferCredit.id))) == 0


def test_credit_counted_in_gpa_needs_a_passing_grade_on_our_scale():
    program = make_program()
    a, b = make_subject(program), make_subject(program)
    student = make_student(program=program, admission_type="TRANSFEREE")
    registrar = make_user(Role.REGISTRAR)
    for grade in ("A", "5.00", "1.10", "1e9999"):
        with pytest.raises(ValidationError):
            credits.add_credit(registrar, student.id, **_credit_values(a, original_grade=grade, counted_in_gpa=True))
    assert credits.add_credit(registrar, student.id, **_credit_values(a, original_grade="A")).original_grade == "A"
    counted = credits.add_credit(registrar, student.id, **_credit_values(b, original_grade="1.5", counted_in_gpa=True))
    assert (counted.original_grade, counted.counted_in_gpa) == ("1.50", True)


def test_a_subject_is_credited_once_and_never_when_passed_here():
    program = make_program()
    a, b = make_subject(program), make_subject(program)
    student = make_student(program=program, admission_type="TRANSFEREE")
    registrar = make_user(Role.REGISTRAR)
    credits.add_credit(registrar, student.id, **_credit_values(a))
    with pytest.raises(Conflict):
        credits.add_credit(registrar, student.id, **_credit_values(a))
    enrollment = make_enrollment(student)
    db.session.add(SubjectEnrollment(term_enrollment_id=enrollment.id, subject_id=b.id, status="PASSED"))
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        credits.add_credit(registrar, student.id, **_credit_values(b))
    assert caught.value.code == "already_passed"


def test_credit_add_dispute_and_settle_are_audited():
    program = make_program()
    subject = make_subject(program)
    student = make_student(program=program, admission_type="TRANSFEREE")
    registrar, head = make_user(Role.REGISTRAR), make_user(Role.HEAD_REGISTRAR)
    credit = credits.add_credit(registrar, student.id, **_credit_values(subject))
    with pytest.raises(ValidationError):
        credits.dispute_credit(registrar, credit.id, "")
    credits.dispute_credit(registrar, credit.id, "Units differ.")
    assert (credit.status, credit.dispute_note) == ("DISPUTED", "Units differ.")
    with pytest.raises(DomainError):
        credits.dispute_credit(registrar, credit.id, "again")
    with pytest.raises(ValidationError):
        credits.settle_credit(head, credit.id, "REJECT", "")  # a rejection says why
    credits.settle_credit(head, credit.id, "REJECT", "Not equivalent to IT101.")
    assert (credit.status, credit.settled_by_id) == ("REJECTED", head.id)
    assert _actions()[-3:] == ["credit.add", "credit.dispute", "credit.settle"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "credit.settle")).one()
    assert entry.after == {"status": "REJECTED"} and entry.reason == "Not equivalent to IT101."
    with pytest.raises(DomainError):
        credits.settle_credit(head, credit.id, "ACCEPT")  # settled is settled


def test_only_the_head_registrar_settles_a_disputed_credit():
    program = make_program()
    subject = make_subject(program)
    student = make_student(program=program, admission_type="TRANSFEREE")
    registrar = make_user(Role.REGISTRAR)
    credit = credits.add_credit(registrar, student.id, **_credit_values(subject))
    credits.dispute_credit(registrar, credit.id, "Check the grade.")
    for role in (Role.REGISTRAR, Role.ADMIN, Role.ADMISSION):
        with pytest.raises(Forbidden):
            credits.settle_credit(make_user(role), credit.id, "ACCEPT")
    assert credit.status == "DISPUTED"
    assert credits.disputed_credits(make_user(Role.REGISTRAR)) == [credit]


def test_online_application_switch_does_not_block_registrar_transferees():
    program = open_admissions(link=False)
    assert settings.get("enrollment_link_enabled") is False
    assert credits.create_transferee(make_user(Role.REGISTRAR), **_transferee_values(program)).student
