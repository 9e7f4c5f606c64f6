"""Reads: who sees which release, the lists and their CSV, the request queue, opening a
document (audited) and what the public verification page may tell."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from richwell.extensions import db
from richwell.models import DocumentRelease, DocumentRequest, RequestStatus, Role, Student, User
from richwell.services import grades
from richwell.services.platform import audit, clock
from richwell.services.platform.clock import to_manila
from richwell.services.platform.codes import normalize_code
from richwell.services.platform.errors import Forbidden, NotFound, ValidationError
from richwell.services.platform.unit_of_work import unit_of_work

from . import storage
from .rules import is_registrar, parse_kind, sees_all_releases

NOT_FOUND = "That document does not exist."


def _own_student(actor: User | None) -> Student:
    if actor is None or actor.role != Role.STUDENT.value:
        raise NotFound(NOT_FOUND)
    student = db.session.scalar(select(Student).where(Student.user_id == actor.id))
    if student is None:
        raise NotFound("No student record is linked to this account.")
    return student


def student_documents(actor: User | None) -> Select[DocumentRelease]:
    """The signed-in student's own documents, newest first; revoked ones are gone from view."""
    student = _own_student(actor)
    return (select(DocumentRelease).where(DocumentRelease.student_id == student.id,
                                          DocumentRelease.revoked_at.is_(None))
            .order_by(DocumentRelease.released_at.desc(), DocumentRelease.id.desc()))


def student_requests(actor: User | None) -> list[DocumentRequest]:
    """The signed-in student's requests, newest first."""
    student = _own_student(actor)
    return list(db.session.scalars(select(DocumentRequest).where(DocumentRequest.student_id == student.id)
                                   .order_by(DocumentRequest.requested_at.desc(), DocumentRequest.id.desc())))


def get_release(viewer: User | None, release_id: int) -> DocumentRelease:
    """One release the viewer may open: a student their own and not revoked; a registrar their
    own releases; the head registrar and the admin any. Everyone else: not found."""
    item = db.session.get(DocumentRelease, release_id)
    if item is None or viewer is None:
        raise NotFound(NOT_FOUND)
    if viewer.role == Role.STUDENT.value:
        if item.student.user_id == viewer.id and item.revoked_at is None:
            return item
        raise NotFound(NOT_FOUND)
    if sees_all_releases(viewer) or (is_registrar(viewer) and item.released_by_id == viewer.id):
        return item
    raise NotFound(NOT_FOUND)


def open_release(viewer: User | None, release_id: int, *, how: str) -> DocumentRelease:
    """Open a release for viewing or download; every opening is audited (who, which, how)."""
    with unit_of_work():
        item = get_release(viewer, release_id)
        audit.record(viewer, "document.download", item, after={"number": item.number, "as": how})
    return item


def scan_bytes(item: DocumentRelease) -> bytes:
    if item.scan_name is None:
        raise NotFound(NOT_FOUND)
    return storage.read_scan(item.scan_name)


@dataclass(frozen=True)
class ReleaseFilter:
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    student: str | None = None
    registrar_id: int | None = None


def parse_filter(args: dict[str, Any]) -> ReleaseFilter:
    """The list's filters from a query string; bad ones are refused at their field."""
    kind = parse_kind(args["kind"]).value if args.get("kind") else None

    def day(name: str) -> date | None:
        text = str(args.get(name) or "").strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise ValidationError("Enter the date as YYYY-MM-DD.", field=name) from None

    registrar = str(args.get("registrar_id") or "").strip()
    if registrar and not (registrar.isascii() and registrar.isdigit() and len(registrar) < 10):
        raise ValidationError("Choose a registrar from the list.", field="registrar_id")
    student = str(args.get("student") or "").strip()[:60] or None
    return ReleaseFilter(kind, day("date_from"), day("date_to"), student, int(registrar) if registrar else None)


def releases(viewer: User | None, chosen: ReleaseFilter = ReleaseFilter()) -> Select[DocumentRelease]:
    """Releases, newest first: a registrar's own; the head registrar's and admin's all; filtered
    by kind, release date (Manila), student (number or name) and registrar."""
    if viewer is None or not (is_registrar(viewer) or viewer.role == Role.ADMIN.value):
        raise Forbidden("Only the registrar and the admin see document releases.")
    statement = (select(DocumentRelease).join(Student, Student.id == DocumentRelease.student_id)
                 .join(User, User.id == Student.user_id)
                 .options(selectinload(DocumentRelease.student).selectinload(Student.user),
                          selectinload(DocumentRelease.released_by))
                 .order_by(DocumentRelease.released_at.desc(), DocumentRelease.id.desc()))
    if not sees_all_releases(viewer):
        statement = statement.where(DocumentRelease.released_by_id == viewer.id)
    elif chosen.registrar_id:
        statement = statement.where(DocumentRelease.released_by_id == chosen.registrar_id)
    if chosen.kind:
        statement = statement.where(DocumentRelease.kind == chosen.kind)
    if chosen.date_from:
        statement = statement.where(DocumentRelease.released_at >= clock.day_start(chosen.date_from))
    if chosen.date_to:
        statement = statement.where(DocumentRelease.released_at < clock.day_start(chosen.date_to + timedelta(days=1)))
    if chosen.student:
        text = chosen.student
        statement = statement.where(or_(Student.student_number.startswith(text, autoescape=True),
                                        User.first_name.icontains(text, autoescape=True),
                                        User.last_name.icontains(text, autoescape=True)))
    return statement


def registrars() -> list[User]:
    """Everyone who may release, for the list's filter."""
    return list(db.session.scalars(select(User).where(User.role.in_((Role.REGISTRAR.value,
                                                                       Role.HEAD_REGISTRAR.value)))
                                   .order_by(User.last_name, User.first_name)))


def releases_csv(viewer: User | None, chosen: ReleaseFilter = ReleaseFilter()) -> str:
    """The filtered list as CSV (every row, not one page)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Number", "Kind", "Student number", "Student", "Purpose", "Copies", "Source", "Released by",
                     "Released at (Manila)", "Status", "Revoked at (Manila)", "Revoke reason"])
    for item in db.session.scalars(releases(viewer, chosen)):
        released, revoked = to_manila(item.released_at), to_manila(item.revoked_at)
        writer.writerow([_cell(v) for v in (
            item.number, item.kind, item.student.student_number, item.student.full_name, item.purpose, item.copies,
            item.source, item.released_by.full_name, released.strftime("%Y-%m-%d %H:%M"),
            "REVOKED" if revoked else "VALID", revoked.strftime("%Y-%m-%d %H:%M") if revoked else "",
            item.revoke_reason or "")])
    return out.getvalue()


def _cell(value: object) -> str:
    # A cell a spreadsheet would run as a formula is kept as text.
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def pending_requests(viewer: User | None) -> list[DocumentRequest]:
    """The registrar's queue: open requests, oldest first."""
    if not is_registrar(viewer):
        raise Forbidden("Only the registrar answers document requests.")
    return list(db.session.scalars(
        select(DocumentRequest).options(selectinload(DocumentRequest.student).selectinload(Student.user))
        .where(DocumentRequest.status == RequestStatus.PENDING.value)
        .order_by(DocumentRequest.requested_at, DocumentRequest.id)))


def get_request(viewer: User | None, request_id: int) -> DocumentRequest:
    if not is_registrar(viewer):
        raise NotFound("That request does not exist.")
    item = db.session.get(DocumentRequest, request_id)
    if item is None:
        raise NotFound("That request does not exist.")
    return item


def releases_of_student(viewer: User | None, student_id: int) -> list[DocumentRelease]:
    """A student's releases as the registrar's student page lists them (own ones for a registrar)."""
    statement = releases(viewer).where(DocumentRelease.student_id == student_id)
    return list(db.session.scalars(statement))


def verify(code: object) -> dict[str, Any] | None:
    """What a printed code may tell the public. A document: valid or revoked (with the date),
    its kind, the student's name and number and the release date, nothing else. Other codes
    (permits, issued transcripts) are answered by their own services."""
    normalized = normalize_code(code)
    if normalized is not None:
        item = db.session.scalar(select(DocumentRelease).where(DocumentRelease.code == normalized))
        if item is not None:
            return {"verify_kind": "DOCUMENT", "valid": item.revoked_at is None,
                    "status": "Revoked" if item.revoked_at else "Valid", "kind": item.kind_label,
                    "code": item.code, "student_name": item.student.full_name,
                    "student_number": item.student.student_number, "issued_at": item.released_at,
                    "revoked_at": item.revoked_at}
    return grades.verify(code if isinstance(code, str) else None)
