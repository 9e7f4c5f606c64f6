"""DOMAIN.md "Student lifecycle": profile edits, dated status changes, program changes and
continuing students opening the current term (alone or in bulk)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import AuditEntry, BulkOpenJob, Role, StudentStatusChange, TermEnrollment
from richwell.services.admissions import continuing, students
from richwell.services.platform import clock, settings
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, ValidationError
from tests.factories import (
    make_enrollment,
    make_program,
    make_student,
    make_term,
    make_user,
)


def _days_ago(n: int) -> date:
    return clock.today() - timedelta(days=n)


def _audit(action: str) -> AuditEntry:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.id.desc())).first()


def test_search_matches_number_prefix_name_words_and_email_case_insensitively():
    program = make_program("BSIT")
    a = make_student(program=program, number="2026-00101", first_name="Juan", last_name="Dela Cruz",
                     email="juan.dc@example.com")
    b = make_student(program=program, number="2026-00202", first_name="Maria", last_name="Clara",
                     email="mc@example.com")
    registrar = make_user(Role.REGISTRAR)

    def found(q, **kw):
        return [s.id for s in students.search(registrar, q, **kw).items]

    assert found("2026-001") == [a.id]
    assert found("dela cruz") == [a.id]
    assert found("juan CRUZ") == [a.id]
    assert found("MC@EXAMPLE") == [b.id]
    assert set(found("")) == {a.id, b.id}
    assert found("%") == [] and found("_") == []
    assert found("", status="LOA") == []


def test_profile_edit_is_audited_with_before_and_after_of_changed_fields_only():
    registrar = make_user(Role.REGISTRAR)
    student = make_student(first_name="Juan")
    students.update_profile(registrar, student.id, first_name="Juanito", mobile="+639181234567",
                            address=student.address)
    assert student.user.first_name == "Juanito" and student.mobile == "+639181234567"
    entry = _audit("student.profile_edit")
    assert entry.before == {"first_name": "Juan", "mobile": "09171234567"}
    assert entry.after == {"first_name": "Juanito", "mobile": "+639181234567"}
    assert entry.actor_id == registrar.id


def test_profile_edit_with_nothing_changed_writes_no_audit_entry():
    student = make_student()
    students.update_profile(make_user(Role.REGISTRAR), student.id, mobile=student.mobile)
    assert _audit("student.profile_edit") is None


def test_profile_edit_refuses_bad_values_and_another_accounts_email():
    registrar = make_user(Role.REGISTRAR)
    student = make_student()
    make_user(email="taken@example.com")
    with pytest.raises(ValidationError) as caught:
        students.update_profile(registrar, student.id, mobile="12345", birthdate="2999-01-01")
    assert {"mobile", "birthdate"} <= set(caught.value.fields)
    with pytest.raises(Conflict) as caught:
        students.update_profile(registrar, student.id, email="TAKEN@example.com")
    assert "email" in caught.value.fields
    with pytest.raises(ValidationError):
        students.update_profile(registrar, student.id, student_number="2026-99999")


def test_transferee_profile_keeps_previous_school():
    student = make_student(admission_type="TRANSFEREE")
    with pytest.raises(ValidationError) as caught:
        students.update_profile(make_user(Role.REGISTRAR), student.id, previous_school="", previous_course="BSCS")
    assert "previous_school" in caught.value.fields


def test_only_registrars_change_student_records():
    student = make_student()
    for role in (Role.CASHIER, Role.ADMISSION, Role.STUDENT, Role.PROFESSOR):
        with pytest.raises(Forbidden):
            students.change_status(make_user(role), student.id, "LOA", clock.today(), "x")


def test_status_change_is_dated_audited_and_kept_in_history():
    registrar = make_user(Role.HEAD_REGISTRAR)
    student = make_student()
    change = students.change_status(registrar, student.id, "LOA", _days_ago(3).isoformat(), "Family matters")
    assert student.status == "LOA"
    assert (change.from_status, change.to_status, change.effective_date, change.reason, change.actor_id) == (
        "ACTIVE", "LOA", _days_ago(3), "Family matters", registrar.id)
    entry = _audit("student.status_change")
    assert entry.before == {"status": "ACTIVE"} and entry.after["status"] == "LOA"
    assert entry.reason == "Family matters"


@pytest.mark.parametrize("to_status,when,reason,field", [
    ("ON_VACATION", 0, "x", "to_status"), ("LOA", -1, "x", "effective_date"), ("LOA", 0, "", "reason"),
    ("LOA", None, "x", "effective_date"), ("ACTIVE", 0, "x", "to_status")])
def test_status_change_refuses_bad_input(to_status, when, reason, field):
    student = make_student()
    effective = "not-a-date" if when is None else _days_ago(when)
    with pytest.raises(DomainError) as caught:
        students.change_status(make_user(Role.REGISTRAR), student.id, to_status, effective, reason)
    assert field in caught.value.fields
    assert db.session.scalar(select(func.count(StudentStatusChange.id))) == 0


def test_status_history_stays_in_date_order():
    registrar = make_user(Role.REGISTRAR)
    student = make_student()
    students.change_status(registrar, student.id, "LOA", _days_ago(5), "Leave")
    with pytest.raises(ValidationError) as caught:
        students.change_status(registrar, student.id, "ACTIVE", _days_ago(6), "Back")
    assert "before the previous" in caught.value.message


def test_loa_periods_follow_the_dated_history():
    registrar = make_user(Role.REGISTRAR)
    student = make_student()
    students.change_status(registrar, student.id, "LOA", _days_ago(100), "Leave")
    students.change_status(registrar, student.id, "ACTIVE", _days_ago(40), "Back")
    students.change_status(registrar, student.id, "LOA", _days_ago(10), "Leave again")
    assert students.loa_periods(student.id) == [(_days_ago(100), _days_ago(40)), (_days_ago(10), None)]


def test_leave_of_absence_puts_the_current_term_enrollment_on_loa_and_return_reactivates_it():
    registrar = make_user(Role.REGISTRAR)
    student = make_student()
    enrollment = make_enrollment(student)
    students.change_status(registrar, student.id, "LOA", clock.today(), "Leave")
    assert enrollment.status == "LOA"
    students.change_status(registrar, student.id, "ACTIVE", clock.today(), "Back")
    assert enrollment.status == "ACTIVE"
    students.change_status(registrar, student.id, "WITHDRAWN", clock.today(), "Moved away")
    assert enrollment.status == "WITHDRAWN"


def test_program_change_is_a_registrar_action_with_a_reason_and_audited():
    registrar = make_user(Role.REGISTRAR)
    bsit, bsba = make_program("BSIT"), make_program("BSBA", years=4)
    student = make_student(program=bsit)
    with pytest.raises(ValidationError):
        students.change_program(registrar, student.id, bsba.id, "")
    with pytest.raises(DomainError):
        students.change_program(registrar, student.id, bsit.id, "same")
    bsba_inactive = make_program("BSED")
    bsba_inactive.is_active = False
    db.session.commit()
    with pytest.raises(ValidationError):
        students.change_program(registrar, student.id, bsba_inactive.id, "closed")
    students.change_program(registrar, student.id, bsba.id, "Shifted")
    assert student.program_id == bsba.id
    entry = _audit("student.program_change")
    assert (entry.before, entry.after, entry.reason) == ({"program": "BSIT"}, {"program": "BSBA"}, "Shifted")


def test_continuing_student_opens_the_current_term_confirming_the_commitment():
    old = make_term(academic_year="2025-2026", semester="SECOND")
    student = make_student()
    make_enrollment(student, old, commitment="3200.00")
    term = make_term(academic_year="2026-2027")
    assert continuing.suggested_commitment(student.id) == Decimal("3200.00")
    enrollment = continuing.open_own_enrollment(student.user, "3200.00")
    assert enrollment.term_id == term.id and len(enrollment.buckets) == 6
    with pytest.raises(Conflict):
        continuing.open_own_enrollment(student.user, "3200.00")


@pytest.mark.parametrize("status", ["LOA", "WITHDRAWN", "GRADUATED"])
def test_students_on_loa_withdrawn_or_graduated_cannot_open_a_term(status):
    make_term()
    student = make_student(status=status)
    with pytest.raises(DomainError) as caught:
        continuing.open_own_enrollment(student.user, "2500.00")
    assert caught.value.code == "student_not_active"


def test_continuing_student_commitment_must_meet_the_minimum():
    make_term()
    student = make_student()
    with pytest.raises(ValidationError) as caught:
        continuing.open_own_enrollment(student.user, "10.005")
    assert "monthly_commitment" in caught.value.fields


def _bulk_population():
    old = make_term(academic_year="2025-2026", semester="SECOND")
    program = make_program("BSIT")
    active = [make_student(program=program, year_level=2) for _ in range(3)]
    make_enrollment(active[0], old, commitment="4100.00")
    settings.set_value(None, "min_monthly_commitment", Decimal("500.00"))
    make_enrollment(active[1], old, commitment="500.00")  # below today's minimum (1000 again below)
    settings.set_value(None, "min_monthly_commitment", Decimal("1000.00"))
    enrolled = make_student(program=program, year_level=2)
    on_loa = make_student(program=program, year_level=2, status="LOA")
    graduated = make_student(program=program, year_level=2, status="GRADUATED")
    other_year = make_student(program=program, year_level=3)
    term = make_term(academic_year="2026-2027")
    make_enrollment(enrolled, term)
    return program, term, active, enrolled, on_loa, graduated, other_year


def test_registrar_opens_continuing_students_in_bulk_with_progress_counts():
    program, term, active, enrolled, on_loa, graduated, other_year = _bulk_population()
    registrar = make_user(Role.REGISTRAR)
    job = continuing.start_bulk_open(registrar, program.id, 2, "2000.00")  # immediate queue: already ran
    db.session.refresh(job)
    assert (job.status, job.total, job.processed, job.opened, job.already_enrolled, job.not_active, job.failed) == (
        "DONE", 6, 6, 3, 1, 2, 0)
    assert job.percent == 100

    def commitment(student):
        return db.session.scalar(select(TermEnrollment.monthly_commitment).where(
            TermEnrollment.student_id == student.id, TermEnrollment.term_id == term.id))

    assert [commitment(s) for s in active] == [Decimal("4100.00"), Decimal("2000.00"), Decimal("2000.00")]
    assert commitment(on_loa) is None and commitment(graduated) is None and commitment(other_year) is None
    assert _audit("enrollment.bulk_open").after["opened"] == 3


def test_bulk_open_is_idempotent():
    program, term, active, *_ = _bulk_population()
    registrar = make_user(Role.REGISTRAR)
    first = continuing.start_bulk_open(registrar, program.id, 2, "2000.00")
    count = db.session.scalar(select(func.count(TermEnrollment.id)).where(TermEnrollment.term_id == term.id))
    assert continuing.run_bulk_open(first.id).opened == 3  # a finished job does nothing again
    second = continuing.start_bulk_open(registrar, program.id, 2, "2000.00")
    db.session.refresh(second)
    assert (second.opened, second.already_enrolled) == (0, 4)
    assert db.session.scalar(select(func.count(TermEnrollment.id)).where(TermEnrollment.term_id == term.id)) == count


def test_a_failed_bulk_job_retried_starts_over_without_duplicates():
    program, term, active, *_ = _bulk_population()
    job = BulkOpenJob(program_id=program.id, year_level=2, term_id=term.id, default_commitment=Decimal("2000.00"),
                      status="FAILED", opened=1, processed=1)
    db.session.add(job)
    db.session.commit()
    job = continuing.run_bulk_open(job.id)
    assert (job.status, job.opened, job.processed) == ("DONE", 3, 6)


def test_bulk_open_records_students_it_could_not_open():
    program, term, active, *_ = _bulk_population()
    settings.set_value(None, "min_monthly_commitment", Decimal("1500.00"))
    job = BulkOpenJob(program_id=program.id, year_level=2, term_id=term.id, default_commitment=Decimal("1000.00"),
                      requested_by_id=make_user(Role.REGISTRAR).id)
    db.session.add(job)
    db.session.commit()
    job = continuing.run_bulk_open(job.id)
    assert (job.opened, job.failed) == (1, 2)  # only the 4100 commitment still meets the minimum
    assert len(job.problems) == 2 and "at least" in job.problems[0]


@pytest.mark.parametrize("field,kwargs", [("year_level", {"year_level": 9}), ("year_level", {"year_level": "x"}),
                                          ("default_commitment", {"default_commitment": "12.345"}),
                                          ("program_id", {"program_id": "nope"})])
def test_bulk_open_refuses_bad_input(field, kwargs):
    make_term()
    program = make_program()
    args = {"program_id": program.id, "year_level": 1, "default_commitment": "2000.00", **kwargs}
    with pytest.raises(ValidationError) as caught:
        continuing.start_bulk_open(make_user(Role.REGISTRAR), **args)
    assert field in caught.value.fields
    assert db.session.scalar(select(func.count(BulkOpenJob.id))) == 0
