"""The registrar's finalization: submitted drafts become the students' final grades, all or
nothing for the classes chosen; INC starts its clock; the GPA recalculation is queued
once the grades are durable."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from richwell.extensions import db
from richwell.models import (
    GradeSheet,
    GradeSheetStatus,
    GradeSource,
    GradeVersion,
    IncRecord,
    Offering,
    Subject,
    User,
)
from richwell.services.platform import audit, notifications, settings
from richwell.services.platform.clock import now, today
from richwell.services.platform.errors import DomainError, NotFound, ValidationError
from richwell.services.platform.unit_of_work import unit_of_work

from . import gpa
from .access import require_registrar
from .entry import label, lock_sheet
from .queries import RosterRow, roster
from .rules import INC, STUDENT_GRADES_LINK, S, add_months, status_for, summarize


def inc_months(subject: Subject) -> int:
    """How long an INC in this subject stays open: the setting for majors or for minors."""
    months = settings.get("inc_expiry_major_months" if subject.is_major else "inc_expiry_minor_months")
    if not isinstance(months, int):  # pragma: no cover - the settings are validated as whole months
        raise TypeError(f"INC expiry months must be a whole number, not {months!r}")
    return months


def finalize(actor: User, offering_ids: list[int]) -> list[int]:
    """A registrar finalizes one or several submitted classes at once (all or nothing): each
    student's status follows the grade, INC starts its clock, every value is recorded, the
    students are notified; the GPA recalculation is queued after the commit.
    Returns the students whose grades were posted."""
    with unit_of_work():
        require_registrar(actor)
        ids = sorted({int(i) for i in offering_ids})
        if not ids:
            raise ValidationError("Choose at least one class to finalize.", field="offerings")
        offerings = {o.id: o for o in db.session.scalars(select(Offering).where(Offering.id.in_(ids)))}
        if len(offerings) != len(ids):
            raise NotFound("One of those classes does not exist.")
        sheets = [lock_sheet(i) for i in ids]  # locked in id order: two finalizers cannot interleave
        for sheet in sheets:
            if sheet.status != GradeSheetStatus.SUBMITTED.value:
                state = "already final" if sheet.status == GradeSheetStatus.FINALIZED.value else "not submitted yet"
                raise DomainError(f"{label(offerings[sheet.offering_id])} is {state}; nothing was finalized.",
                                  code="not_submitted")
        stamp, day = now(), today()
        student_ids: set[int] = set()
        for sheet in sheets:
            student_ids.update(_post_sheet(actor, offerings[sheet.offering_id], sheet, stamp, day))
        gpa.queue_recalculation(student_ids)
    return sorted(student_ids)


def _post_sheet(actor: User, offering: Offering, sheet: GradeSheet, stamp: datetime, day: date) -> list[int]:
    """Post one submitted sheet's drafts as final grades; returns the students posted."""
    rows = roster(offering.id)
    if any(r.draft is None for r in rows):
        raise DomainError(f"{label(offering)} has students without a grade; reopen it for the professor.",
                          code="missing_grades")
    for row in rows:
        _post_grade(actor, offering, row, stamp, day)
    sheet.status = GradeSheetStatus.FINALIZED.value
    sheet.finalized_at = stamp
    sheet.finalized_by_id = actor.id
    audit.record(actor, "grade.finalize", offering,
                 after={"offering": label(offering), "students": len(rows),
                        "summary": summarize([r.draft for r in rows]).__dict__})
    return [row.student.id for row in rows]


def _post_grade(actor: User, offering: Offering, row: RosterRow, stamp: datetime, day: date) -> None:
    """One student's draft becomes their final grade: status, version, INC clock, notification."""
    se, value = row.enrollment, row.draft
    if value is None:  # pragma: no cover - _post_sheet refuses a sheet with a missing grade
        raise DomainError(f"{label(offering)} has students without a grade; reopen it for the professor.",
                          code="missing_grades")
    if se.status != S.ENROLLED.value:
        raise DomainError(f"{row.student.full_name} in {label(offering)} already has a final grade.",
                          code="already_final")
    se.grade = value
    se.status = status_for(value)
    db.session.add(GradeVersion(subject_enrollment_id=se.id, value=value, previous_value=None,
                                source=GradeSource.FINALIZATION.value, actor_id=actor.id, created_at=stamp))
    if value == INC:
        db.session.add(IncRecord(subject_enrollment_id=se.id, student_id=row.student.id, started_on=day,
                                 base_deadline=add_months(day, inc_months(offering.subject)), created_at=stamp))
    notifications.notify(row.student.user_id, "grade_posted",
                         f"Your grade in {offering.subject.code} {offering.subject.title} is posted: {value}.",
                         link=STUDENT_GRADES_LINK)
