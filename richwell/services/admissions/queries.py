"""Reading applications: the admission staff's list and one application, its review and its
documents, and the programs an applicant may choose."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

from richwell.extensions import db
from richwell.models import (
    AdmissionReview,
    AdmissionType,
    ApplicationDocument,
    DocumentsStatus,
    Program,
    Role,
    Student,
    User,
)
from richwell.services.platform import clock, storage
from richwell.services.platform.errors import NotFound
from richwell.services.platform.limits import STAFF_PAGE_SIZE

from . import uploads
from .rules import DOCUMENT_FIELDS, DOCUMENT_STAFF, require_admission_staff


class ApplicationsPage(NamedTuple):
    """One page of applications and the review of each (by student id)."""

    page: Pagination
    reviews: dict[int, AdmissionReview]


def documents_of(student_id: int) -> list[ApplicationDocument]:
    """A student's uploaded documents in the form's order (ID, Form 138/TOR, good moral)."""
    rows = db.session.scalars(select(ApplicationDocument).where(ApplicationDocument.student_id == student_id)).all()
    order = list(DOCUMENT_FIELDS)
    return sorted(rows, key=lambda d: order.index(d.kind))


def review_of(student_id: int) -> AdmissionReview | None:
    """The admission review of a student's documents (None for students created before reviews)."""
    return db.session.scalar(select(AdmissionReview).where(AdmissionReview.student_id == student_id))


@dataclass(frozen=True)
class DocumentDownload:
    """How a stored document leaves the portal: our own file name and the sniffed type."""

    filename: str
    content_type: str


def document_download(document: ApplicationDocument) -> DocumentDownload:
    """The portal's name for a document, `application-<kind>-<student number>.<ext>` (never the
    uploader's name), and the content type its bytes showed at upload."""
    kind = uploads.served_as(document.content_type)
    kind_name = document.kind.lower().replace("_", "-")
    number = document.student.student_number
    if kind is None:
        return DocumentDownload(f"application-{kind_name}-{number}.bin", "application/octet-stream")
    return DocumentDownload(f"application-{kind_name}-{number}.{kind.extension}", kind.content_type)


def document_for_viewer(viewer: User | None, document_id: int) -> tuple[ApplicationDocument, bytes]:
    """An uploaded document and its file's bytes, for the owning student, admission staff and
    registrars only; for anyone else it does not exist."""
    document = db.session.get(ApplicationDocument, document_id)
    if document is None or viewer is None:
        raise NotFound("That document does not exist.")
    owner = viewer.role == Role.STUDENT.value and document.student.user_id == viewer.id
    if not owner and viewer.role not in DOCUMENT_STAFF:
        raise NotFound("That document does not exist.")
    try:
        content = uploads.read(document.stored_name)
    except storage.StoredFileMissing:
        raise NotFound("That document's file is missing; ask the student to upload it again.") from None
    return document, content


def list_applications(actor: User | None, *, program_id: int | None = None, admission_type: str | None = None,
                      date_from: date | None = None, date_to: date | None = None,
                      documents_status: str | None = None, page: int = 1,
                      per_page: int = STAFF_PAGE_SIZE) -> ApplicationsPage:
    """Recent applications for admission staff, newest first, filtered by program, admission
    type, application date (school clock) and documents status."""
    require_admission_staff(actor, to="see applications")
    query = (select(Student)
             .join(AdmissionReview, AdmissionReview.student_id == Student.id)
             .order_by(Student.created_at.desc(), Student.id.desc()))
    if program_id:
        query = query.where(Student.program_id == program_id)
    if admission_type in (AdmissionType.FRESHMAN.value, AdmissionType.TRANSFEREE.value):
        query = query.where(Student.admission_type == admission_type)
    if date_from:
        query = query.where(Student.created_at >= clock.day_start(date_from))
    if date_to:
        query = query.where(Student.created_at < clock.day_start(date_to + timedelta(days=1)))
    if documents_status in {s.value for s in DocumentsStatus}:
        query = query.where(AdmissionReview.documents_status == documents_status)
    result = db.paginate(query, page=page, per_page=per_page, error_out=False)
    ids = [s.id for s in result.items]
    reviews = {r.student_id: r for r in db.session.scalars(
        select(AdmissionReview).where(AdmissionReview.student_id.in_(ids)))} if ids else {}
    return ApplicationsPage(result, reviews)


def get_application(actor: User | None, student_id: int) -> Student:
    """One application (the student it created), for admission staff."""
    require_admission_staff(actor, to="see applications")
    student = db.session.get(Student, student_id)
    if student is None:
        raise NotFound("That application does not exist.")
    return student


def active_programs() -> list[Program]:
    """The programs accepting students, by code."""
    return list(db.session.scalars(select(Program).where(Program.is_active.is_(True)).order_by(Program.code)))


def programs() -> list[Program]:
    """Every program, by code (the registrar's filters)."""
    return list(db.session.scalars(select(Program).order_by(Program.code)))
