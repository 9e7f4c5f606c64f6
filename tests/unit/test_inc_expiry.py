"""DOMAIN.md "Grades" INC: unresolved, it turns FAILED 5.00 after 6 months (major) or 12
(minor), not counting days on LOA; audited as SYSTEM and notified; a warning 30 days before;
the job is idempotent and set-based."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from richwell.extensions import db
from richwell.models import AuditEntry, GradeVersion, IncRecord, Notification
from richwell.services import grades as grades_service
from richwell.services.grades.inc import inc_deadline
from richwell.services.grades.rules import add_months
from richwell.services.platform.clock import today
from tests.factories import add_to_class, make_class, post_grades, record_status_change


def _inc(is_major=True, units=3, **kwargs):
    offering = make_class(is_major=is_major, units=units, **kwargs)
    se = add_to_class(offering)
    post_grades(offering, {se.id: "INC"})
    record = db.session.scalar(select(IncRecord).where(IncRecord.subject_enrollment_id == se.id))
    return se, record


def _state(se):
    db.session.refresh(se)
    return se.grade, se.status


def _count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalar(query)


def test_major_inc_expires_on_the_exact_six_month_day():
    se, record = _inc(is_major=True)
    deadline = add_months(today(), 6)
    assert record.base_deadline == deadline
    assert grades_service.expire_incs(deadline - timedelta(days=1)) == 0
    assert _state(se) == ("INC", "INC")
    assert grades_service.expire_incs(deadline) == 1
    assert _state(se) == ("5.00", "FAILED")


def test_minor_inc_expires_on_the_exact_twelve_month_day():
    se, _record = _inc(is_major=False)
    deadline = add_months(today(), 12)
    assert grades_service.expire_incs(add_months(today(), 6)) == 0
    assert grades_service.expire_incs(deadline - timedelta(days=1)) == 0
    assert _state(se) == ("INC", "INC")
    assert grades_service.expire_incs(deadline) == 1
    assert _state(se) == ("5.00", "FAILED")


def test_days_on_loa_do_not_count_against_an_inc():
    se, record = _inc()
    student = se.enrollment.student
    start = record.started_on
    # On leave for 20 days, starting 10 days after the clock started.
    record_status_change(student, "LOA", start + timedelta(days=10))
    record_status_change(student, "ACTIVE", start + timedelta(days=30))
    deadline = record.base_deadline + timedelta(days=20)
    assert inc_deadline(record, deadline) == deadline
    assert grades_service.expire_incs(record.base_deadline) == 0
    assert grades_service.expire_incs(deadline - timedelta(days=1)) == 0
    assert _state(se) == ("INC", "INC")
    assert grades_service.expire_incs(deadline) == 1
    assert _state(se) == ("5.00", "FAILED")


def test_an_loa_still_running_keeps_the_inc_alive():
    se, record = _inc()
    student = se.enrollment.student
    leave = record.base_deadline - timedelta(days=5)
    record_status_change(student, "LOA", leave)
    far = record.base_deadline + timedelta(days=400)
    assert grades_service.expire_incs(far) == 0
    assert _state(se) == ("INC", "INC")
    # Back from leave: the 5 days that were left still count from the return.
    back = far
    record_status_change(student, "ACTIVE", back)
    assert inc_deadline(record, back + timedelta(days=10)) == back + timedelta(days=5)
    assert grades_service.expire_incs(back + timedelta(days=4)) == 0
    assert grades_service.expire_incs(back + timedelta(days=5)) == 1


def test_leave_before_the_inc_started_does_not_count():
    se, record = _inc()
    student = se.enrollment.student
    record_status_change(student, "LOA", record.started_on - timedelta(days=40))
    record_status_change(student, "ACTIVE", record.started_on - timedelta(days=10))
    assert grades_service.expire_incs(record.base_deadline) == 1


def test_leave_overlapping_the_clock_start_counts_only_the_days_after_it():
    se, record = _inc()
    student = se.enrollment.student
    record_status_change(student, "LOA", record.started_on - timedelta(days=10))
    record_status_change(student, "ACTIVE", record.started_on + timedelta(days=7))
    assert grades_service.expire_incs(record.base_deadline + timedelta(days=6)) == 0
    assert grades_service.expire_incs(record.base_deadline + timedelta(days=7)) == 1


def test_consecutive_loa_entries_and_another_students_leave_are_counted_right():
    se, record = _inc()
    other, other_record = _inc()
    student = se.enrollment.student
    start = record.started_on
    record_status_change(student, "LOA", start + timedelta(days=1))
    record_status_change(student, "LOA", start + timedelta(days=5))  # leave extended: not counted twice
    record_status_change(student, "ACTIVE", start + timedelta(days=11))
    record_status_change(student, "LOA", start + timedelta(days=20))
    record_status_change(student, "WITHDRAWN", start + timedelta(days=23))
    # 10 + 3 = 13 days on leave; the other student's clock is not affected.
    deadline = record.base_deadline + timedelta(days=13)
    assert grades_service.expire_incs(deadline - timedelta(days=1)) == 1  # only the other student's
    assert _state(other) == ("5.00", "FAILED")
    assert _state(se) == ("INC", "INC")
    assert grades_service.expire_incs(deadline) == 1
    assert _state(se) == ("5.00", "FAILED")


def test_expiry_is_audited_as_system_recorded_and_notified():
    se, record = _inc(code="IT201", title="Data Structures", units=3)
    assert grades_service.expire_incs(record.base_deadline) == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "grade.inc_expired"))
    assert entry.actor_id is None and entry.actor_role == "system" and entry.actor_label == "SYSTEM"
    assert (entry.target_type, entry.target_id) == ("SubjectEnrollment", str(se.id))
    assert entry.before == {"grade": "INC", "status": "INC"} and entry.after == {"grade": "5.00", "status": "FAILED"}
    version = grades_service.history(se.id)[-1]
    assert (version.previous_value, version.value, version.source, version.actor_id, version.actor_label) == (
        "INC", "5.00", "INC_EXPIRY", None, "SYSTEM")
    note = db.session.scalar(select(Notification).where(Notification.kind == "inc_expired"))
    assert note.user_id == se.enrollment.student.user_id
    assert note.message == "Your INC in IT201 Data Structures was not completed in time and is now 5.00 (failed)."
    db.session.refresh(record)
    assert record.status == "EXPIRED" and record.expired_at is not None
    # The failed grade now counts in the GPA (recalculated by the queued task).
    student = se.enrollment.student
    db.session.refresh(student)
    assert student.cumulative_gpa == Decimal("5.00")


def test_expiry_is_idempotent_when_run_twice():
    se, record = _inc()
    assert grades_service.expire_incs(record.base_deadline) == 1
    assert grades_service.expire_incs(record.base_deadline) == 0
    assert grades_service.expire_incs(record.base_deadline + timedelta(days=1)) == 0
    assert _state(se) == ("5.00", "FAILED")
    assert _count(GradeVersion, source="INC_EXPIRY") == 1
    assert _count(AuditEntry, action="grade.inc_expired") == 1
    assert _count(Notification, kind="inc_expired") == 1


def test_expiry_runs_a_fixed_number_of_statements_whatever_the_count():
    """Set-based: 1 or 6 expiring INCs cost the same number of SQL statements."""
    def statements_for(n):
        records = [_inc()[1] for _ in range(n)]
        day = max(r.base_deadline for r in records)
        seen = []

        def count(*args):
            seen.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert grades_service.expire_incs(day) == n
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len([s for s in seen if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))])

    assert statements_for(1) == statements_for(6)


def test_warns_thirty_days_before_and_only_once():
    se, record = _inc(code="IT301", title="Networks")
    deadline = record.base_deadline
    assert grades_service.warn_incs(deadline - timedelta(days=31)) == 0
    assert grades_service.warn_incs(deadline - timedelta(days=30)) == 1
    assert grades_service.warn_incs(deadline - timedelta(days=30)) == 0
    assert grades_service.warn_incs(deadline - timedelta(days=2)) == 0
    notes = db.session.scalars(select(Notification).where(Notification.kind == "inc_warning")).all()
    assert len(notes) == 1 and notes[0].user_id == se.enrollment.student.user_id
    assert "IT301 Networks" in notes[0].message
    db.session.refresh(record)
    assert record.warned_at is not None


def test_the_warning_moves_with_leave_days():
    se, record = _inc()
    record_status_change(se.enrollment.student, "LOA", record.started_on + timedelta(days=3))
    record_status_change(se.enrollment.student, "ACTIVE", record.started_on + timedelta(days=13))
    deadline = record.base_deadline + timedelta(days=10)
    assert grades_service.warn_incs(deadline - timedelta(days=31)) == 0
    assert grades_service.warn_incs(deadline - timedelta(days=30)) == 1


def test_an_inc_already_due_is_expired_not_warned():
    _se, record = _inc()
    assert grades_service.warn_incs(record.base_deadline) == 0
    assert grades_service.expire_incs(record.base_deadline) == 1
    assert _count(Notification, kind="inc_warning") == 0


@pytest.mark.parametrize("offset,left", [(0, 0), (1, 1), (30, 30)])
def test_the_students_countdown_matches_the_expiry_job(offset, left):
    se, record = _inc()
    record_status_change(se.enrollment.student, "LOA", record.started_on + timedelta(days=2))
    record_status_change(se.enrollment.student, "ACTIVE", record.started_on + timedelta(days=9))
    deadline = record.base_deadline + timedelta(days=7)
    on = deadline - timedelta(days=offset)
    [(_term, [row])] = grades_service.student_record(se.enrollment.student.user, se.enrollment.student_id, on)
    assert row.inc_deadline == deadline and row.days_left == left
    assert grades_service.expire_incs(on) == (1 if offset == 0 else 0)
