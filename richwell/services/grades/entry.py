"""The professor's grade entry: drafts saved row by row or as a whole sheet while entry is
open, submission for finalization, and the registrar's reopening for late entry. Every
draft value is kept in `grade_versions`; submission and reopening are audited."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import (
    GradeEntry,
    GradeSheet,
    GradeSheetStatus,
    GradeSource,
    GradeVersion,
    Offering,
    SubjectEnrollment,
    User,
)
from richwell.services.platform import audit
from richwell.services.platform.clock import now, today
from richwell.services.platform.errors import DomainError, ValidationError
from richwell.services.platform.unit_of_work import unit_of_work

from .access import enrollment_in, get_offering, own_offering, require_registrar
from .queries import roster
from .rules import check_entry_open, check_reason, parse_grade, summarize

LATE_ENTRY_MAX_DAYS = 366


def lock_sheet(offering_id: int) -> GradeSheet:
    """The offering's grade sheet (created OPEN on first use), locked until the commit: entry,
    submission, reopening and finalization of one class take turns."""
    query = (select(GradeSheet).where(GradeSheet.offering_id == offering_id)
             .with_for_update().execution_options(populate_existing=True))
    sheet: GradeSheet | None = db.session.scalar(query)
    if sheet is None:
        try:
            with db.session.begin_nested():
                db.session.add(GradeSheet(offering_id=offering_id, created_at=now()))
        except IntegrityError:
            pass  # created meanwhile by another request: read theirs
        sheet = db.session.scalar(query)
    if sheet is None:  # pragma: no cover - it was just created or read
        raise RuntimeError(f"no grade sheet for offering {offering_id}")
    return sheet


def label(offering: Offering) -> str:
    """How a class is named in messages and the audit trail: subject and section codes."""
    return f"{offering.subject.code} {offering.section.code}"


def _put_draft(actor: User, offering_id: int, se: SubjectEnrollment, value: str | None) -> bool:
    """Store one draft value and its version; False when the value did not change."""
    entry = db.session.scalar(select(GradeEntry).where(GradeEntry.subject_enrollment_id == se.id))
    previous = entry.value if entry else None
    if previous == value:
        return False
    if entry is None:
        entry = GradeEntry(subject_enrollment_id=se.id, offering_id=offering_id)
        db.session.add(entry)
    entry.value = value
    entry.entered_by_id = actor.id
    entry.entered_at = now()
    db.session.add(GradeVersion(subject_enrollment_id=se.id, value=value, previous_value=previous,
                                source=GradeSource.ENTRY.value, actor_id=actor.id, created_at=now()))
    return True


def save_draft(actor: User, offering_id: int, subject_enrollment_id: int, raw_value: object) -> str | None:
    """The professor saves one student's DRAFT grade in their own class while entry is open
    (blank clears it). Returns the stored value."""
    with unit_of_work():
        offering = own_offering(actor, offering_id)
        value = parse_grade(raw_value, allow_blank=True)
        sheet = lock_sheet(offering.id)
        check_entry_open(sheet, offering.section.term)
        se = enrollment_in(offering.id, subject_enrollment_id)
        _put_draft(actor, offering.id, se, value)
    return value


def save_drafts(actor: User, offering_id: int, values: Mapping[int, object]) -> int:
    """Save a whole sheet at once (the page without JavaScript). Every value is checked first;
    one bad value changes nothing. Returns how many rows changed."""
    with unit_of_work():
        offering = own_offering(actor, offering_id)
        errors: dict[str, list[str]] = {}
        parsed: dict[int, str | None] = {}
        for se_id, raw in values.items():
            try:
                parsed[se_id] = parse_grade(raw, field=f"grade-{se_id}", allow_blank=True)
            except ValidationError as error:
                errors.update(error.fields)
        if errors:
            raise ValidationError("Some grades are not allowed values; nothing was saved.", fields=errors)
        sheet = lock_sheet(offering.id)
        check_entry_open(sheet, offering.section.term)
        rows = [(enrollment_in(offering.id, se_id), value) for se_id, value in parsed.items()]
        changed = sum(_put_draft(actor, offering.id, se, value) for se, value in rows)
    return changed


def submit_sheet(actor: User, offering_id: int) -> GradeSheet:
    """The professor submits their class's grades for finalization: every student must have
    a grade, and entry must still be open."""
    with unit_of_work():
        offering = own_offering(actor, offering_id)
        sheet = lock_sheet(offering.id)
        check_entry_open(sheet, offering.section.term)
        rows = roster(offering.id)
        if not rows:
            raise DomainError("This class has no students to grade.", code="empty_roster")
        missing = [row for row in rows if row.draft is None]
        if missing:
            names = ", ".join(row.student.full_name for row in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise ValidationError(
                f"{len(missing)} student{'s have' if len(missing) != 1 else ' has'} no grade yet: {names}{more}. "
                "Every student needs a grade (INC or DRP where that applies) before you submit.", field="grades")
        sheet.status = GradeSheetStatus.SUBMITTED.value
        sheet.submitted_at = now()
        sheet.submitted_by_id = actor.id
        audit.record(actor, "grade.submit", offering,
                     after={"offering": label(offering), "students": len(rows),
                            "summary": summarize([r.draft for r in rows]).__dict__})
    return sheet


def _check_late_entry(until: date | None) -> date:
    """Late entry runs until a given day: not in the past, at most a year ahead."""
    if until is None:
        raise ValidationError("Give the last day of late entry.", field="until")
    if until < today():
        raise ValidationError("The last day of late entry cannot be in the past.", field="until")
    if until > today() + timedelta(days=LATE_ENTRY_MAX_DAYS):
        raise ValidationError("Late entry may be granted for at most a year.", field="until")
    return until


def reopen_sheet(actor: User, offering_id: int, reason: str, until: date | None) -> GradeSheet:
    """A registrar reopens a class that is not final for (late) entry until a date, with a
    reason; a submitted sheet goes back to the professor. Audited."""
    with unit_of_work():
        require_registrar(actor)
        offering = get_offering(offering_id)
        reason = check_reason(reason)
        last_day = _check_late_entry(until)
        sheet = lock_sheet(offering.id)
        if sheet.status == GradeSheetStatus.FINALIZED.value:
            raise DomainError("This class's grades are final; use a change request instead.", code="grades_final")
        before = {"status": sheet.status, "late_entry_until": sheet.late_entry_until}
        sheet.status = GradeSheetStatus.OPEN.value
        sheet.late_entry_until = last_day
        sheet.reopen_reason = reason
        sheet.reopened_by_id = actor.id
        sheet.reopened_at = now()
        audit.record(actor, "grade.reopen", offering, before=before,
                     after={"status": sheet.status, "late_entry_until": last_day, "offering": label(offering)},
                     reason=reason)
    return sheet
