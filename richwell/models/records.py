"""Admission records: uploaded application documents, the admission review, and the
registrar's bulk "open continuing students" jobs."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from richwell.extensions import Model
from richwell.models.types import Money, UTCDateTime, utcnow

if TYPE_CHECKING:
    from richwell.models.academics import Program, Term
    from richwell.models.people import Student, User


class DocumentKind(str, enum.Enum):
    ID = "ID"
    FORM138_OR_TOR = "FORM138_OR_TOR"
    GOOD_MORAL = "GOOD_MORAL"

    @property
    def label(self) -> str:
        return {"ID": "Valid ID", "FORM138_OR_TOR": "Form 138 or transcript of records",
                "GOOD_MORAL": "Certificate of good moral character"}[self.value]


class ApplicationDocument(Model):
    """A file an applicant handed in; one per kind per student (a new upload replaces it).

    The file lives in UPLOAD_FOLDER under `stored_name` (random); `original_name` is only shown.
    """

    __tablename__ = "application_documents"
    __table_args__ = (UniqueConstraint("student_id", "kind", name="uq_application_documents_student_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    # Judged from the bytes (magic numbers), never from the name or the browser's claim.
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    student: Mapped[Student] = relationship()

    @property
    def kind_label(self) -> str:
        return DocumentKind(self.kind).label


class DocumentsStatus(str, enum.Enum):
    PENDING = "PENDING"
    COMPLETE = "COMPLETE"
    INCOMPLETE = "INCOMPLETE"


class AdmissionReview(Model):
    """Admission staff's verdict on a student's documents; the student sees the note."""

    __tablename__ = "admission_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), unique=True)
    documents_status: Mapped[str] = mapped_column(String(10), default=DocumentsStatus.PENDING.value, index=True)
    note: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    student: Mapped[Student] = relationship()
    reviewer: Mapped[User | None] = relationship()


class JobStatus(str, enum.Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


class BulkOpenJob(Model):
    """The registrar opens the current term's enrollment for a program and year level in the
    background; the counters are the progress bar."""

    __tablename__ = "bulk_open_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    year_level: Mapped[int] = mapped_column(Integer)
    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id"))
    # Used for a student with no earlier commitment (or one below today's minimum).
    default_commitment: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.QUEUED.value)
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    opened: Mapped[int] = mapped_column(Integer, default=0)
    already_enrolled: Mapped[int] = mapped_column(Integer, default=0)
    not_active: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    # A few "2026-00042: why" lines for students that could not be opened.
    problems: Mapped[list[str] | None] = mapped_column(JSON)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    program: Mapped[Program] = relationship()
    term: Mapped[Term] = relationship()
    requested_by: Mapped[User | None] = relationship()

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE.value:
            return 100
        if not self.total:
            return 0
        return min(100, self.processed * 100 // self.total)

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE.value, JobStatus.FAILED.value)
