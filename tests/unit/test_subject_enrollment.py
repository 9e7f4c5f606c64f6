"""DOMAIN.md "Subject enrollment": the seven checks in order, each with its own message,
overrides, flags, drops and the bad input of issue 6."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import AuditEntry, Notification, Offering, Role, SubjectEnrollment, TermEnrollment
from richwell.services.enrollment import drop_subject, enroll_in_subject
from richwell.services.platform import settings
from richwell.services.platform.clock import today
from richwell.services.platform.errors import DomainError, Forbidden, NotFound, ValidationError
from tests.factories import (
    make_enrollment,
    make_program,
    make_student,
    make_term,
    make_user,
    new_credit,
    new_offering,
    new_section,
    new_subject,
    past_result,
    pay_first_month,
)


def _world(*, paid=True, open_today=True, year_level=1):
    program = make_program(code="BSIT")
    term = make_term(open_today=open_today)
    student = make_student(program=program, year_level=year_level)
    te = make_enrollment(student, term)
    if paid:
        pay_first_month(te)
    section = new_section(term, program, "BSIT-1A")
    it101 = new_subject(program, "IT101", title="Programming 1")
    it102 = new_subject(program, "IT102", title="Computing Basics")
    o101 = new_offering(it101, section, slots=[(0, "08:00", "09:30")])
    o102 = new_offering(it102, section, slots=[(1, "08:00", "09:30")])
    return SimpleNamespace(program=program, term=term, student=student, te=te, section=section,
                           it101=it101, it102=it102, o101=o101, o102=o102, user=student.user)


def _refused(code, *args, **kwargs):
    with pytest.raises(DomainError) as caught:
        enroll_in_subject(*args, **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value.message


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_enroll_in_subject_takes_a_seat_and_the_units_and_is_audited():
    w = _world()
    result = enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    db.session.expire_all()
    row = db.session.get(SubjectEnrollment, result.subject_enrollment_id)
    assert row.status == "ENROLLED" and row.offering_id == w.o101.id and row.enrolled_by_id == w.user.id
    assert not row.is_retake and not row.is_irregular
    assert db.session.get(Offering, w.o101.id).enrolled_count == 1
    assert db.session.get(TermEnrollment, w.te.id).enrolled_units == 3
    assert (result.enrolled_units, result.max_units, result.seats_left) == (3, 30, 39)
    assert [m.subject_code for m in result.timetable] == ["IT101"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "enrollment.subject_add"))
    assert entry.actor_id == w.user.id and entry.after["subject"] == "IT101" and entry.reason is None


def test_the_add_audit_entry_holds_the_whole_add():
    """Every field of the add's entry, as PostgreSQL writes it inside the saving statement and
    SQLite stages it for the commit."""
    w = _world()
    result = enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("enrollment.subject%"))).all()
    assert [e.action for e in entries] == ["enrollment.subject_add"]
    entry = entries[0]
    assert (entry.actor_id, entry.actor_role, entry.impersonator_id) == (w.user.id, "student", None)
    assert (entry.target_type, entry.target_id) == ("SubjectEnrollment", str(result.subject_enrollment_id))
    assert entry.before is None and entry.reason is None and entry.created_at is not None
    assert entry.after == {"student": w.student.student_number, "subject": "IT101", "section": "BSIT-1A",
                           "units": 3, "enrolled_units": 3, "retake": False, "irregular": False}


def _nothing_changed_by_refusal(w, seats_before, units_before, rows_before, entries_before):
    db.session.expire_all()
    assert db.session.scalar(select(func.sum(Offering.enrolled_count))) == seats_before
    assert db.session.get(TermEnrollment, w.te.id).enrolled_units == units_before
    assert _count(SubjectEnrollment) == rows_before
    assert _count(AuditEntry, AuditEntry.action.like("enrollment.%")) == entries_before


@pytest.mark.parametrize("refusal", ["already_enrolled", "prerequisite", "unit_cap", "schedule_conflict"])
def test_a_refused_add_takes_no_seat_units_row_or_audit_entry(refusal):
    """The seat is tried before checks 3-5 and the row written before check 7 on PostgreSQL:
    a refusal must roll every one of them back."""
    w = _world()
    enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    subject, section = w.it101, w.section
    if refusal == "prerequisite":
        subject = _with_prerequisite(w, "FAILED")
    elif refusal == "unit_cap":
        _fill_units(w, 28)
        subject = w.it102
    elif refusal == "schedule_conflict":
        subject, section = _clashing(w)
    db.session.expire_all()
    before = (db.session.scalar(select(func.sum(Offering.enrolled_count))),
              db.session.get(TermEnrollment, w.te.id).enrolled_units, _count(SubjectEnrollment),
              _count(AuditEntry, AuditEntry.action.like("enrollment.%")))
    _refused(refusal, w.te.id, subject.id, section.id, w.user)
    _nothing_changed_by_refusal(w, *before)


# --- check 1: ACTIVE and (students) inside the window ------------------------------------

def test_check1_enrollment_closed_outside_the_window_for_students():
    w = _world(open_today=False)
    message = _refused("enrollment_closed", w.te.id, w.it101.id, w.section.id, w.user)
    assert "IT101" in message and "closed on" in message and w.term.name in message


def test_check1_enrollment_not_yet_open_says_when_it_opens():
    w = _world()
    w.term.enrollment_open = today() + timedelta(days=3)
    db.session.commit()
    message = _refused("enrollment_closed", w.te.id, w.it101.id, w.section.id, w.user)
    assert "opens on" in message


def test_check1_registrar_may_enroll_outside_the_window():
    w = _world(open_today=False)
    registrar = make_user(Role.REGISTRAR)
    result = enroll_in_subject(w.te.id, w.it101.id, w.section.id, registrar)
    assert result.subject_code == "IT101"
    note = db.session.scalar(select(Notification).where(Notification.user_id == w.user.id))
    assert "IT101" in note.message


@pytest.mark.parametrize("status", ["HOLD", "LOA", "WITHDRAWN"])
def test_check1_enrollment_closed_unless_the_term_enrollment_is_active(status):
    w = _world()
    w.te.status = status
    db.session.commit()
    message = _refused("enrollment_closed", w.te.id, w.it101.id, w.section.id, make_user(Role.REGISTRAR))
    assert status in message


def test_check1_enrollment_closed_for_a_term_that_is_not_current():
    w = _world()
    make_term(academic_year="2027-2028")  # another term becomes current
    message = _refused("enrollment_closed", w.te.id, w.it101.id, w.section.id, make_user(Role.REGISTRAR))
    assert "not the current term" in message


# --- check 2: first month paid -------------------------------------------------------------

def test_check2_first_month_unpaid_names_the_amount_still_due():
    w = _world(paid=False)
    pay_first_month(w.te, "1500.00")
    message = _refused("first_month_unpaid", w.te.id, w.it101.id, w.section.id, w.user)
    assert "IT101" in message and "₱\u00a03,500.00" in message and "month 1" in message
    assert _count(SubjectEnrollment) == 0 and db.session.get(Offering, w.o101.id).enrolled_count == 0


def test_check2_registrar_cannot_pass_the_first_month_gate():
    w = _world(paid=False)
    registrar = make_user(Role.REGISTRAR)
    _refused("first_month_unpaid", w.te.id, w.it101.id, w.section.id, registrar)
    with pytest.raises(Forbidden):
        enroll_in_subject(w.te.id, w.it101.id, w.section.id, registrar, override_month1_reason="scholar")


def test_check2_only_admin_overrides_the_first_month_with_a_reason_and_it_is_audited():
    w = _world(paid=False)
    admin = make_user(Role.ADMIN)
    _refused("first_month_unpaid", w.te.id, w.it101.id, w.section.id, admin)
    _refused("first_month_unpaid", w.te.id, w.it101.id, w.section.id, admin, override_month1_reason="   ")
    with pytest.raises(Forbidden):
        enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user, override_month1_reason="please")
    result = enroll_in_subject(w.te.id, w.it101.id, w.section.id, admin,
                               override_month1_reason="Full scholarship, papers pending")
    assert result.overrides == ("month1",)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "enrollment.override_month1"))
    assert entry.actor_id == admin.id and entry.reason == "Full scholarship, papers pending"


# --- check 3: not already enrolled, passed or credited ------------------------------------

def test_check3_already_enrolled_names_the_section_and_the_same_request_twice_changes_nothing():
    w = _world()
    enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    message = _refused("already_enrolled", w.te.id, w.it101.id, w.section.id, w.user)
    assert "IT101 Programming 1" in message and "BSIT-1A" in message
    db.session.expire_all()
    assert _count(SubjectEnrollment) == 1
    assert db.session.get(Offering, w.o101.id).enrolled_count == 1
    assert db.session.get(TermEnrollment, w.te.id).enrolled_units == 3


def test_check3_already_passed_in_an_earlier_term():
    w = _world()
    old = make_enrollment(w.student, make_term(current=False, academic_year="2025-2026"))
    past_result(old, w.it101, "PASSED", grade="1.50")
    message = _refused("already_passed", w.te.id, w.it101.id, w.section.id, w.user)
    assert "already passed" in message and "2025-2026" in message


def test_check3_already_credited_from_a_previous_school():
    w = _world()
    new_credit(w.student, w.it101)
    message = _refused("already_passed", w.te.id, w.it101.id, w.section.id, w.user)
    assert "credited" in message


def test_check3_an_inc_is_completed_not_taken_again():
    w = _world()
    old = make_enrollment(w.student, make_term(current=False, academic_year="2025-2026"))
    past_result(old, w.it101, "INC", grade="INC")
    message = _refused("already_enrolled", w.te.id, w.it101.id, w.section.id, w.user)
    assert "INC" in message


# --- check 4: prerequisites -----------------------------------------------------------------

def _with_prerequisite(w, status=None, *, credit=False):
    it201 = new_subject(w.program, "IT201", title="Data Structures", prerequisites=[w.it101])
    new_offering(it201, w.section, slots=[(2, "08:00", "09:30")])
    if status:
        old = make_enrollment(w.student, make_term(current=False, academic_year="2025-2026"))
        past_result(old, w.it101, status)
    if credit:
        new_credit(w.student, w.it101)
    return it201


@pytest.mark.parametrize("status,why", [
    ("INC", "is incomplete (INC)"), ("FAILED", "was failed"), ("DROPPED", "was dropped"),
    (None, "has not been taken")])
def test_check4_prerequisite_blocks_and_says_which_and_why(status, why):
    w = _world()
    it201 = _with_prerequisite(w, status)
    message = _refused("prerequisite", w.te.id, it201.id, w.section.id, w.user)
    assert message == f"IT201 Data Structures cannot be taken yet: prerequisite IT101 Programming 1 {why}."


def test_check4_prerequisite_passed_is_met():
    w = _world()
    it201 = _with_prerequisite(w, "PASSED")
    assert enroll_in_subject(w.te.id, it201.id, w.section.id, w.user).subject_code == "IT201"


def test_check4_prerequisite_credited_is_met():
    w = _world()
    it201 = _with_prerequisite(w, credit=True)
    assert enroll_in_subject(w.te.id, it201.id, w.section.id, w.user).subject_code == "IT201"


def test_check4_prerequisite_in_progress_this_term_blocks():
    w = _world()
    it201 = _with_prerequisite(w)
    enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    message = _refused("prerequisite", w.te.id, it201.id, w.section.id, w.user)
    assert "still in progress" in message


# --- check 5: the unit cap, no override -----------------------------------------------------

def _fill_units(w, units):
    w.te.enrolled_units = units
    db.session.commit()


def test_check5_unit_cap_allows_exactly_the_limit():
    w = _world()
    _fill_units(w, 27)
    assert enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user).enrolled_units == 30


def test_check5_unit_cap_refuses_beyond_the_limit_with_the_numbers():
    w = _world()
    _fill_units(w, 28)
    message = _refused("unit_cap", w.te.id, w.it101.id, w.section.id, w.user)
    assert "IT101" in message and "31 units" in message and "limit is 30" in message and "28 enrolled" in message


def test_check5_unit_cap_follows_the_max_units_setting():
    w = _world()
    settings.set_value(None, "max_units", 2)
    _refused("unit_cap", w.te.id, w.it101.id, w.section.id, w.user)


def test_check5_nobody_overrides_the_unit_cap():
    w = _world()
    _fill_units(w, 29)
    _refused("unit_cap", w.te.id, w.it101.id, w.section.id, make_user(Role.REGISTRAR),
             override_capacity_reason="dean approved", override_conflict_reason="dean approved")
    _refused("unit_cap", w.te.id, w.it101.id, w.section.id, make_user(Role.HEAD_REGISTRAR),
             override_capacity_reason="dean approved")
    w.te.enrolled_units = 29
    _refused("unit_cap", w.te.id, w.it101.id, w.section.id, make_user(Role.ADMIN),
             override_month1_reason="dean approved")


# --- check 6: capacity -----------------------------------------------------------------------

def _full(w):
    w.o101.capacity, w.o101.enrolled_count = 2, 2
    db.session.commit()


def test_check6_section_full_names_the_section_and_seats():
    w = _world()
    _full(w)
    message = _refused("section_full", w.te.id, w.it101.id, w.section.id, w.user)
    assert message == "Section BSIT-1A is full for IT101 (2 of 2 seats taken)."
    assert db.session.get(Offering, w.o101.id).enrolled_count == 2


def test_check6_registrar_overrides_capacity_only_with_a_reason_and_it_is_audited():
    w = _world()
    _full(w)
    registrar = make_user(Role.REGISTRAR)
    _refused("section_full", w.te.id, w.it101.id, w.section.id, registrar)
    with pytest.raises(Forbidden):
        enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user, override_capacity_reason="please")
    with pytest.raises(ValidationError):
        enroll_in_subject(w.te.id, w.it101.id, w.section.id, registrar, override_capacity_reason="x" * 501)
    result = enroll_in_subject(w.te.id, w.it101.id, w.section.id, registrar,
                               override_capacity_reason="Graduating student, last slot")
    assert result.overrides == ("capacity",) and result.enrolled_count == 3
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "enrollment.override_capacity"))
    assert entry.actor_id == registrar.id and entry.reason == "Graduating student, last slot"


def test_check6_capacity_override_reason_is_not_recorded_when_a_seat_was_free():
    w = _world()
    result = enroll_in_subject(w.te.id, w.it101.id, w.section.id, make_user(Role.REGISTRAR),
                               override_capacity_reason="just in case")
    assert result.overrides == ()
    assert _count(AuditEntry, AuditEntry.action == "enrollment.override_capacity") == 0


# --- check 7: schedule conflicts ----------------------------------------------------------

def _clashing(w):
    other = new_section(w.term, w.program, "BSIT-1B")
    it103 = new_subject(w.program, "IT103", title="Discrete Math")
    new_offering(it103, other, slots=[(0, "09:00", "10:30")])
    return it103, other


def test_check7_schedule_conflict_names_the_clashing_class_and_frees_the_seat():
    w = _world()
    enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    it103, other = _clashing(w)
    message = _refused("schedule_conflict", w.te.id, it103.id, other.id, w.user)
    assert message == ("IT103 in section BSIT-1B (Mon 9:00 AM–10:30 AM) clashes with "
                       "IT101 in section BSIT-1A (Mon 8:00 AM–9:30 AM).")
    db.session.expire_all()
    assert db.session.scalar(select(Offering.enrolled_count).where(Offering.subject_id == it103.id)) == 0
    assert db.session.get(TermEnrollment, w.te.id).enrolled_units == 3


def test_check7_registrar_overrides_a_conflict_only_with_a_reason_and_it_is_audited():
    w = _world()
    enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    it103, other = _clashing(w)
    registrar = make_user(Role.REGISTRAR)
    _refused("schedule_conflict", w.te.id, it103.id, other.id, registrar)
    result = enroll_in_subject(w.te.id, it103.id, other.id, registrar,
                               override_conflict_reason="Professor agreed to a make-up hour")
    assert result.overrides == ("conflict",)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "enrollment.override_conflict"))
    assert entry.reason == "Professor agreed to a make-up hour"
    add = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "enrollment.subject_add",
                                                     AuditEntry.actor_id == registrar.id))
    assert add.after["overrides"] == ["conflict"] and "make-up hour" in add.reason


def test_back_to_back_classes_do_not_clash():
    w = _world()
    enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    other = new_section(w.term, w.program, "BSIT-1B")
    it103 = new_subject(w.program, "IT103")
    new_offering(it103, other, slots=[(0, "09:30", "11:00")])
    assert enroll_in_subject(w.te.id, it103.id, other.id, w.user).subject_code == "IT103"


# --- the order of the checks --------------------------------------------------------------------

def test_order_first_month_before_unit_cap():
    w = _world(paid=False)
    _fill_units(w, 29)
    _refused("first_month_unpaid", w.te.id, w.it101.id, w.section.id, w.user)


def test_order_window_before_first_month():
    w = _world(paid=False, open_today=False)
    _refused("enrollment_closed", w.te.id, w.it101.id, w.section.id, w.user)


def test_order_already_passed_before_prerequisite_and_units():
    w = _world()
    it201 = _with_prerequisite(w)  # IT101 never taken
    old = make_enrollment(w.student, make_term(current=False, academic_year="2025-2026"))
    past_result(old, it201, "PASSED")
    _fill_units(w, 29)
    _refused("already_passed", w.te.id, it201.id, w.section.id, w.user)


def test_order_prerequisite_before_unit_cap_and_capacity():
    w = _world()
    it201 = _with_prerequisite(w)
    _fill_units(w, 29)
    off = db.session.scalar(select(Offering).where(Offering.subject_id == it201.id))
    off.capacity, off.enrolled_count = 1, 1
    db.session.commit()
    _refused("prerequisite", w.te.id, it201.id, w.section.id, w.user)


def test_order_unit_cap_before_capacity():
    w = _world()
    _full(w)
    _fill_units(w, 29)
    _refused("unit_cap", w.te.id, w.it101.id, w.section.id, w.user)


def test_order_capacity_before_schedule_conflict():
    w = _world()
    enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    it103, other = _clashing(w)
    off = db.session.scalar(select(Offering).where(Offering.subject_id == it103.id))
    off.capacity, off.enrolled_count = 1, 1
    db.session.commit()
    _refused("section_full", w.te.id, it103.id, other.id, w.user)


# --- flags ------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["FAILED", "DROPPED"])
def test_retake_flag_after_failed_or_dropped(status):
    w = _world()
    old = make_enrollment(w.student, make_term(current=False, academic_year="2025-2026"))
    past_result(old, w.it101, status)
    result = enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    assert result.is_retake and db.session.get(SubjectEnrollment, result.subject_enrollment_id).is_retake


def test_dropped_and_added_again_in_the_same_term_is_not_a_retake():
    w = _world()
    first = enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    drop_subject(first.subject_enrollment_id, w.user)
    again = enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    assert not again.is_retake


def test_irregular_flag_outside_year_level_or_semester():
    w = _world()
    y2 = new_subject(w.program, "IT211", year_level=2)
    second_sem = new_subject(w.program, "IT105", semester="SECOND")
    new_offering(y2, w.section, slots=[(3, "08:00", "09:00")])
    new_offering(second_sem, w.section, slots=[(4, "08:00", "09:00")])
    assert enroll_in_subject(w.te.id, y2.id, w.section.id, w.user).is_irregular
    assert enroll_in_subject(w.te.id, second_sem.id, w.section.id, w.user).is_irregular
    assert not enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user).is_irregular


# --- bad input ----------------------------------------------------------------------------------

def test_unknown_subject_or_section_is_not_found():
    w = _world()
    with pytest.raises(NotFound) as caught:
        enroll_in_subject(w.te.id, 999999, w.section.id, w.user)
    assert caught.value.fields == {"subject_id": ["That subject does not exist."]}
    with pytest.raises(NotFound):
        enroll_in_subject(w.te.id, w.it101.id, 999999, w.user)


@pytest.mark.parametrize("bad", ["abc", "", None, -1, 0, 10**12, "1.5", True])
def test_malformed_ids_are_refused_at_their_field(bad):
    w = _world()
    with pytest.raises(ValidationError) as caught:
        enroll_in_subject(w.te.id, bad, w.section.id, w.user)
    assert "subject_id" in caught.value.fields
    with pytest.raises(ValidationError):
        enroll_in_subject(bad, w.it101.id, w.section.id, w.user)


def test_a_section_of_another_term_is_refused():
    w = _world()
    old_term = make_term(current=False, academic_year="2025-2026")
    old_section = new_section(old_term, w.program, "BSIT-1A-OLD")
    new_offering(w.it101, old_section)
    message = _refused("other_term", w.te.id, w.it101.id, old_section.id, w.user)
    assert "BSIT-1A-OLD" in message


def test_a_section_that_does_not_offer_the_subject_is_refused():
    w = _world()
    other = new_section(w.term, w.program, "BSIT-1C")
    new_offering(w.it102, other)
    message = _refused("not_offered", w.te.id, w.it101.id, other.id, w.user)
    assert message == "Section BSIT-1C does not offer IT101."


def test_a_subject_of_another_program_is_refused():
    w = _world()
    bsba = make_program(code="BSBA")
    ba101 = new_subject(bsba, "BA101", title="Accounting")
    new_offering(ba101, w.section)
    message = _refused("other_program", w.te.id, ba101.id, w.section.id, w.user)
    assert "BA101 Accounting" in message


def test_another_students_enrollment_is_not_found_and_nothing_changes():
    w = _world()
    intruder = make_student(program=w.program)
    with pytest.raises(NotFound):
        enroll_in_subject(w.te.id, w.it101.id, w.section.id, intruder.user)
    assert _count(SubjectEnrollment) == 0


@pytest.mark.parametrize("role", [Role.CASHIER, Role.PROFESSOR, Role.ADMISSION])
def test_other_roles_cannot_enroll(role):
    w = _world()
    with pytest.raises(Forbidden):
        enroll_in_subject(w.te.id, w.it101.id, w.section.id, make_user(role))


# --- drops ----------------------------------------------------------------------------------------

def test_student_drops_before_the_deadline_freeing_seat_and_units_audited():
    w = _world()
    added = enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    result = drop_subject(added.subject_enrollment_id, w.user)
    db.session.expire_all()
    row = db.session.get(SubjectEnrollment, added.subject_enrollment_id)
    assert row.status == "DROPPED" and row.dropped_at is not None
    assert db.session.get(Offering, w.o101.id).enrolled_count == 0
    assert db.session.get(TermEnrollment, w.te.id).enrolled_units == 0
    assert (result.enrolled_units, result.seats_left, result.timetable) == (0, 40, ())
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "enrollment.subject_drop"))
    assert entry.before["status"] == "ENROLLED" and entry.after["status"] == "DROPPED"


@pytest.mark.parametrize("named", [False, True], ids=["steps", "naming_its_enrollment"])
@pytest.mark.parametrize("by_registrar", [False, True], ids=["student", "registrar"])
def test_a_drop_writes_the_row_seat_units_week_audit_and_notice(named, by_registrar):
    """The API names the enrollment (on PostgreSQL one statement writes it all): the same rows,
    answer and audit entry as the drop a statement at a time."""
    w = _world()
    added = enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    enroll_in_subject(w.te.id, w.it102.id, w.section.id, w.user)
    actor = make_user(Role.REGISTRAR) if by_registrar else w.user
    why = "Schedule change approved" if by_registrar else None
    result = drop_subject(added.subject_enrollment_id, actor, why, term_enrollment_id=w.te.id if named else None)
    db.session.expire_all()
    row = db.session.get(SubjectEnrollment, added.subject_enrollment_id)
    assert (row.status, row.drop_reason) == ("DROPPED", why) and row.dropped_at is not None
    assert db.session.get(Offering, w.o101.id).enrolled_count == 0
    assert db.session.get(Offering, w.o102.id).enrolled_count == 1
    assert db.session.get(TermEnrollment, w.te.id).enrolled_units == 3
    assert (result.enrolled_units, result.seats_left, result.section_code) == (3, 40, "BSIT-1A")
    assert [(m.subject_code, m.day) for m in result.timetable] == [("IT102", 1)]
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "enrollment.subject_drop")).all()
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.actor_id, entry.actor_role) == (actor.id, actor.role)
    assert (entry.target_type, entry.target_id, entry.reason) == ("SubjectEnrollment",
                                                                  str(added.subject_enrollment_id), why)
    assert entry.before == {"status": "ENROLLED", "enrolled_units": 6}
    assert entry.after == {"status": "DROPPED", "student": w.student.student_number, "subject": "IT101",
                           "enrolled_units": 3}
    notices = db.session.scalars(select(Notification.message).where(Notification.user_id == w.user.id,
                                                                    Notification.kind == "enrollment")).all()
    assert notices == ([f"IT101 Programming 1 was dropped from your {w.term.name} subjects by the registrar: "
                        f"{why}"] if by_registrar else [])


def test_student_cannot_drop_after_the_deadline():
    w = _world()
    added = enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    w.term.drop_deadline = today() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        drop_subject(added.subject_enrollment_id, w.user)
    assert caught.value.code == "drop_deadline_passed" and "IT101" in caught.value.message
    assert db.session.get(SubjectEnrollment, added.subject_enrollment_id).status == "ENROLLED"


def test_registrar_drops_any_time_but_only_with_a_reason():
    w = _world()
    added = enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    w.term.drop_deadline = today() - timedelta(days=30)
    db.session.commit()
    registrar = make_user(Role.HEAD_REGISTRAR)
    with pytest.raises(ValidationError) as caught:
        drop_subject(added.subject_enrollment_id, registrar, "  ")
    assert "reason" in caught.value.fields
    drop_subject(added.subject_enrollment_id, registrar, "Medical leave")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "enrollment.subject_drop"))
    assert entry.reason == "Medical leave" and entry.actor_id == registrar.id
    assert db.session.get(SubjectEnrollment, added.subject_enrollment_id).drop_reason == "Medical leave"


def test_dropping_a_subject_not_enrolled_is_refused():
    w = _world()
    added = enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    drop_subject(added.subject_enrollment_id, w.user)
    with pytest.raises(DomainError) as caught:
        drop_subject(added.subject_enrollment_id, w.user)
    assert caught.value.code == "not_enrolled"
    db.session.expire_all()
    assert db.session.get(Offering, w.o101.id).enrolled_count == 0
    with pytest.raises(NotFound):
        drop_subject(987654, w.user)
    with pytest.raises(ValidationError):
        drop_subject("x", w.user)


def test_another_students_subject_cannot_be_dropped():
    w = _world()
    added = enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    intruder = make_student(program=w.program)
    with pytest.raises(NotFound):
        drop_subject(added.subject_enrollment_id, intruder.user)
    with pytest.raises(Forbidden):
        drop_subject(added.subject_enrollment_id, make_user(Role.CASHIER))
    assert db.session.get(SubjectEnrollment, added.subject_enrollment_id).status == "ENROLLED"


def test_a_drop_naming_the_enrollment_finds_the_subject_only_in_it():
    """The API names the enrollment too: someone else's enrollment, or a subject of another
    enrollment, does not exist for the student."""
    w = _world()
    added = enroll_in_subject(w.te.id, w.it101.id, w.section.id, w.user)
    theirs = make_enrollment(make_student(program=w.program), w.term)
    with pytest.raises(NotFound) as caught:
        drop_subject(added.subject_enrollment_id, w.user, term_enrollment_id=theirs.id)
    assert caught.value.message == "That enrollment does not exist." and not caught.value.fields
    pay_first_month(theirs)
    their_row = enroll_in_subject(theirs.id, w.it102.id, w.section.id, theirs.student.user)
    with pytest.raises(NotFound) as caught:
        drop_subject(their_row.subject_enrollment_id, w.user, term_enrollment_id=w.te.id)
    assert caught.value.fields == {"subject_enrollment_id": ["That subject enrollment does not exist."]}
    dropped = drop_subject(added.subject_enrollment_id, w.user, term_enrollment_id=w.te.id)
    assert dropped.subject_code == "IT101"
    assert db.session.get(SubjectEnrollment, their_row.subject_enrollment_id).status == "ENROLLED"
