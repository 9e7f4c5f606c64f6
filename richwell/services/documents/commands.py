"""Writes: releasing a document (generated or a signed scan), revoking it, students' requests
and the registrar's decline. Each in one unit of work, audited, the student notified."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import (
    DocumentRelease,
    DocumentRequest,
    ReleaseCounter,
    ReleaseKind,
    ReleaseSource,
    RequestStatus,
    Role,
    Student,
    StudentStatus,
    User,
)
from richwell.services import admissions
from richwell.services.platform import audit, notifications
from richwell.services.platform.clock import now, today
from richwell.services.platform.codes import new_code
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from richwell.services.platform.unit_of_work import unit_of_work

from . import content, storage
from .rules import (
    GENERATED,
    NEEDS_CLEARANCE,
    NOTES_MAX,
    PURPOSE_MAX,
    REASON_MAX,
    REQUESTABLE,
    TITLE_MAX,
    is_head,
    parse_copies,
    parse_kind,
    parse_text,
    release_number,
    require_registrar,
    sees_all_releases,
)

_COUNTER = ReleaseCounter.__table__
MY_DOCUMENTS = "/student/documents"


@dataclass(frozen=True)
class ReleaseForm:
    """A release as the registrar asked for it, checked field by field."""

    kind: ReleaseKind
    purpose: str
    notes: str
    copies: int
    title: str | None
    scan: admissions.CheckedFile | None
    override_reason: str | None


def check_form(actor: User | None, kind: object, purpose: object, notes: object = "", copies: object = 1,
               title: object = None, scan: Any = None, override_reason: object = None) -> ReleaseForm:
    """The release form's fields: kind, purpose, notes, copies, an OTH's title, an optional signed
    scan (PDF/JPEG/PNG by content, at most 5 MB) and the head registrar's override reason."""
    registrar = require_registrar(actor, "release documents")
    chosen = parse_kind(kind)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, check in (
            ("purpose", lambda: parse_text(purpose, "purpose", "purpose", PURPOSE_MAX)),
            ("notes", lambda: parse_text(notes, "notes", "notes", NOTES_MAX, required=False)),
            ("copies", lambda: parse_copies(copies)),
            ("title", lambda: parse_text(title, "title", "document's title", TITLE_MAX,
                                         required=chosen is ReleaseKind.OTH) or None),
            ("override_reason", lambda: parse_text(override_reason, "override_reason", "override reason",
                                                   REASON_MAX, required=False) or None),
            ("scan", lambda: admissions.check_file(scan, "scan", "signed scan") if _given(scan) else None)):
        try:
            values[name] = check()
        except ValidationError as error:
            errors.update(error.fields)
    if not errors and chosen not in GENERATED and values["scan"] is None:
        errors["scan"] = [f"A {chosen.label.lower()} has no template: upload the signed scan."]
    if not errors and values["override_reason"] and not is_head(registrar):
        errors["override_reason"] = ["Only the head registrar may override the unpaid balance."]
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], fields=errors)
    return ReleaseForm(kind=chosen, **values)


def _given(scan: Any) -> bool:
    """Whether a scan came with the form: bytes, a stream, or a form's file with a name (a file
    input left empty sends a nameless part)."""
    if scan is None:
        return False
    if isinstance(scan, (bytes, bytearray, memoryview)):
        return len(scan) > 0
    if hasattr(scan, "filename"):
        return bool(scan.filename)
    return hasattr(scan, "read")


def _locked_student(student_id: int) -> Student:
    student: Student | None = db.session.scalar(
        select(Student).where(Student.id == student_id).with_for_update().execution_options(populate_existing=True))
    if student is None:
        raise NotFound("That student does not exist.")
    return student


def check_student(student: Student, form: ReleaseForm, actor: User) -> bool:
    """The rules on the student: a record to certify, a diploma only for a graduate, a COE only
    while enrolled, an honorable dismissal once (and never for a graduate), and no unpaid balance
    from past terms for a TOR or HD unless the head registrar overrides with a reason. True when
    that override was needed (an override given without a balance to excuse is not one)."""
    kind, number = form.kind, student.student_number
    if kind is ReleaseKind.HD and _standing_hd(student.id) is not None:
        raise Conflict(f"{number} already has an honorable dismissal; it is released once.",
                       code="already_released", field="kind")
    if student.status == StudentStatus.WITHDRAWN.value and not content.has_record(student.id):
        raise DomainError(f"{number} withdrew without any record at this school: there is nothing to certify.",
                          code="no_record", field="kind")
    if kind is ReleaseKind.DIP and student.status != StudentStatus.GRADUATED.value:
        raise DomainError(f"{number} has not graduated: a diploma is released only to a graduate.",
                          code="not_graduated", field="kind")
    if kind is ReleaseKind.COE and student.status != StudentStatus.ACTIVE.value:
        raise DomainError(f"{number} is not an active student: no certificate of enrollment.",
                          code="not_enrolled", field="kind")
    if kind is ReleaseKind.HD:
        if student.status == StudentStatus.GRADUATED.value:
            raise DomainError(f"{number} has graduated: a graduate is not dismissed; release a TOR instead.",
                              code="graduated", field="kind")
    if kind in NEEDS_CLEARANCE:
        owed = content.past_terms_balance(student.id)
        if owed > 0 and not form.override_reason:
            raise DomainError(f"{number} owes ₱{owed:,.2f} from past terms. Settle it first, or the head "
                              "registrar may override with a reason.", code="unpaid_balance", field="kind")
        return owed > 0
    return False


def _standing_hd(student_id: int) -> int | None:
    found: int | None = db.session.scalar(select(DocumentRelease.id).where(
        DocumentRelease.once_key == f"HD:{student_id}"))
    return found


def next_number(kind: ReleaseKind, year: int) -> str:
    """The next number of a kind in a year. The counter row stays locked until the caller's
    transaction ends and a rollback gives the number back: numbers are gapless."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    upsert = module.insert(_COUNTER).values(kind=bindparam("kind"), year=bindparam("year"), last_value=1)
    statement = upsert.on_conflict_do_update(index_elements=[_COUNTER.c.kind, _COUNTER.c.year],
                                             set_={"last_value": _COUNTER.c.last_value + 1}) \
        .returning(_COUNTER.c.last_value)
    value: int = db.session.execute(statement, {"kind": kind.value, "year": year}).scalar_one()
    if value > 999_999:
        raise DomainError(f"{kind.value} numbers for {year} are exhausted.", code="numbers_exhausted")
    return release_number(kind, year, value)


def release(actor: User | None, student_id: int, *, kind: object, purpose: object, notes: object = "",
            copies: object = 1, title: object = None, scan: Any = None, override_reason: object = None,
            request_id: int | None = None) -> DocumentRelease:
    """Release a document to a student (see `check_student` for the rules), generated from the
    records or as an uploaded signed scan, with its number and verification code. An HD marks
    the student transferred out (WITHDRAWN in the status history). Audited; the student is
    notified; a request it answers is closed."""
    form = check_form(actor, kind, purpose, notes, copies, title, scan, override_reason)
    assert actor is not None
    try:
        with unit_of_work():
            student = _locked_student(student_id)
            request = _pending_request(request_id, student, form.kind) if request_id is not None else None
            overridden = check_student(student, form, actor)
            override_reason = form.override_reason if overridden else None
            day = today()
            snapshot = None if form.scan else content.build(form.kind, student, actor, form.purpose, day)
            item = DocumentRelease(
                kind=form.kind.value, title=form.title, student_id=student.id, purpose=form.purpose,
                notes=form.notes, copies=form.copies,
                source=(ReleaseSource.SCAN if form.scan else ReleaseSource.GENERATED).value,
                snapshot=snapshot, code=new_code(), released_by_id=actor.id, released_at=now(),
                override_reason=override_reason, request_id=request.id if request else None,
                once_key=f"HD:{student.id}" if form.kind is ReleaseKind.HD else None)
            if form.scan:
                item.scan_content_type, item.scan_size = form.scan.content_type, len(form.scan.data)
                item.scan_name = storage.store_scan(form.scan.data, form.scan.extension)
            if form.kind is ReleaseKind.HD and student.status != StudentStatus.WITHDRAWN.value:
                admissions.change_status(actor, student.id, StudentStatus.WITHDRAWN.value, day,
                                         "Transferred out: honorable dismissal released.")
            if request is not None:
                request.status, request.decided_by_id = RequestStatus.RELEASED.value, actor.id
                request.decided_at = now()
            # Taken last: the counter row stays locked until the commit, so keep that window short.
            item.number = next_number(form.kind, day.year)
            db.session.add(item)
            db.session.flush()
            audit.record(actor, "document.release", item, after={
                "number": item.number, "kind": item.kind, "student": student.student_number,
                "purpose": item.purpose, "source": item.source, "code": item.code,
                "override": overridden}, reason=override_reason)
            notifications.notify(student.user_id, "document_released",
                                 f"Your {item.kind_label.lower()} ({item.number}) was released. "
                                 "View or print it under My documents.", link=f"{MY_DOCUMENTS}/{item.id}")
    except IntegrityError:  # the unique HD key (or a request released twice) said no
        raise Conflict("That document was already released.", code="already_released") from None
    return item


def _pending_request(request_id: int, student: Student, kind: ReleaseKind) -> DocumentRequest:
    request = db.session.scalar(select(DocumentRequest).where(DocumentRequest.id == request_id).with_for_update()
                                .execution_options(populate_existing=True))
    if request is None or request.student_id != student.id:
        raise NotFound("That request does not exist.")
    if request.status != RequestStatus.PENDING.value:
        raise Conflict("That request was already answered.", code="already_answered")
    if request.kind != kind.value:
        raise ValidationError(f"The student asked for a {request.kind_label.lower()}.", field="kind")
    return request


def revoke(actor: User | None, release_id: int, reason: object) -> DocumentRelease:
    """Revoke a release with a reason: the student loses access, verification answers
    "revoked" with the date, the student is notified. A registrar revokes their own releases,
    the head registrar any. Once only. Audited."""
    require_registrar(actor, "revoke documents")
    assert actor is not None
    why = parse_text(reason, "reason", "reason for revoking", REASON_MAX)
    with unit_of_work():
        item = db.session.scalar(select(DocumentRelease).where(DocumentRelease.id == release_id).with_for_update()
                                 .execution_options(populate_existing=True))
        if item is None or not (sees_all_releases(actor) or item.released_by_id == actor.id):
            raise NotFound("That document does not exist.")
        if item.revoked_at is not None:
            raise Conflict(f"{item.number} was already revoked.", code="already_revoked")
        item.revoked_at, item.revoked_by_id, item.revoke_reason = now(), actor.id, why
        item.once_key = None  # a revoked HD no longer stands: a corrected one may be released
        audit.record(actor, "document.revoke", item, before={"revoked": False},
                     after={"number": item.number, "revoked": True}, reason=why)
        notifications.notify(item.student.user_id, "document_revoked",
                             f"Your {item.kind_label.lower()} ({item.number}) was revoked: {why}")
    return item


def request_document(actor: User | None, kind: object, purpose: object, copies: object = 1) -> DocumentRequest:
    """A student asks the registrar for a document (one open request per kind at a time)."""
    if actor is None or actor.role != Role.STUDENT.value:
        raise Forbidden("Only a student asks for their own documents.")
    chosen = parse_kind(kind, allowed=REQUESTABLE)
    why = parse_text(purpose, "purpose", "purpose", PURPOSE_MAX)
    count = parse_copies(copies)
    with unit_of_work():
        student = db.session.scalar(select(Student).where(Student.user_id == actor.id).with_for_update())
        if student is None:
            raise NotFound("No student record is linked to this account.")
        open_one = db.session.scalar(select(DocumentRequest.id).where(
            DocumentRequest.student_id == student.id, DocumentRequest.kind == chosen.value,
            DocumentRequest.status == RequestStatus.PENDING.value))
        if open_one is not None:
            raise Conflict(f"You already asked for a {chosen.label.lower()}; the registrar has it in the queue.",
                           code="already_requested", field="kind")
        item = DocumentRequest(student_id=student.id, kind=chosen.value, purpose=why, copies=count,
                               requested_at=now())
        db.session.add(item)
        db.session.flush()
        audit.record(actor, "document.request", item, after={"kind": chosen.value, "purpose": why, "copies": count})
        notifications.notify(actor.id, "document_request",
                             f"We received your request for a {chosen.label.lower()}. The registrar will "
                             "release it or tell you why not.", link=MY_DOCUMENTS)
    return item


def decline_request(actor: User | None, request_id: int, note: object) -> DocumentRequest:
    """The registrar declines a pending request with a note the student sees."""
    require_registrar(actor, "answer document requests")
    why = parse_text(note, "note", "note for the student", REASON_MAX)
    with unit_of_work():
        item = db.session.scalar(select(DocumentRequest).where(DocumentRequest.id == request_id).with_for_update()
                                 .execution_options(populate_existing=True))
        if item is None:
            raise NotFound("That request does not exist.")
        if item.status != RequestStatus.PENDING.value:
            raise Conflict("That request was already answered.", code="already_answered")
        item.status, item.note, item.decided_by_id, item.decided_at = RequestStatus.DECLINED.value, why, \
            actor.id if actor else None, now()
        audit.record(actor, "document.request_decline", item, after={"kind": item.kind}, reason=why)
        notifications.notify(item.student.user_id, "document_request",
                             f"Your request for a {item.kind_label.lower()} was declined: {why}", link=MY_DOCUMENTS)
    return item


@dataclass(frozen=True)
class Preview:
    """What a release would say, checked against every rule, before anything is recorded."""

    student: Student
    form: ReleaseForm
    snapshot: dict[str, Any] | None
    balance: Any


def preview(actor: User | None, student_id: int, *, kind: object, purpose: object, notes: object = "",
            copies: object = 1, title: object = None, scan: Any = None,
            override_reason: object = None) -> Preview:
    """Check a release against every rule and build the document it would give, writing nothing."""
    form = check_form(actor, kind, purpose, notes, copies, title, scan, override_reason)
    assert actor is not None
    student = db.session.get(Student, student_id)
    if student is None:
        raise NotFound("That student does not exist.")
    check_student(student, form, actor)
    snapshot = None if form.scan else content.build(form.kind, student, actor, form.purpose, today())
    return Preview(student, form, snapshot, content.past_terms_balance(student.id))
