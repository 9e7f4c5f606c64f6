"""One student through two terms, through the real services only (issue 7's integration story):
pays, enrolls, gets grades including an INC, opens the next term, the INC expires to FAILED,
the failed subject comes back as a retake in advising, and the year level moves by the
DOMAIN.md rule (units passed reach 75 % of the curriculum's year-1 units)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from richwell.extensions import db
from richwell.models import IncRecord, Role, Student, SubjectEnrollment, TermGpa
from richwell.services import grades
from richwell.services.admissions import continuing
from richwell.services.enrollment import advise, enroll_in_subject
from richwell.services.finance import ledger, permits
from richwell.services.grades.inc import inc_deadline
from richwell.services.platform.clock import today
from tests.factories import (
    make_enrollment,
    make_offering,
    make_program,
    make_section,
    make_slot,
    make_student,
    make_subject,
    make_term,
    make_user,
    new_key,
)


def _class(term, program, subject, professor, day):
    section = make_section(term, program, year_level=1, code=f"{subject.code}-{term.semester[:1]}")
    offering = make_offering(section, subject, professor)
    make_slot(offering, day=day, start="08:00", end="10:00")
    return section, offering


def _grade(offering, values, registrar):
    professor = offering.professor
    for se_id, value in values.items():
        grades.save_draft(professor, offering.id, se_id, value)
    grades.submit_sheet(professor, offering.id)
    grades.finalize(registrar, [offering.id])


def test_one_student_through_two_terms():
    cashier, registrar = make_user(Role.CASHIER), make_user(Role.REGISTRAR)
    professor = make_user(Role.PROFESSOR)
    program = make_program(code="BSIT", years=4)
    # Year 1 of the curriculum: 12 units in the 1st semester, 3 in the 2nd (15 in all; 75 % = 11.25).
    it101 = make_subject(program, "IT101", units=3, is_major=True, title="Programming 1")
    ge = [make_subject(program, f"GE10{i}", units=3, is_major=False) for i in (1, 2, 3)]
    make_subject(program, "IT102", units=3, semester="SECOND", prerequisites=(it101,), title="Programming 2")

    # ---- Term 1 -------------------------------------------------------------------------
    first = make_term(academic_year="2026-2027", semester="FIRST")
    classes = {s.code: _class(first, program, s, professor, day) for day, s in enumerate([it101, *ge])}
    student = make_student(program=program)
    enrollment = make_enrollment(student, first, commitment="3000.00")

    # Before month 1 is paid the subject picker refuses.
    refusal = advise(enrollment.id, student.user).recommended[0].refusals[0]
    assert refusal.code == "first_month_unpaid"
    receipt = ledger.record_payment(enrollment.id, "3000.00", "CASH", None, cashier, new_key())
    assert receipt.receipt_number.startswith("OR-")
    assert [s.state for s in permits.exam_states(enrollment) if s.exam == "PRELIM"] == ["issued"]

    taken = {}
    for code, (section, offering) in classes.items():
        result = enroll_in_subject(enrollment.id, offering.subject_id, section.id, student.user)
        taken[code] = result.subject_enrollment_id
    db.session.expire_all()
    assert db.session.get(type(enrollment), enrollment.id).enrolled_units == 12

    _grade(classes["IT101"][1], {taken["IT101"]: "INC"}, registrar)
    for code, value in zip(("GE101", "GE102", "GE103"), ("1.50", "2.00", "2.50")):
        _grade(classes[code][1], {taken[code]: value}, registrar)
    db.session.expire_all()
    assert db.session.get(SubjectEnrollment, taken["IT101"]).status == "INC"
    term1_gpa = db.session.query(TermGpa).filter_by(student_id=student.id, term_id=first.id).one()
    assert term1_gpa.gpa == Decimal("2.00")  # (1.50 + 2.00 + 2.50) × 3 / 9; the INC is left out
    assert db.session.get(Student, student.id).year_level == 1  # 9 of 15 units: under 75 %

    # ---- Term 2 -------------------------------------------------------------------------
    second = make_term(academic_year="2026-2027", semester="SECOND")
    retake_section, retake_offering = _class(second, program, it101, professor, day=0)
    next_enrollment = continuing.open_own_enrollment(student.user, "3000.00")
    ledger.record_payment(next_enrollment.id, "3000.00", "GCASH", "GC-778899", cashier, new_key())

    # Six months (major subject) after finalization the INC turns FAILED 5.00, audited as SYSTEM.
    inc = db.session.query(IncRecord).one()
    assert grades.expire_incs(inc_deadline(inc, today()) - timedelta(days=1)) == 0
    assert grades.expire_incs(inc_deadline(inc, today())) == 1
    db.session.expire_all()
    failed = db.session.get(SubjectEnrollment, taken["IT101"])
    assert (failed.status, failed.grade) == ("FAILED", "5.00")

    # Advising brings IT101 back as a retake; IT102 waits for it.
    advice = advise(next_enrollment.id, student.user)
    by_code = {c.code: c for c in advice.recommended + advice.irregular}
    assert by_code["IT101"].is_retake and by_code["IT101"].category == "retake"
    assert by_code["IT101"].sections and by_code["IT101"].sections[0].section_id == retake_section.id

    retake = enroll_in_subject(next_enrollment.id, it101.id, retake_section.id, student.user)
    db.session.expire_all()
    assert db.session.get(SubjectEnrollment, retake.subject_enrollment_id).is_retake

    _grade(retake_offering, {retake.subject_enrollment_id: "2.00"}, registrar)
    db.session.expire_all()
    moved = db.session.get(Student, student.id)
    assert moved.year_level == 2  # 12 of 15 year-1 units passed: at least 75 %
    # Every attempt counts: (1.50 + 2.00 + 2.50 + 5.00 + 2.00) × 3 / 15 = 2.60.
    assert moved.cumulative_gpa == Decimal("2.60")
