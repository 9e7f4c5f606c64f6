"""Grades: the professor's draft entry, submission, the registrar's finalization, change
requests and INC resolution with approval, and the INC expiry job (DOMAIN.md "Grades").

Every value a grade takes is kept in `grade_versions` (drafts included); every decision
(submit, reopen, finalize, request, approval, expiry) is audited.
"""
from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import JSON, Date, and_, cast, exists, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from richwell.extensions import db
from richwell.models import (
    AuditEntry,
    ChangeRequestKind,
    ChangeRequestStatus,
    GradeChangeRequest,
    GradeEntry,
    GradeSheet,
    GradeSheetStatus,
    GradeSource,
    GradeVersion,
    IncRecord,
    IncStatus,
    Notification,
    Offering,
    Role,
    Section,
    Student,
    StudentStatus,
    StudentStatusChange,
    Subject,
    SubjectEnrollment,
    SubjectEnrollmentStatus,
    Term,
    TermEnrollment,
    User,
)

# The LOA history is the student record's; the INC clock only reads it.
from richwell.services.admissions import loa_periods
from richwell.services.platform import audit, notifications, settings
from richwell.services.platform.clock import now, today
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from richwell.services.platform.sql import day_number, greatest, least
from richwell.services.platform.unit_of_work import queue_task

# --- the scale --------------------------------------------------------------------------

PASSING_GRADES = ("1.00", "1.25", "1.50", "1.75", "2.00", "2.25", "2.50", "2.75", "3.00")
FAILING_GRADE = "5.00"
INC = "INC"
DRP = "DRP"
NUMERIC_GRADES = PASSING_GRADES + (FAILING_GRADE,)
ALLOWED_GRADES = NUMERIC_GRADES + (INC, DRP)
ALLOWED_TEXT = "1.00, 1.25, 1.50, 1.75, 2.00, 2.25, 2.50, 2.75, 3.00, 5.00, INC or DRP"
_NUMBER = re.compile(r"^[0-9](\.[0-9]{1,2})?$")
REASON_MAX = 1000
WARN_DAYS = 30
STUDENT_GRADES_LINK = "/student/grades"

S = SubjectEnrollmentStatus


def parse_grade(raw, *, field: str = "grade", allow_blank: bool = False) -> str | None:
    """An allowed grade in the school's spelling ("1.5" → "1.50", "inc" → "INC"), or a
    ValidationError naming the allowed values. Blank is None only when allowed."""
    text = ("" if raw is None else str(raw)).strip().upper()
    if not text:
        if allow_blank:
            return None
        raise ValidationError("Choose a grade.", field=field)
    if text in (INC, DRP):
        return text
    if len(text) <= 4 and _NUMBER.match(text):
        try:
            value = f"{Decimal(text):.2f}"
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            value = ""
        if value in NUMERIC_GRADES:
            return value
    shown = text if len(text) <= 12 else text[:12] + "…"
    raise ValidationError(f"{shown} is not an allowed grade. Use {ALLOWED_TEXT}.", field=field)


def status_for(value: str) -> str:
    """The subject enrollment status a final grade means: ≤3.00 PASSED, 5.00 FAILED, INC, DRP→DROPPED."""
    if value in PASSING_GRADES:
        return S.PASSED.value
    if value == FAILING_GRADE:
        return S.FAILED.value
    if value == INC:
        return S.INC.value
    if value == DRP:
        return S.DROPPED.value
    raise ValueError(value)


def _reason(raw, field: str = "reason", label: str = "a reason") -> str:
    text = (raw or "").strip()
    if not text:
        raise ValidationError(f"Give {label}.", field=field)
    if len(text) > REASON_MAX:
        raise ValidationError(f"Keep it under {REASON_MAX} characters.", field=field)
    return text


def add_months(start: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (Aug 31 + 6 → Feb 28/29)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _atomic(fn):
    """A refusal leaves nothing behind: whatever the function staged is rolled back."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DomainError:
            db.session.rollback()
            raise
    return wrapper


# --- who may touch what -----------------------------------------------------------------

def _require_registrar(actor: User) -> None:
    if actor is None or not actor.is_registrar:
        raise Forbidden("Only a registrar may do this.")


def own_offering(actor: User, offering_id: int) -> Offering:
    """The offering when the professor teaches it; anyone else's answers not found."""
    offering = db.session.get(Offering, offering_id)
    if offering is None or actor is None or offering.professor_id != actor.id:
        raise NotFound("That class does not exist or is not yours.")
    return offering


def get_offering(offering_id: int) -> Offering:
    offering = db.session.get(Offering, offering_id)
    if offering is None:
        raise NotFound("That class does not exist.")
    return offering


def _term_of(offering: Offering) -> Term:
    return offering.section.term


def _sheet(offering_id: int, *, lock: bool = True) -> GradeSheet:
    """The offering's grade sheet (created OPEN on first use), locked for the transaction."""
    query = select(GradeSheet).where(GradeSheet.offering_id == offering_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    sheet = db.session.scalar(query)
    if sheet is None:
        try:
            with db.session.begin_nested():
                db.session.add(GradeSheet(offering_id=offering_id, created_at=now()))
        except IntegrityError:
            pass  # created meanwhile by another request: read theirs
        sheet = db.session.scalar(query)
    return sheet


def find_sheet(offering_id: int) -> GradeSheet | None:
    """The offering's grade sheet if one exists yet (read-only; pages use it)."""
    return db.session.scalar(select(GradeSheet).where(GradeSheet.offering_id == offering_id))


def entry_closes_on(sheet: GradeSheet | None, term: Term) -> date:
    """The last day grades may be entered: the term's deadline, or a registrar's later date."""
    if sheet is not None and sheet.late_entry_until and sheet.late_entry_until > term.grade_deadline:
        return sheet.late_entry_until
    return term.grade_deadline


def _check_entry_open(sheet: GradeSheet, term: Term) -> None:
    if sheet.status == GradeSheetStatus.FINALIZED.value:
        raise DomainError("Grades for this class are final. To change one, file a change request.",
                          code="grades_final")
    if sheet.status == GradeSheetStatus.SUBMITTED.value:
        raise DomainError("These grades were submitted for finalization; ask the registrar to reopen "
                          "the sheet to change them.", code="grades_submitted")
    closes = entry_closes_on(sheet, term)
    if today() > closes:
        raise DomainError(f"Grade entry closed on {closes:%b %d, %Y}. Ask the registrar to reopen this class "
                          "for late entry.", code="entry_closed")


def roster_query(offering_id: int):
    """The students of an offering who are in it (not dropped through enrollment), by name."""
    return (select(SubjectEnrollment)
            .join(TermEnrollment, TermEnrollment.id == SubjectEnrollment.term_enrollment_id)
            .join(Student, Student.id == TermEnrollment.student_id)
            .join(User, User.id == Student.user_id)
            .where(SubjectEnrollment.offering_id == offering_id, SubjectEnrollment.dropped_at.is_(None))
            .options(joinedload(SubjectEnrollment.enrollment).joinedload(TermEnrollment.student)
                     .joinedload(Student.user))
            .order_by(User.last_name, User.first_name, Student.student_number))


@dataclass
class RosterRow:
    enrollment: SubjectEnrollment
    draft: str | None
    pending: GradeChangeRequest | None = None
    inc: IncRecord | None = None

    @property
    def student(self) -> Student:
        return self.enrollment.enrollment.student

    @property
    def final(self) -> str | None:
        return self.enrollment.grade

    @property
    def shown(self) -> str | None:
        """What the sheet shows: the final grade once posted, else the draft."""
        return self.enrollment.grade if self.enrollment.grade is not None else self.draft


def roster(offering_id: int) -> list[RosterRow]:
    """The grade sheet rows: each student with their draft, pending request and INC clock."""
    enrollments = db.session.scalars(roster_query(offering_id)).unique().all()
    ids = [se.id for se in enrollments]
    drafts = dict(db.session.execute(
        select(GradeEntry.subject_enrollment_id, GradeEntry.value)
        .where(GradeEntry.offering_id == offering_id)).all())
    pending = {r.subject_enrollment_id: r for r in db.session.scalars(
        select(GradeChangeRequest).where(GradeChangeRequest.subject_enrollment_id.in_(ids),
                                         GradeChangeRequest.status == ChangeRequestStatus.PENDING.value))}
    incs = {r.subject_enrollment_id: r for r in db.session.scalars(
        select(IncRecord).where(IncRecord.subject_enrollment_id.in_(ids)))}
    return [RosterRow(se, drafts.get(se.id), pending.get(se.id), incs.get(se.id)) for se in enrollments]


@dataclass
class Summary:
    passed: int = 0
    failed: int = 0
    inc: int = 0
    dropped: int = 0
    missing: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.inc + self.dropped + self.missing


def summarize(values: list[str | None]) -> Summary:
    """Passed / failed / INC / DRP / missing counts of a sheet's values."""
    summary = Summary()
    for value in values:
        if value is None:
            summary.missing += 1
        elif value in PASSING_GRADES:
            summary.passed += 1
        elif value == FAILING_GRADE:
            summary.failed += 1
        elif value == INC:
            summary.inc += 1
        else:
            summary.dropped += 1
    return summary


def distribution(values: list[str | None]) -> list[tuple[str, int]]:
    """Counts per allowed value (in scale order), then "None" for missing ones when any."""
    counts = {value: 0 for value in ALLOWED_GRADES}
    missing = 0
    for value in values:
        if value in counts:
            counts[value] += 1
        else:
            missing += 1
    result = list(counts.items())
    if missing:
        result.append(("None", missing))
    return result


# --- the professor's draft entry ----------------------------------------------------------

def enrollment_in(offering_id: int, subject_enrollment_id: int) -> SubjectEnrollment:
    """The subject enrollment when the student is in that class (not dropped), else refused."""
    se = db.session.get(SubjectEnrollment, subject_enrollment_id)
    if se is None or se.offering_id != offering_id or se.dropped_at is not None:
        raise ValidationError("That student is not enrolled in this class.", field="student")
    return se


def _put_draft(actor: User, offering_id: int, se: SubjectEnrollment, value: str | None) -> bool:
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


@_atomic
def save_draft(actor: User, offering_id: int, subject_enrollment_id: int, raw_value) -> str | None:
    """The professor saves one student's DRAFT grade in their own class while entry is open
    (blank clears it). Returns the stored value."""
    offering = own_offering(actor, offering_id)
    value = parse_grade(raw_value, allow_blank=True)
    sheet = _sheet(offering.id)
    _check_entry_open(sheet, _term_of(offering))
    se = enrollment_in(offering.id, subject_enrollment_id)
    _put_draft(actor, offering.id, se, value)
    db.session.commit()
    return value


@_atomic
def save_drafts(actor: User, offering_id: int, values: dict[int, object]) -> int:
    """Save a whole sheet at once (the page without JavaScript). Every value is checked first;
    one bad value changes nothing. Returns how many rows changed."""
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
    sheet = _sheet(offering.id)
    _check_entry_open(sheet, _term_of(offering))
    rows = [(enrollment_in(offering.id, se_id), value) for se_id, value in parsed.items()]
    changed = sum(_put_draft(actor, offering.id, se, value) for se, value in rows)
    db.session.commit()
    return changed


@_atomic
def submit_sheet(actor: User, offering_id: int) -> GradeSheet:
    """The professor submits their class's grades for finalization: every student must have
    a grade, and entry must still be open."""
    offering = own_offering(actor, offering_id)
    sheet = _sheet(offering.id)
    _check_entry_open(sheet, _term_of(offering))
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
                 after={"offering": _label(offering), "students": len(rows),
                        "summary": summarize([r.draft for r in rows]).__dict__})
    db.session.commit()
    return sheet


def _label(offering: Offering) -> str:
    return f"{offering.subject.code} {offering.section.code}"


# --- the registrar ----------------------------------------------------------------------

@_atomic
def reopen_sheet(actor: User, offering_id: int, reason: str, until: date | None) -> GradeSheet:
    """A registrar reopens a class that is not final for (late) entry until a date, with a
    reason; a submitted sheet goes back to the professor. Audited."""
    _require_registrar(actor)
    offering = get_offering(offering_id)
    reason = _reason(reason)
    if until is None:
        raise ValidationError("Give the last day of late entry.", field="until")
    if until < today():
        raise ValidationError("The last day of late entry cannot be in the past.", field="until")
    if until > today() + timedelta(days=366):
        raise ValidationError("Late entry may be granted for at most a year.", field="until")
    sheet = _sheet(offering.id)
    if sheet.status == GradeSheetStatus.FINALIZED.value:
        raise DomainError("This class's grades are final; use a change request instead.", code="grades_final")
    before = {"status": sheet.status, "late_entry_until": sheet.late_entry_until}
    sheet.status = GradeSheetStatus.OPEN.value
    sheet.late_entry_until = until
    sheet.reopen_reason = reason
    sheet.reopened_by_id = actor.id
    sheet.reopened_at = now()
    audit.record(actor, "grade.reopen", offering, before=before,
                 after={"status": sheet.status, "late_entry_until": until, "offering": _label(offering)},
                 reason=reason)
    db.session.commit()
    return sheet


def inc_months(subject: Subject) -> int:
    return settings.get("inc_expiry_major_months" if subject.is_major else "inc_expiry_minor_months")


@_atomic
def finalize(actor: User, offering_ids: list[int]) -> list[int]:
    """A registrar finalizes one or several submitted classes at once (all or nothing): each
    student's status follows the grade, INC starts its clock, every value is recorded, the
    students are notified; the GPA recalculation is queued after the commit.
    Returns the students whose grades were posted."""
    _require_registrar(actor)
    ids = sorted({int(i) for i in offering_ids})
    if not ids:
        raise ValidationError("Choose at least one class to finalize.", field="offerings")
    offerings = {o.id: o for o in db.session.scalars(select(Offering).where(Offering.id.in_(ids)))}
    if len(offerings) != len(ids):
        raise NotFound("One of those classes does not exist.")
    sheets = [_sheet(i) for i in ids]  # locked in id order: two finalizers cannot interleave
    for sheet in sheets:
        if sheet.status != GradeSheetStatus.SUBMITTED.value:
            label = _label(offerings[sheet.offering_id])
            state = "already final" if sheet.status == GradeSheetStatus.FINALIZED.value else "not submitted yet"
            raise DomainError(f"{label} is {state}; nothing was finalized.", code="not_submitted")
    stamp, day = now(), today()
    student_ids: set[int] = set()
    for sheet in sheets:
        offering = offerings[sheet.offering_id]
        rows = roster(offering.id)
        missing = [r for r in rows if r.draft is None]
        if missing:
            raise DomainError(f"{_label(offering)} has students without a grade; reopen it for the professor.",
                              code="missing_grades")
        for row in rows:
            se = row.enrollment
            if se.status != S.ENROLLED.value:
                raise DomainError(f"{row.student.full_name} in {_label(offering)} already has a final grade.",
                                  code="already_final")
            value = row.draft
            se.grade = value
            se.status = status_for(value)
            db.session.add(GradeVersion(subject_enrollment_id=se.id, value=value, previous_value=None,
                                        source=GradeSource.FINALIZATION.value, actor_id=actor.id,
                                        created_at=stamp))
            if value == INC:
                db.session.add(IncRecord(subject_enrollment_id=se.id, student_id=row.student.id, started_on=day,
                                         base_deadline=add_months(day, inc_months(offering.subject)),
                                         created_at=stamp))
            notifications.notify(row.student.user_id, "grade_posted",
                                 f"Your grade in {offering.subject.code} {offering.subject.title} is posted: "
                                 f"{value}.", link=STUDENT_GRADES_LINK)
            student_ids.add(row.student.id)
        sheet.status = GradeSheetStatus.FINALIZED.value
        sheet.finalized_at = stamp
        sheet.finalized_by_id = actor.id
        audit.record(actor, "grade.finalize", offering,
                     after={"offering": _label(offering), "students": len(rows),
                            "summary": summarize([r.draft for r in rows]).__dict__})
    db.session.commit()
    _queue_gpa(student_ids)
    return sorted(student_ids)


QUEUE_CHUNK = 1000
FULL_BATCH_ABOVE = 5000


def _queue_gpa(student_ids) -> None:
    """Enqueue the GPA recalculation (after the commit; tasks take ids only). Past a few
    thousand students one full set-based batch is cheaper than many id-limited ones."""
    ids = sorted(set(student_ids))
    if len(ids) > FULL_BATCH_ABOVE:
        queue_task("recalculate_all_gpa")
        return
    for start in range(0, len(ids), QUEUE_CHUNK):
        queue_task("recalculate_gpa", ids[start:start + QUEUE_CHUNK])


# --- change requests and INC resolution -----------------------------------------------------

def _offering_label_of(se: SubjectEnrollment) -> str:
    return f"{se.subject.code} {se.subject.title}"


@_atomic
def request_change(actor: User, subject_enrollment_id: int, raw_value, reason: str) -> GradeChangeRequest:
    """After finalization a grade changes only through a request with a reason, by the class's
    professor or a registrar. For an INC it is the completion grade (numeric, before expiry).
    One request may wait per grade."""
    se = db.session.get(SubjectEnrollment, subject_enrollment_id)
    if se is None:
        raise NotFound("That grade does not exist.")
    if actor is None or not (actor.is_registrar or actor.role == Role.PROFESSOR.value):
        raise Forbidden("Only the class's professor or a registrar may ask for a grade change.")
    if actor.role == Role.PROFESSOR.value and (se.offering is None or se.offering.professor_id != actor.id):
        raise NotFound("That grade does not exist or is not in your class.")
    if se.grade is None or se.status == S.ENROLLED.value:
        raise DomainError("This grade is not final yet; change the draft on the grade sheet instead.",
                          code="not_final")
    is_inc = se.status == S.INC.value
    value = parse_grade(raw_value, field="new_value")
    if is_inc:
        if value not in NUMERIC_GRADES:
            raise ValidationError("An INC is completed with a numeric grade (1.00–3.00, or 5.00).",
                                  field="new_value")
        record = db.session.scalar(select(IncRecord).where(IncRecord.subject_enrollment_id == se.id))
        if record is None or record.status != IncStatus.OPEN.value:
            raise DomainError("This INC is no longer open.", code="inc_closed")
        deadline = inc_deadline(record, today())
        if today() >= deadline:
            raise DomainError(f"This INC expired on {deadline:%b %d, %Y}; it can no longer be completed.",
                              code="inc_expired")
        reason = (reason or "").strip() or "Requirements completed."
    elif value == INC:
        raise ValidationError("A final grade cannot be changed into INC; the INC clock starts only at "
                              "finalization.", field="new_value")
    if value == se.grade:
        raise ValidationError(f"The grade is already {value}.", field="new_value")
    reason = _reason(reason)
    if db.session.scalar(select(GradeChangeRequest.id).where(
            GradeChangeRequest.subject_enrollment_id == se.id,
            GradeChangeRequest.status == ChangeRequestStatus.PENDING.value)):
        raise Conflict("A change request for this grade is already waiting for approval.")
    kind = ChangeRequestKind.INC_RESOLUTION if is_inc else ChangeRequestKind.CHANGE
    request = GradeChangeRequest(subject_enrollment_id=se.id, kind=kind.value, old_value=se.grade,
                                 new_value=value, reason=reason, needs_head=actor.is_registrar,
                                 requested_by_id=actor.id, requested_at=now())
    db.session.add(request)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("A change request for this grade is already waiting for approval.") from None
    audit.record(actor, "grade.inc_resolution_request" if is_inc else "grade.change_request", se,
                 before={"grade": se.grade}, after={"grade": value, "request": request.id}, reason=reason)
    db.session.commit()
    return request


def resolve_inc(actor: User, subject_enrollment_id: int, raw_value, reason: str = "") -> GradeChangeRequest:
    """The professor posts an INC's completion grade before it expires; a registrar approves it.
    While it waits, the INC does not expire."""
    se = db.session.get(SubjectEnrollment, subject_enrollment_id)
    if se is not None and se.status != S.INC.value:
        raise DomainError("This grade is not INC.", code="not_inc")
    return request_change(actor, subject_enrollment_id, raw_value, reason)


def may_decide(viewer: User, request: GradeChangeRequest) -> str | None:
    """None when the viewer may approve or reject the request, else why not."""
    if not viewer.is_registrar:
        return "Only a registrar may decide grade change requests."
    if request.requested_by_id == viewer.id:
        return "You cannot approve your own request; another registrar must decide it."
    if request.needs_head and viewer.role != Role.HEAD_REGISTRAR.value:
        return "Only the head registrar may approve a change that a registrar requested."
    return None


@_atomic
def decide_change(actor: User, request_id: int, approve: bool, note: str = "") -> GradeChangeRequest:
    """A registrar approves or rejects a pending request (the head registrar when a registrar
    asked; never one's own). Approval applies the value, records the version, stops an INC
    clock, notifies the student and queues the GPA recalculation."""
    _require_registrar(actor)
    request = db.session.scalar(
        select(GradeChangeRequest).where(GradeChangeRequest.id == request_id)
        .with_for_update().execution_options(populate_existing=True))
    if request is None:
        raise NotFound("That change request does not exist.")
    if request.status != ChangeRequestStatus.PENDING.value:
        raise Conflict(f"This request was already {request.status.lower()}.")
    refusal = may_decide(actor, request)
    if refusal:
        raise DomainError(refusal, code="not_your_decision")
    note = (note or "").strip()
    if len(note) > REASON_MAX:
        raise ValidationError(f"Keep the note under {REASON_MAX} characters.", field="note")
    se = db.session.scalar(
        select(SubjectEnrollment).where(SubjectEnrollment.id == request.subject_enrollment_id)
        .with_for_update().execution_options(populate_existing=True))
    stamp = now()
    if not approve:
        if not note:
            raise ValidationError("Say why the request is rejected.", field="note")
        request.status = ChangeRequestStatus.REJECTED.value
        request.decided_by_id, request.decided_at, request.decision_note = actor.id, stamp, note
        audit.record(actor, "grade.change_reject", se, after={"request": request.id}, reason=note)
        db.session.commit()
        return request
    if se.grade != request.old_value:
        raise DomainError(f"The grade changed since the request was made (now {se.grade}); reject this request "
                          "and file a new one.", code="stale_request")
    is_resolution = request.kind == ChangeRequestKind.INC_RESOLUTION.value
    if is_resolution:
        record = db.session.scalar(select(IncRecord).where(IncRecord.subject_enrollment_id == se.id))
        if record is None or record.status != IncStatus.OPEN.value:
            raise DomainError("This INC is no longer open.", code="inc_closed")
        record.status = IncStatus.RESOLVED.value
        record.resolved_at = stamp
    before = {"grade": se.grade, "status": se.status}
    se.grade = request.new_value
    se.status = status_for(request.new_value)
    request.status = ChangeRequestStatus.APPROVED.value
    request.decided_by_id, request.decided_at, request.decision_note = actor.id, stamp, note or None
    db.session.add(GradeVersion(
        subject_enrollment_id=se.id, value=se.grade, previous_value=before["grade"],
        source=(GradeSource.INC_RESOLUTION if is_resolution else GradeSource.CHANGE_REQUEST).value,
        reason=request.reason, actor_id=actor.id, change_request_id=request.id, created_at=stamp))
    student = se.enrollment.student
    notifications.notify(student.user_id, "grade_posted",
                         f"Your grade in {_offering_label_of(se)} is now {se.grade} (was {before['grade']}).",
                         link=STUDENT_GRADES_LINK)
    audit.record(actor, "grade.inc_resolve" if is_resolution else "grade.change_approve", se, before=before,
                 after={"grade": se.grade, "status": se.status, "request": request.id,
                        "requested_by": request.requested_by_id}, reason=request.reason)
    db.session.commit()
    _queue_gpa([student.id])
    return request


def requests_for(viewer: User, status: str = ChangeRequestStatus.PENDING.value) -> list[GradeChangeRequest]:
    """Change requests with a status, newest first (registrars see all; the page sorts them)."""
    return db.session.scalars(
        select(GradeChangeRequest).where(GradeChangeRequest.status == status)
        .options(joinedload(GradeChangeRequest.subject_enrollment).joinedload(SubjectEnrollment.subject),
                 joinedload(GradeChangeRequest.requested_by))
        .order_by(GradeChangeRequest.requested_at.desc(), GradeChangeRequest.id.desc())).all()


def history(subject_enrollment_id: int) -> list[GradeVersion]:
    """Every value the grade took, oldest first."""
    return db.session.scalars(
        select(GradeVersion).where(GradeVersion.subject_enrollment_id == subject_enrollment_id)
        .options(joinedload(GradeVersion.actor))
        .order_by(GradeVersion.created_at, GradeVersion.id)).all()


# --- INC clocks -------------------------------------------------------------------------------

def loa_days(periods, started_on: date, on: date) -> int:
    """Days on LOA in [started_on, on): they do not count against an INC."""
    total = 0
    for start, end in periods:
        end = on if end is None else min(end, on)
        total += max(0, (end - max(start, started_on)).days)
    return total


def inc_deadline(record: IncRecord, on: date, periods=None) -> date:
    """The day an open INC turns FAILED as seen on `on`: the base deadline pushed out by the
    LOA days so far (an LOA still running keeps pushing it)."""
    if periods is None:
        periods = loa_periods(record.student_id)
    return record.base_deadline + timedelta(days=loa_days(periods, record.started_on, on))


def _loa_days_sql(on: date):
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


def _no_pending_resolution():
    return ~exists().where(GradeChangeRequest.subject_enrollment_id == IncRecord.subject_enrollment_id,
                           GradeChangeRequest.status == ChangeRequestStatus.PENDING.value)


def expire_incs(on: date | None = None) -> int:
    """The daily job: every open INC whose deadline (6 or 12 months, LOA days not counted) has
    come turns FAILED 5.00, recorded as a version, audited as SYSTEM, the student notified.
    An INC whose completion grade waits for approval does not expire. Set-based and
    idempotent (a second run finds nothing). Returns how many expired."""
    on = on or today()
    stamp = now()
    due = and_(IncRecord.status == IncStatus.OPEN.value, IncRecord.base_deadline <= on,
               day_number(literal(on, Date)) - day_number(IncRecord.base_deadline) >= _loa_days_sql(on),
               _no_pending_resolution())
    count = db.session.execute(
        update(IncRecord).where(due).values(status=IncStatus.EXPIRED.value, expired_at=stamp)
        .execution_options(synchronize_session=False)).rowcount or 0
    if not count:
        db.session.rollback()
        return 0
    batch = select(IncRecord.subject_enrollment_id).where(
        IncRecord.status == IncStatus.EXPIRED.value, IncRecord.expired_at == stamp)
    db.session.execute(
        update(SubjectEnrollment)
        .where(SubjectEnrollment.id.in_(batch), SubjectEnrollment.status == S.INC.value)
        .values(status=S.FAILED.value, grade=FAILING_GRADE).execution_options(synchronize_session=False))
    reason = "INC not completed before its deadline."
    db.session.execute(insert(GradeVersion).from_select(
        ["subject_enrollment_id", "value", "previous_value", "source", "reason", "actor_id", "created_at"],
        select(IncRecord.subject_enrollment_id, literal(FAILING_GRADE), literal(INC),
               literal(GradeSource.INC_EXPIRY.value), literal(reason), literal(None, db.Integer),
               literal(stamp, GradeVersion.__table__.c.created_at.type))
        .where(IncRecord.status == IncStatus.EXPIRED.value, IncRecord.expired_at == stamp)))
    db.session.execute(insert(AuditEntry).from_select(
        ["actor_id", "actor_role", "action", "target_type", "target_id", "before", "after", "reason",
         "created_at"],
        select(literal(None, db.Integer), literal("system"), literal("grade.inc_expired"),
               literal("SubjectEnrollment"), cast(IncRecord.subject_enrollment_id, db.String(40)),
               literal({"grade": INC, "status": S.INC.value}, JSON),
               literal({"grade": FAILING_GRADE, "status": S.FAILED.value}, JSON), literal(reason),
               literal(stamp, AuditEntry.__table__.c.created_at.type))
        .where(IncRecord.status == IncStatus.EXPIRED.value, IncRecord.expired_at == stamp)))
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
        .where(IncRecord.status == IncStatus.EXPIRED.value, IncRecord.expired_at == stamp)))
    student_ids = db.session.scalars(
        select(IncRecord.student_id).distinct()
        .where(IncRecord.status == IncStatus.EXPIRED.value, IncRecord.expired_at == stamp)).all()
    db.session.commit()
    _queue_gpa(student_ids)
    return count


def warn_incs(on: date | None = None) -> int:
    """Once per INC, warn the student when at most 30 days are left (LOA days not counted).
    Set-based and idempotent. Returns how many were warned."""
    on = on or today()
    stamp = now()
    loa = _loa_days_sql(on)
    days_past_base = day_number(literal(on, Date)) - day_number(IncRecord.base_deadline)
    due_soon = and_(IncRecord.status == IncStatus.OPEN.value, IncRecord.warned_at.is_(None),
                    IncRecord.base_deadline <= on + timedelta(days=WARN_DAYS),
                    days_past_base + WARN_DAYS >= loa, days_past_base < loa, _no_pending_resolution())
    count = db.session.execute(
        update(IncRecord).where(due_soon).values(warned_at=stamp)
        .execution_options(synchronize_session=False)).rowcount or 0
    if not count:
        db.session.rollback()
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
    db.session.commit()
    return count


# --- what pages show ----------------------------------------------------------------------

def professor_offerings(professor_id: int) -> list[tuple[Offering, str]]:
    """The professor's classes, latest term first, with their sheet status."""
    rows = db.session.execute(
        select(Offering, func.coalesce(GradeSheet.status, GradeSheetStatus.OPEN.value))
        .join(Section, Section.id == Offering.section_id).join(Term, Term.id == Section.term_id)
        .join(Subject, Subject.id == Offering.subject_id)
        .outerjoin(GradeSheet, GradeSheet.offering_id == Offering.id)
        .where(Offering.professor_id == professor_id)
        .order_by(Term.start_date.desc(), Subject.code, Section.code)).all()
    return [(offering, status) for offering, status in rows]


def sheets_with_status(status: str) -> list[GradeSheet]:
    """Grade sheets in one state (the registrar's queue), oldest submission first."""
    return db.session.scalars(
        select(GradeSheet).where(GradeSheet.status == status)
        .options(joinedload(GradeSheet.offering).joinedload(Offering.subject),
                 joinedload(GradeSheet.offering).joinedload(Offering.section).joinedload(Section.term),
                 joinedload(GradeSheet.offering).joinedload(Offering.professor))
        .order_by(GradeSheet.submitted_at, GradeSheet.id)).unique().all()


def open_past_deadline(on: date | None = None) -> list[Offering]:
    """Classes whose entry has closed without a submission (candidates for reopening)."""
    on = on or today()
    return db.session.scalars(
        select(Offering).join(Section, Section.id == Offering.section_id).join(Term, Term.id == Section.term_id)
        .outerjoin(GradeSheet, GradeSheet.offering_id == Offering.id)
        .where(func.coalesce(GradeSheet.status, GradeSheetStatus.OPEN.value) == GradeSheetStatus.OPEN.value,
               Term.grade_deadline < on,
               or_(GradeSheet.late_entry_until.is_(None), GradeSheet.late_entry_until < on),
               exists().where(SubjectEnrollment.offering_id == Offering.id,
                              SubjectEnrollment.status == S.ENROLLED.value))
        .order_by(Term.start_date.desc(), Offering.id).limit(200)).all()


@dataclass
class StudentGrade:
    enrollment: SubjectEnrollment
    term: Term
    inc_deadline: date | None = None
    days_left: int | None = None
    inc_paused: bool = False
    retake_hint: str | None = None


def student_record(student_id: int, on: date | None = None) -> list[tuple[Term, list[StudentGrade]]]:
    """A student's subjects by term (oldest first) with INC countdowns and retake hints."""
    on = on or today()
    rows = db.session.execute(
        select(SubjectEnrollment, Term)
        .join(TermEnrollment, TermEnrollment.id == SubjectEnrollment.term_enrollment_id)
        .join(Term, Term.id == TermEnrollment.term_id)
        .join(Subject, Subject.id == SubjectEnrollment.subject_id)
        .where(TermEnrollment.student_id == student_id)
        .options(joinedload(SubjectEnrollment.subject))
        .order_by(Term.start_date, Subject.code)).all()
    incs = {r.subject_enrollment_id: r for r in db.session.scalars(
        select(IncRecord).where(IncRecord.student_id == student_id, IncRecord.status == IncStatus.OPEN.value))}
    periods = loa_periods(student_id) if incs else []
    on_loa = bool(periods) and periods[-1][1] is None
    later_attempts: dict[int, list[tuple[date, str]]] = {}
    for se, term in rows:
        later_attempts.setdefault(se.subject_id, []).append((term.start_date, se.status))
    by_term: dict[int, tuple[Term, list[StudentGrade]]] = {}
    for se, term in rows:
        grade = StudentGrade(se, term)
        record = incs.get(se.id)
        if record is not None and se.status == S.INC.value:
            grade.inc_deadline = inc_deadline(record, on, periods)
            grade.days_left = max(0, (grade.inc_deadline - on).days)
            grade.inc_paused = on_loa
        if se.status in (S.FAILED.value, S.DROPPED.value):
            after = [status for start, status in later_attempts[se.subject_id] if start > term.start_date]
            if S.PASSED.value in after:
                grade.retake_hint = None
            elif any(status in (S.ENROLLED.value, S.INC.value) for status in after):
                grade.retake_hint = "Retake in progress."
            else:
                grade.retake_hint = (f"Take {se.subject.code} again: it shows among your recommended subjects "
                                     "as a retake when it is offered.")
        by_term.setdefault(term.id, (term, []))[1].append(grade)
    return list(by_term.values())


def search_students(query: str, limit: int = 20) -> list[Student]:
    """Students by number or name, for the registrar's grade records."""
    text = (query or "").strip()[:100]
    if not text:
        return []
    like = f"%{text.lower()}%"
    return db.session.scalars(
        select(Student).join(User, User.id == Student.user_id)
        .where(or_(Student.student_number.like(f"{text}%"), func.lower(User.last_name).like(like),
                   func.lower(User.first_name).like(like)))
        .order_by(User.last_name, User.first_name).limit(limit)).all()


def get_student(student_id: int) -> Student:
    student = db.session.get(Student, student_id)
    if student is None:
        raise NotFound("That student does not exist.")
    return student
