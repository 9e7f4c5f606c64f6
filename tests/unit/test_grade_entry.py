"""DOMAIN.md "Grades": the allowed values, the professor's draft entry in their own class,
submission, the grade-entry deadline and the registrar's reopening for late entry."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import AuditEntry, GradeEntry, GradeSheet, GradeVersion, Role
from richwell.services import grades as grades_service
from richwell.services.grades.rules import parse_grade
from richwell.services.platform import clock
from richwell.services.platform.clock import today
from richwell.services.platform.errors import DomainError, Forbidden, NotFound, ValidationError
from tests.factories import add_to_class, make_class, make_user


def _count(model) -> int:
    query = select(func.count()).select_from(model)
    if model is AuditEntry:
        query = query.where(AuditEntry.action.startswith("grade."))
    return db.session.scalar(query)


@pytest.fixture
def klass():
    professor = make_user(Role.PROFESSOR)
    offering = make_class(professor=professor)
    return offering, professor, [add_to_class(offering) for _ in range(3)]


@pytest.mark.parametrize("raw,stored", [
    ("1.00", "1.00"), ("1.25", "1.25"), ("1.50", "1.50"), ("1.75", "1.75"), ("2.00", "2.00"), ("2.25", "2.25"),
    ("2.50", "2.50"), ("2.75", "2.75"), ("3.00", "3.00"), ("5.00", "5.00"), ("INC", "INC"), ("DRP", "DRP"),
    ("1.5", "1.50"), ("1", "1.00"), (" inc ", "INC"), ("drp", "DRP"), ("5", "5.00"),
])
def test_allowed_grade_values_are_accepted(raw, stored):
    assert parse_grade(raw) == stored


@pytest.mark.parametrize("raw", ["1.3", "0", "4.0", "A", "3.01", "-1", "1.255", "10", "0.75", "3.5", "4",
                                 "NaN", "1e0", "1,5", "INCOMPLETE", "x" * 5000, "５"])
def test_grades_outside_the_scale_are_refused(klass, raw):
    offering, professor, (se, *_rest) = klass
    with pytest.raises(ValidationError) as error:
        grades_service.save_draft(professor, offering.id, se.id, raw)
    assert "not an allowed grade" in error.value.message
    assert "1.00, 1.25" in error.value.message
    assert len(error.value.message) < 200
    assert _count(GradeEntry) == 0 and _count(GradeVersion) == 0


def test_empty_grade_is_refused_where_a_grade_is_required():
    with pytest.raises(ValidationError, match="Choose a grade"):
        parse_grade("  ")


def test_professor_saves_draft_grades_for_own_class_and_edits_them(klass):
    offering, professor, (a, b, _c) = klass
    assert grades_service.save_draft(professor, offering.id, a.id, "1.5") == "1.50"
    grades_service.save_draft(professor, offering.id, a.id, "1.75")
    grades_service.save_draft(professor, offering.id, b.id, "INC")
    entry = db.session.scalar(select(GradeEntry).where(GradeEntry.subject_enrollment_id == a.id))
    assert entry.value == "1.75" and entry.entered_by_id == professor.id and entry.entered_at is not None
    # A draft is not a final grade: the subject enrollment is untouched.
    db.session.refresh(a)
    assert a.status == "ENROLLED" and a.grade is None
    versions = grades_service.history(a.id)
    assert [(v.previous_value, v.value, v.source) for v in versions] == [
        (None, "1.50", "ENTRY"), ("1.50", "1.75", "ENTRY")]
    # Saving the same value again records nothing new.
    grades_service.save_draft(professor, offering.id, a.id, "1.75")
    assert len(grades_service.history(a.id)) == 2


def test_blank_clears_a_draft(klass):
    offering, professor, (a, *_rest) = klass
    grades_service.save_draft(professor, offering.id, a.id, "2.00")
    assert grades_service.save_draft(professor, offering.id, a.id, "") is None
    assert db.session.scalar(select(GradeEntry.value).where(GradeEntry.subject_enrollment_id == a.id)) is None


def test_professor_cannot_enter_grades_in_another_professors_class(klass):
    offering, _professor, (a, *_rest) = klass
    other = make_user(Role.PROFESSOR)
    with pytest.raises(NotFound):
        grades_service.save_draft(other, offering.id, a.id, "1.00")
    with pytest.raises(NotFound):
        grades_service.submit_sheet(other, offering.id)
    assert _count(GradeEntry) == 0 and _count(GradeSheet) == 0


def test_grade_for_a_student_not_in_the_class_is_refused(klass):
    offering, professor, _rows = klass
    elsewhere = add_to_class(make_class(professor=professor))
    with pytest.raises(ValidationError, match="not enrolled in this class"):
        grades_service.save_draft(professor, offering.id, elsewhere.id, "1.00")
    with pytest.raises(ValidationError, match="not enrolled in this class"):
        grades_service.save_draft(professor, offering.id, 999999, "1.00")
    assert _count(GradeEntry) == 0


def test_student_dropped_through_enrollment_is_not_on_the_grade_sheet(klass):
    offering, professor, (a, b, c) = klass
    c.status, c.dropped_at = "DROPPED", clock.now()
    db.session.commit()
    assert {row.enrollment.id for row in grades_service.roster(offering.id)} == {a.id, b.id}
    with pytest.raises(ValidationError):
        grades_service.save_draft(professor, offering.id, c.id, "1.00")


def test_save_whole_sheet_is_all_or_nothing(klass):
    offering, professor, (a, b, c) = klass
    with pytest.raises(ValidationError) as error:
        grades_service.save_drafts(professor, offering.id, {a.id: "1.00", b.id: "4.0", c.id: "A"})
    assert set(error.value.fields) == {f"grade-{b.id}", f"grade-{c.id}"}
    assert _count(GradeEntry) == 0
    assert grades_service.save_drafts(professor, offering.id, {a.id: "1.00", b.id: "2.00", c.id: ""}) == 2


def test_submit_refuses_missing_grades_and_names_them(klass):
    offering, professor, (a, b, c) = klass
    grades_service.save_draft(professor, offering.id, a.id, "1.00")
    with pytest.raises(ValidationError) as error:
        grades_service.submit_sheet(professor, offering.id)
    assert "2 students have no grade yet" in error.value.message
    assert b.enrollment.student.full_name in error.value.message
    assert grades_service.find_sheet(offering.id).status == "OPEN"
    assert _count(AuditEntry) == 0


def test_submit_refuses_a_class_without_students():
    professor = make_user(Role.PROFESSOR)
    offering = make_class(professor=professor)
    with pytest.raises(DomainError, match="no students"):
        grades_service.submit_sheet(professor, offering.id)


def test_submitted_grades_are_locked_for_the_professor(klass):
    offering, professor, rows = klass
    for se in rows:
        grades_service.save_draft(professor, offering.id, se.id, "2.00")
    sheet = grades_service.submit_sheet(professor, offering.id)
    assert sheet.status == "SUBMITTED" and sheet.submitted_by_id == professor.id
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action.startswith("grade."))) == "grade.submit"
    with pytest.raises(DomainError, match="submitted for finalization"):
        grades_service.save_draft(professor, offering.id, rows[0].id, "1.00")
    with pytest.raises(DomainError, match="submitted"):
        grades_service.submit_sheet(professor, offering.id)


def test_entry_closes_at_the_terms_grade_deadline(klass):
    offering, professor, (a, *_rest) = klass
    term = offering.section.term
    term.grade_deadline = today()
    db.session.commit()
    grades_service.save_draft(professor, offering.id, a.id, "1.00")  # the deadline day itself is open
    term.grade_deadline = today() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(DomainError, match="Grade entry closed on") as error:
        grades_service.save_draft(professor, offering.id, a.id, "2.00")
    assert error.value.code == "entry_closed"
    assert db.session.scalar(select(GradeEntry.value)) == "1.00"


def test_grade_deadline_is_judged_on_the_school_clock(klass, monkeypatch):
    offering, professor, (a, *_rest) = klass
    term = offering.section.term
    term.grade_deadline = today()
    db.session.commit()
    # 17:00 UTC on the deadline is 01:00 the next day in Manila: entry is closed.
    late = datetime.combine(term.grade_deadline, datetime.min.time(), tzinfo=timezone.utc) + timedelta(hours=17)
    monkeypatch.setattr(clock, "now", lambda: late)
    with pytest.raises(DomainError, match="closed"):
        grades_service.save_draft(professor, offering.id, a.id, "1.00")
    monkeypatch.setattr(clock, "now", lambda: late - timedelta(hours=2))  # 23:00 Manila on the deadline
    assert grades_service.save_draft(professor, offering.id, a.id, "1.00") == "1.00"


def test_registrar_reopens_a_class_for_late_entry_with_a_reason_audited(klass):
    offering, professor, (a, *_rest) = klass
    offering.section.term.grade_deadline = today() - timedelta(days=3)
    db.session.commit()
    registrar = make_user(Role.REGISTRAR)
    with pytest.raises(ValidationError) as error:
        grades_service.reopen_sheet(registrar, offering.id, "  ", today() + timedelta(days=5))
    assert "reason" in error.value.fields
    with pytest.raises(ValidationError) as error:
        grades_service.reopen_sheet(registrar, offering.id, "Professor was ill", today() - timedelta(days=1))
    assert "until" in error.value.fields
    with pytest.raises(ValidationError):
        grades_service.reopen_sheet(registrar, offering.id, "Professor was ill", None)
    with pytest.raises(Forbidden):
        grades_service.reopen_sheet(professor, offering.id, "I want more time", today() + timedelta(days=5))
    assert _count(AuditEntry) == 0
    sheet = grades_service.reopen_sheet(registrar, offering.id, "Professor was ill", today() + timedelta(days=5))
    assert sheet.status == "OPEN" and sheet.late_entry_until == today() + timedelta(days=5)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "grade.reopen"))
    assert entry.reason == "Professor was ill" and entry.actor_id == registrar.id
    assert grades_service.save_draft(professor, offering.id, a.id, "2.25") == "2.25"


def test_reopened_submitted_sheet_goes_back_to_the_professor(klass):
    offering, professor, rows = klass
    for se in rows:
        grades_service.save_draft(professor, offering.id, se.id, "2.00")
    grades_service.submit_sheet(professor, offering.id)
    grades_service.reopen_sheet(make_user(Role.HEAD_REGISTRAR), offering.id, "Wrong values in row 2", today())
    grades_service.save_draft(professor, offering.id, rows[1].id, "1.50")
    assert grades_service.submit_sheet(professor, offering.id).status == "SUBMITTED"
