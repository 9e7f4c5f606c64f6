"""Change requests after finalization: a final grade changes (or an INC is completed) only
through a request with a reason, decided by another registrar (the head registrar when a
registrar asked). Every decision is audited; an approval is recorded as a version."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import (
    ChangeRequestKind,
    ChangeRequestStatus,
    GradeChangeRequest,
    GradeSource,
    GradeVersion,
    IncRecord,
    IncStatus,
    Role,
    SubjectEnrollment,
    User,
)
from richwell.services.platform import audit, notifications
from richwell.services.platform.clock import now, today
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from richwell.services.platform.unit_of_work import unit_of_work

from . import gpa
from .access import enrollment_in, own_offering, require_registrar
from .inc import inc_deadline
from .rules import (
    INC,
    NUMERIC_GRADES,
    REASON_MAX,
    STUDENT_GRADES_LINK,
    S,
    check_reason,
    may_decide,
    parse_grade,
    status_for,
)

ALREADY_WAITING = "A change request for this grade is already waiting for approval."


def request_change(actor: User, subject_enrollment_id: int, raw_value: object, reason: str | None,
                   *, offering_id: int | None = None) -> GradeChangeRequest:
    """After finalization a grade changes only through a request with a reason, by the class's
    professor or a registrar. For an INC it is the completion grade (numeric, before expiry).
    One request may wait per grade. From a class's sheet (`offering_id`) the grade must be
    one of that class's, and the class the professor's own."""
    try:
        with unit_of_work():
            if offering_id is not None:
                enrollment_in(own_offering(actor, offering_id).id, subject_enrollment_id)
            return _file_request(actor, subject_enrollment_id, raw_value, reason)
    except IntegrityError:
        # Another request for this grade was filed meanwhile (one pending per grade).
        raise Conflict(ALREADY_WAITING) from None


def _requested_grade(actor: User, subject_enrollment_id: int) -> SubjectEnrollment:
    """The final grade the actor may ask to change: a registrar any, a professor their class's."""
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
    return se


def _check_completion(se: SubjectEnrollment, value: str) -> None:
    """An INC is completed with a numeric grade while its clock still runs."""
    if value not in NUMERIC_GRADES:
        raise ValidationError("An INC is completed with a numeric grade (1.00–3.00, or 5.00).", field="new_value")
    record = db.session.scalar(select(IncRecord).where(IncRecord.subject_enrollment_id == se.id))
    if record is None or record.status != IncStatus.OPEN.value:
        raise DomainError("This INC is no longer open.", code="inc_closed")
    deadline = inc_deadline(record, today())
    if today() >= deadline:
        raise DomainError(f"This INC expired on {deadline:%b %d, %Y}; it can no longer be completed.",
                          code="inc_expired")


def _file_request(actor: User, subject_enrollment_id: int, raw_value: object,
                  reason: str | None) -> GradeChangeRequest:
    """The checks and writes of one change request, in the caller's unit of work (request_change's rule)."""
    se = _requested_grade(actor, subject_enrollment_id)
    is_inc = se.status == S.INC.value
    value = parse_grade(raw_value, field="new_value")
    if is_inc:
        _check_completion(se, value)
        reason = (reason or "").strip() or "Requirements completed."
    elif value == INC:
        raise ValidationError("A final grade cannot be changed into INC; the INC clock starts only at "
                              "finalization.", field="new_value")
    if value == se.grade:
        raise ValidationError(f"The grade is already {value}.", field="new_value")
    reason = check_reason(reason)
    if db.session.scalar(select(GradeChangeRequest.id).where(
            GradeChangeRequest.subject_enrollment_id == se.id,
            GradeChangeRequest.status == ChangeRequestStatus.PENDING.value)):
        raise Conflict(ALREADY_WAITING)
    kind = ChangeRequestKind.INC_RESOLUTION if is_inc else ChangeRequestKind.CHANGE
    request = GradeChangeRequest(subject_enrollment_id=se.id, kind=kind.value, old_value=se.grade,
                                 new_value=value, reason=reason, needs_head=actor.is_registrar,
                                 requested_by_id=actor.id, requested_at=now())
    db.session.add(request)
    db.session.flush()  # the request's id goes into the audit entry
    audit.record(actor, "grade.inc_resolution_request" if is_inc else "grade.change_request", se,
                 before={"grade": se.grade}, after={"grade": value, "request": request.id}, reason=reason)
    return request


def resolve_inc(actor: User, subject_enrollment_id: int, raw_value: object,
                reason: str = "") -> GradeChangeRequest:
    """The professor posts an INC's completion grade before it expires; a registrar approves it.
    While it waits, the INC does not expire."""
    se = db.session.get(SubjectEnrollment, subject_enrollment_id)
    if se is not None and se.status != S.INC.value:
        raise DomainError("This grade is not INC.", code="not_inc")
    return request_change(actor, subject_enrollment_id, raw_value, reason)


def decide_change(actor: User, request_id: int, approve: bool, note: str | None = "") -> GradeChangeRequest:
    """A registrar approves or rejects a pending request (the head registrar when a registrar
    asked; never one's own). Approval applies the value, records the version, stops an INC
    clock, notifies the student and queues the GPA recalculation."""
    with unit_of_work():
        require_registrar(actor)
        request: GradeChangeRequest | None = db.session.scalar(
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
        se: SubjectEnrollment | None = db.session.scalar(
            select(SubjectEnrollment).where(SubjectEnrollment.id == request.subject_enrollment_id)
            .with_for_update().execution_options(populate_existing=True))
        if se is None:  # pragma: no cover - a request always names an existing grade
            raise NotFound("That grade does not exist.")
        stamp = now()
        if approve:
            _approve(actor, request, se, note, stamp)
        else:
            _reject(actor, request, se, note, stamp)
    return request


def _reject(actor: User, request: GradeChangeRequest, se: SubjectEnrollment, note: str, stamp: datetime) -> None:
    """A rejection needs a note saying why; the grade stays as it is."""
    if not note:
        raise ValidationError("Say why the request is rejected.", field="note")
    request.status = ChangeRequestStatus.REJECTED.value
    request.decided_by_id, request.decided_at, request.decision_note = actor.id, stamp, note
    audit.record(actor, "grade.change_reject", se, after={"request": request.id}, reason=note)


def _approve(actor: User, request: GradeChangeRequest, se: SubjectEnrollment, note: str, stamp: datetime) -> None:
    """An approval applies the requested value if the grade has not changed meanwhile, closes an
    INC's clock, records the version, notifies the student and queues the GPA recalculation."""
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
                         f"Your grade in {se.subject.code} {se.subject.title} is now {se.grade} "
                         f"(was {before['grade']}).", link=STUDENT_GRADES_LINK)
    audit.record(actor, "grade.inc_resolve" if is_resolution else "grade.change_approve", se, before=before,
                 after={"grade": se.grade, "status": se.status, "request": request.id,
                        "requested_by": request.requested_by_id}, reason=request.reason)
    gpa.queue_recalculation([student.id])
