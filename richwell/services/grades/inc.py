"""INC clocks: the day an INC turns FAILED (LOA days do not count), the daily expiry and the
30-day warning, both set-based and idempotent (DOMAIN.md "Grades")."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ColumnElement, Date, and_, cast, exists, func, insert, literal, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import aliased

from richwell.extensions import db
from richwell.models import (
    AuditEntry,
    ChangeRequestStatus,
    GradeChangeRequest,
    GradeSource,
    GradeVersion,
    IncRecord,
    IncStatus,
    Notification,
    Student,
    StudentStatus,
    StudentStatusChange,
    Subject,
    SubjectEnrollment,
)

# The LOA history is the student record's; the INC clock only reads it.
from richwell.services.admissions import loa_periods
from richwell.services.platform import audit
from richwell.services.platform.clock import now, today
from richwell.services.platform.sql import batch_lock, day_number, greatest, least
from richwell.services.platform.unit_of_work import unit_of_work

from . import gpa
from .rules import FAILING_GRADE, INC, STUDENT_GRADES_LINK, WARN_DAYS, LoaPeriod, S, loa_days

# The audit trail's role for what no person did (actor None).
SYSTEM_ROLE = "system"
EXPIRY_REASON = "INC not completed before its deadline."


def inc_deadline(record: IncRecord, on: date, periods: Sequence[LoaPeriod] | None = None) -> date:
    """The day an open INC turns FAILED as seen on `on`: the base deadline pushed out by the
    LOA days so far (an LOA still running keeps pushing it)."""
    if periods is None:
        periods = loa_periods(record.student_id)
    return record.base_deadline + timedelta(days=loa_days(periods, record.started_on, on))


def _loa_days_sql(on: date) -> ColumnElement[Any]:
    """LOA days of the INC record's student in [started_on, on), as a correlated subquery.
    Each status change opens an interval up to the next change; LOA intervals are summed."""
    change = aliased(StudentStatusChange, name="loa")
    following = aliased(StudentStatusChange, name="nxt")
    on_param = literal(on, Date)
    next_change = (
        select(func.min(following.effective_date))
        .where(following.student_id == change.student_id,
               or_(following.effective_date > change.effective_date,
                   and_(following.effective_date == change.effective_date, following.id > change.id)))
        .scalar_subquery())
    end = least(day_number(func.coalesce(next_change, on_param)), day_number(on_param))
    start = greatest(day_number(change.effective_date), day_number(IncRecord.started_on))
    return (select(func.coalesce(func.sum(greatest(end - start, 0)), 0))
            .where(change.student_id == IncRecord.student_id, change.to_status == StudentStatus.LOA.value)
            .correlate(IncRecord).scalar_subquery())


def _no_pending_resolution() -> ColumnElement[bool]:
    """No completion grade of this INC is waiting for approval (such an INC does not expire)."""
    return ~exists().where(GradeChangeRequest.subject_enrollment_id == IncRecord.subject_enrollment_id,
                           GradeChangeRequest.status == ChangeRequestStatus.PENDING.value)


def _rows_changed(statement: Any) -> int:
    """Run an UPDATE and say how many rows it changed."""
    result = db.session.execute(statement)
    return (result.rowcount or 0) if isinstance(result, CursorResult) else 0


def expire_incs(on: date | None = None) -> int:
    """The daily job: every open INC whose deadline (6 or 12 months, LOA days not counted) has
    come turns FAILED 5.00, recorded as a version, audited as SYSTEM, the student notified.
    An INC whose completion grade waits for approval does not expire. Set-based and
    idempotent (a second run finds nothing), one transaction. Returns how many expired."""
    on = on or today()
    with unit_of_work():
        batch_lock("inc")
        return _expire(on, now())


def _expire(on: date, stamp: datetime) -> int:
    """The statements of one expiry run, in the caller's unit of work (expire_incs' rule)."""
    due = and_(IncRecord.status == IncStatus.OPEN.value, IncRecord.base_deadline <= on,
               day_number(literal(on, Date)) - day_number(IncRecord.base_deadline) >= _loa_days_sql(on),
               _no_pending_resolution())
    count = _rows_changed(update(IncRecord).where(due).values(status=IncStatus.EXPIRED.value, expired_at=stamp)
                          .execution_options(synchronize_session=False))
    if not count:
        return 0
    batch = and_(IncRecord.status == IncStatus.EXPIRED.value, IncRecord.expired_at == stamp)
    db.session.execute(
        update(SubjectEnrollment)
        .where(SubjectEnrollment.id.in_(select(IncRecord.subject_enrollment_id).where(batch)),
               SubjectEnrollment.status == S.INC.value)
        .values(status=S.FAILED.value, grade=FAILING_GRADE).execution_options(synchronize_session=False))
    db.session.execute(insert(GradeVersion).from_select(
        ["subject_enrollment_id", "value", "previous_value", "source", "reason", "actor_id", "created_at"],
        select(IncRecord.subject_enrollment_id, literal(FAILING_GRADE), literal(INC),
               literal(GradeSource.INC_EXPIRY.value), literal(EXPIRY_REASON), literal(None, db.Integer),
               literal(stamp, GradeVersion.__table__.c.created_at.type))
        .where(batch)))
    db.session.execute(insert(AuditEntry).from_select(
        ["actor_id", "actor_role", "action", "target_type", "target_id", "before", "after", "reason",
         "created_at"],
        select(literal(None, db.Integer), literal(SYSTEM_ROLE), literal("grade.inc_expired"),
               literal("SubjectEnrollment"), cast(IncRecord.subject_enrollment_id, db.String(40)),
               literal({"grade": INC, "status": S.INC.value}, JSON),
               literal({"grade": FAILING_GRADE, "status": S.FAILED.value}, JSON), literal(EXPIRY_REASON),
               literal(stamp, AuditEntry.__table__.c.created_at.type))
        .where(batch)))
    db.session.execute(insert(Notification).from_select(
        ["user_id", "kind", "message", "link", "created_at"],
        select(Student.user_id, literal("inc_expired"),
               literal("Your INC in ") + Subject.code + literal(" ") + Subject.title
               + literal(" was not completed in time and is now 5.00 (failed)."),
               literal(STUDENT_GRADES_LINK), literal(stamp, Notification.__table__.c.created_at.type))
        .select_from(IncRecord)
        .join(SubjectEnrollment, SubjectEnrollment.id == IncRecord.subject_enrollment_id)
        .join(Subject, Subject.id == SubjectEnrollment.subject_id)
        .join(Student, Student.id == IncRecord.student_id)
        .where(batch)))
    student_ids = db.session.scalars(select(IncRecord.student_id).distinct().where(batch)).all()
    gpa.queue_recalculation(student_ids)
    return count


def warn_incs(on: date | None = None) -> int:
    """Once per INC, warn the student when at most 30 days are left (LOA days not counted).
    Set-based and idempotent, one transaction. Returns how many were warned."""
    on = on or today()
    with unit_of_work():
        batch_lock("inc")
        return _warn(on, now())


def _warn(on: date, stamp: datetime) -> int:
    """The statements of one warning run, in the caller's unit of work (warn_incs' rule)."""
    loa = _loa_days_sql(on)
    days_past_base = day_number(literal(on, Date)) - day_number(IncRecord.base_deadline)
    due_soon = and_(IncRecord.status == IncStatus.OPEN.value, IncRecord.warned_at.is_(None),
                    IncRecord.base_deadline <= on + timedelta(days=WARN_DAYS),
                    days_past_base + WARN_DAYS >= loa, days_past_base < loa, _no_pending_resolution())
    count = _rows_changed(update(IncRecord).where(due_soon).values(warned_at=stamp)
                          .execution_options(synchronize_session=False))
    if not count:
        return 0
    db.session.execute(insert(Notification).from_select(
        ["user_id", "kind", "message", "link", "created_at"],
        select(Student.user_id, literal("inc_warning"),
               literal("Your INC in ") + Subject.code + literal(" ") + Subject.title
               + literal(" turns into 5.00 (failed) in 30 days or less unless your professor posts your "
                         "completion grade. Your grades page shows the exact day."),
               literal(STUDENT_GRADES_LINK), literal(stamp, Notification.__table__.c.created_at.type))
        .select_from(IncRecord)
        .join(SubjectEnrollment, SubjectEnrollment.id == IncRecord.subject_enrollment_id)
        .join(Subject, Subject.id == SubjectEnrollment.subject_id)
        .join(Student, Student.id == IncRecord.student_id)
        .where(IncRecord.warned_at == stamp)))
    audit.record(None, "grade.inc_warning", target_type="IncRecord", after={"warned": count, "on": on})
    return count
