"""Grades: per-offering grade sheets, draft entries, the version history of every grade
value, change requests, INC clocks, stored term GPAs and issued transcripts."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from richwell.extensions import Model
from richwell.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from richwell.models.academics import Term
    from richwell.models.enrollment import SubjectEnrollment
    from richwell.models.people import Student, User
    from richwell.models.scheduling import Offering


class GradeSheetStatus(str, enum.Enum):
    OPEN = "OPEN"
    SUBMITTED = "SUBMITTED"
    FINALIZED = "FINALIZED"


class GradeSheet(Model):
    """The grade sheet of one offering: OPEN (professor drafts) → SUBMITTED → FINALIZED.

    Created lazily on first entry. A registrar may reopen a sheet that is not final for
    late entry: it goes back to OPEN and entry is allowed until `late_entry_until`.
    """

    __tablename__ = "grade_sheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offerings.id"), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=GradeSheetStatus.OPEN.value, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalized_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Late entry after the term's grade deadline, granted by a registrar (audited).
    late_entry_until: Mapped[date | None] = mapped_column(Date)
    reopen_reason: Mapped[str | None] = mapped_column(Text)
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    offering: Mapped[Offering] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    finalized_by: Mapped[User | None] = relationship(foreign_keys=[finalized_by_id])
    reopened_by: Mapped[User | None] = relationship(foreign_keys=[reopened_by_id])


class GradeEntry(Model):
    """The professor's DRAFT value for one subject enrollment, editable while the sheet is OPEN.

    The final grade lives on SubjectEnrollment.grade once the registrar finalizes.
    """

    __tablename__ = "grade_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_enrollment_id: Mapped[int] = mapped_column(ForeignKey("subject_enrollments.id"), unique=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offerings.id"), index=True)
    value: Mapped[str | None] = mapped_column(String(4))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    subject_enrollment: Mapped[SubjectEnrollment] = relationship()
    entered_by: Mapped[User | None] = relationship()


class GradeSource(str, enum.Enum):
    ENTRY = "ENTRY"
    FINALIZATION = "FINALIZATION"
    CHANGE_REQUEST = "CHANGE_REQUEST"
    INC_RESOLUTION = "INC_RESOLUTION"
    INC_EXPIRY = "INC_EXPIRY"

    @property
    def label(self) -> str:
        return {"ENTRY": "Draft entry", "FINALIZATION": "Finalized", "CHANGE_REQUEST": "Approved change",
                "INC_RESOLUTION": "INC completed", "INC_EXPIRY": "INC expired"}[self.value]


class GradeVersion(Model):
    """Every value a grade ever had, append-only: drafts, the final value, each change."""

    __tablename__ = "grade_versions"
    __table_args__ = (Index("ix_grade_versions_se_time", "subject_enrollment_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_enrollment_id: Mapped[int] = mapped_column(ForeignKey("subject_enrollments.id"))
    value: Mapped[str | None] = mapped_column(String(4))
    previous_value: Mapped[str | None] = mapped_column(String(4))
    source: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    # None = SYSTEM (the INC expiry job).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    change_request_id: Mapped[int | None] = mapped_column(ForeignKey("grade_change_requests.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()

    @property
    def source_label(self) -> str:
        return GradeSource(self.source).label

    @property
    def actor_label(self) -> str:
        return self.actor.full_name if self.actor else "SYSTEM"


class ChangeRequestStatus(str, enum.Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class ChangeRequestKind(str, enum.Enum):
    CHANGE = "CHANGE"
    INC_RESOLUTION = "INC_RESOLUTION"


class GradeChangeRequest(Model):
    """A change to a final grade (or an INC's completion grade), waiting for a registrar.

    At most one PENDING request per subject enrollment (partial unique index).
    `needs_head` when a registrar asked: then only a head registrar may approve.
    """

    __tablename__ = "grade_change_requests"
    __table_args__ = (
        Index("uq_grade_change_requests_one_pending", "subject_enrollment_id", unique=True,
              postgresql_where=text("status = 'PENDING'"), sqlite_where=text("status = 'PENDING'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_enrollment_id: Mapped[int] = mapped_column(ForeignKey("subject_enrollments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=ChangeRequestKind.CHANGE.value)
    old_value: Mapped[str | None] = mapped_column(String(4))
    new_value: Mapped[str] = mapped_column(String(4))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=ChangeRequestStatus.PENDING.value, index=True)
    needs_head: Mapped[bool] = mapped_column(default=False)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)

    subject_enrollment: Mapped[SubjectEnrollment] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class IncStatus(str, enum.Enum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"
    EXPIRED = "EXPIRED"


class IncRecord(Model):
    """The clock of one INC: it starts at finalization; `base_deadline` is start + 6 or 12
    months (major/minor, from settings at that time); LOA days push the real deadline out
    and are counted when the daily job runs (they come from the student's status history)."""

    __tablename__ = "inc_records"
    __table_args__ = (Index("ix_inc_records_status_deadline", "status", "base_deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_enrollment_id: Mapped[int] = mapped_column(ForeignKey("subject_enrollments.id"), unique=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    started_on: Mapped[date] = mapped_column(Date)
    base_deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=IncStatus.OPEN.value)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    subject_enrollment: Mapped[SubjectEnrollment] = relationship()


class TermGpa(Model):
    """A student's GPA for one term, kept by the GPA service for fast pages.

    `points` is Σ(grade in hundredths × units) and `units` Σ(units), both exact integers;
    `gpa` = points / units / 100 rounded half up to 2 decimals.
    """

    __tablename__ = "term_gpas"
    __table_args__ = (UniqueConstraint("student_id", "term_id", name="uq_term_gpas_student_term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id"), index=True)
    points: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer)
    gpa: Mapped[Decimal] = mapped_column(Numeric(4, 2, asdecimal=True))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    term: Mapped[Term] = relationship()


class TranscriptKind(str, enum.Enum):
    OFFICIAL = "OFFICIAL"          # issued by a registrar: the TOR
    STUDENT_COPY = "STUDENT_COPY"  # printed by the student for their own use

    @property
    def label(self) -> str:
        return {"OFFICIAL": "Official transcript of records", "STUDENT_COPY": "Student copy"}[self.value]


class Transcript(Model):
    """An issued transcript: a frozen snapshot of the record and an unguessable code that
    the public verification page checks."""

    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(14), default=TranscriptKind.OFFICIAL.value)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    student: Mapped[Student] = relationship()
    issued_by: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return TranscriptKind(self.kind).label
