"""DOMAIN.md "Grades": the registrar finalizes per class (or several at once); statuses
follow the grades, INC starts its clock, students are notified, every value is recorded,
the GPA recalculation is queued after the commit."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from richwell import tasks
from richwell.extensions import db
from richwell.models import AuditEntry, GradeVersion, IncRecord, Notification, Role, TermGpa
from richwell.services import grades as grades_service
from richwell.services.grades.rules import add_months
from richwell.services.platform import settings
from richwell.services.platform.clock import today
from richwell.services.platform.errors import DomainError, Forbidden, NotFound, ValidationError
from tests.factories import add_to_class, make_class, make_user


def _enter_and_submit(offering, values):
    professor = db.session.get(type(offering.professor), offering.professor_id)
    for se, value in values.items():
        grades_service.save_draft(professor, offering.id, se.id, value)
    grades_service.submit_sheet(professor, offering.id)


@pytest.fixture
def registrar():
    return make_user(Role.REGISTRAR)


def test_finalizing_sets_each_status_from_the_grade(registrar):
    offering = make_class()
    rows = {add_to_class(offering): v for v in ("1.00", "3.00", "5.00", "INC", "DRP")}
    _enter_and_submit(offering, rows)
    grades_service.finalize(registrar, [offering.id])
    result = {}
    for se, value in rows.items():
        db.session.refresh(se)
        result[value] = (se.grade, se.status)
    assert result == {"1.00": ("1.00", "PASSED"), "3.00": ("3.00", "PASSED"), "5.00": ("5.00", "FAILED"),
                      "INC": ("INC", "INC"), "DRP": ("DRP", "DROPPED")}
    assert grades_service.find_sheet(offering.id).status == "FINALIZED"


def test_finalizing_starts_the_inc_clock_six_months_major_twelve_minor(registrar):
    major, minor = make_class(is_major=True), make_class(is_major=False)
    a, b = add_to_class(major), add_to_class(minor)
    _enter_and_submit(major, {a: "INC"})
    _enter_and_submit(minor, {b: "INC"})
    grades_service.finalize(registrar, [major.id, minor.id])
    records = {r.subject_enrollment_id: r for r in db.session.scalars(select(IncRecord))}
    assert records[a.id].started_on == today() and records[a.id].status == "OPEN"
    assert records[a.id].base_deadline == add_months(today(), 6)
    assert records[b.id].base_deadline == add_months(today(), 12)
    assert records[a.id].student_id == a.enrollment.student_id


def test_inc_months_come_from_the_settings(registrar):
    settings.set_value(None, "inc_expiry_major_months", 3)
    offering = make_class(is_major=True)
    se = add_to_class(offering)
    _enter_and_submit(offering, {se: "INC"})
    grades_service.finalize(registrar, [offering.id])
    assert db.session.scalar(select(IncRecord.base_deadline)) == add_months(today(), 3)


@pytest.mark.parametrize("start,months,expected", [
    ("2026-08-31", 6, "2027-02-28"), ("2027-08-31", 6, "2028-02-29"), ("2026-01-15", 12, "2027-01-15"),
    ("2026-07-31", 6, "2027-01-31"), ("2026-03-31", 1, "2026-04-30")])
def test_inc_deadline_months_clamp_to_the_month_end(start, months, expected):
    from datetime import date

    assert add_months(date.fromisoformat(start), months) == date.fromisoformat(expected)


def test_finalizing_notifies_each_student_grade_posted(registrar):
    offering = make_class(code="IT101", title="Programming 1")
    a, b = add_to_class(offering), add_to_class(offering)
    _enter_and_submit(offering, {a: "1.25", b: "INC"})
    grades_service.finalize(registrar, [offering.id])
    notes = db.session.scalars(select(Notification).where(Notification.kind == "grade_posted")).all()
    assert {n.user_id for n in notes} == {a.enrollment.student.user_id, b.enrollment.student.user_id}
    messages = {n.user_id: n.message for n in notes}
    assert messages[a.enrollment.student.user_id] == "Your grade in IT101 Programming 1 is posted: 1.25."


def test_finalizing_records_every_value_in_the_history(registrar):
    offering = make_class()
    a = add_to_class(offering)
    _enter_and_submit(offering, {a: "2.00"})
    grades_service.finalize(registrar, [offering.id])
    versions = grades_service.history(a.id)
    assert [(v.value, v.source, v.actor_id) for v in versions] == [
        ("2.00", "ENTRY", offering.professor_id), ("2.00", "FINALIZATION", registrar.id)]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "grade.finalize"))
    assert entry.after["summary"]["passed"] == 1 and entry.actor_id == registrar.id


def test_finalizing_queues_the_gpa_recalculation_after_the_commit(registrar, monkeypatch):
    offering = make_class(units=3)
    a = add_to_class(offering)
    _enter_and_submit(offering, {a: "1.75"})
    seen = {}
    original = tasks.recalculate_gpa

    def spy(student_ids):
        # Another connection sees the posted grade: the task was enqueued after the commit.
        with db.engine.connect() as other:
            seen["status"] = other.execute(text("SELECT status FROM subject_enrollments WHERE id = :i"),
                                           {"i": a.id}).scalar()
        seen["ids"] = list(student_ids)
        return original(student_ids)

    monkeypatch.setitem(tasks.REGISTRY, "recalculate_gpa", spy)
    grades_service.finalize(registrar, [offering.id])
    assert seen == {"status": "PASSED", "ids": [a.enrollment.student_id]}
    student = a.enrollment.student
    db.session.refresh(student)
    assert student.cumulative_gpa == Decimal("1.75")
    assert db.session.scalar(select(TermGpa.gpa)) == Decimal("1.75")


def test_several_classes_are_finalized_at_once(registrar):
    one, two = make_class(), make_class()
    a, b = add_to_class(one), add_to_class(two)
    _enter_and_submit(one, {a: "1.00"})
    _enter_and_submit(two, {b: "2.00"})
    students = grades_service.finalize(registrar, [two.id, one.id])
    assert students == sorted([a.enrollment.student_id, b.enrollment.student_id])
    assert {grades_service.find_sheet(o.id).status for o in (one, two)} == {"FINALIZED"}


def test_finalizing_an_unsubmitted_class_refuses_the_whole_batch(registrar):
    ready, draft = make_class(code="RDY1"), make_class(code="DRF1")
    a, b = add_to_class(ready), add_to_class(draft)
    _enter_and_submit(ready, {a: "1.00"})
    grades_service.save_draft(db.session.get(type(draft.professor), draft.professor_id), draft.id, b.id, "1.00")
    with pytest.raises(DomainError, match="DRF1 .* is not submitted yet; nothing was finalized"):
        grades_service.finalize(registrar, [ready.id, draft.id])
    db.session.refresh(a)
    assert a.status == "ENROLLED" and a.grade is None
    assert grades_service.find_sheet(ready.id).status == "SUBMITTED"
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_finalizing_twice_is_refused(registrar):
    offering = make_class()
    a = add_to_class(offering)
    _enter_and_submit(offering, {a: "1.00"})
    grades_service.finalize(registrar, [offering.id])
    with pytest.raises(DomainError, match="already final"):
        grades_service.finalize(registrar, [offering.id])
    assert len([v for v in grades_service.history(a.id) if v.source == "FINALIZATION"]) == 1


def test_only_a_registrar_finalizes(registrar):
    offering = make_class()
    a = add_to_class(offering)
    _enter_and_submit(offering, {a: "1.00"})
    with pytest.raises(Forbidden):
        grades_service.finalize(db.session.get(type(offering.professor), offering.professor_id), [offering.id])
    with pytest.raises(ValidationError):
        grades_service.finalize(registrar, [])
    with pytest.raises(NotFound):
        grades_service.finalize(registrar, [offering.id, 987654])


def test_editing_after_finalization_without_a_request_is_refused(registrar):
    offering = make_class()
    a = add_to_class(offering)
    _enter_and_submit(offering, {a: "1.00"})
    grades_service.finalize(registrar, [offering.id])
    professor = db.session.get(type(offering.professor), offering.professor_id)
    with pytest.raises(DomainError, match="final. To change one, file a change request"):
        grades_service.save_draft(professor, offering.id, a.id, "2.00")
    with pytest.raises(DomainError, match="final"):
        grades_service.reopen_sheet(registrar, offering.id, "oops", today())
    db.session.refresh(a)
    assert a.grade == "1.00"
    assert db.session.scalar(select(func.count()).select_from(GradeVersion)) == 2
