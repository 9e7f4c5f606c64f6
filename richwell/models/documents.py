"""Registrar documents: releases (TOR, COE, good moral, honorable dismissal, diploma, other),
the students' requests for them, and the per-kind, per-year release-number counters."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from richwell.extensions import Model
from richwell.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from richwell.models.people import Student, User


class ReleaseKind(str, enum.Enum):
    TOR = "TOR"
    COE = "COE"
    CGM = "CGM"
    HD = "HD"
    DIP = "DIP"
    OTH = "OTH"

    @property
    def label(self) -> str:
        return RELEASE_KIND_LABELS[self]


RELEASE_KIND_LABELS = {
    ReleaseKind.TOR: "Transcript of records",
    ReleaseKind.COE: "Certificate of enrollment",
    ReleaseKind.CGM: "Certificate of good moral character",
    ReleaseKind.HD: "Honorable dismissal",
    ReleaseKind.DIP: "Diploma",
    ReleaseKind.OTH: "Other document",
}


class ReleaseSource(str, enum.Enum):
    GENERATED = "GENERATED"  # built from the records at release time (snapshot)
    SCAN = "SCAN"  # a signed paper, scanned and uploaded


class DocumentRelease(Model):
    """One document handed to a student. Generated ones keep a snapshot of what they said, so
    a reprint or a verification shows exactly what was released; scans keep the file."""

    __tablename__ = "document_releases"
    __table_args__ = (Index("ix_document_releases_released_at", "released_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # TOR-2026-000123
    kind: Mapped[str] = mapped_column(String(3), index=True)
    title: Mapped[str | None] = mapped_column(String(120))  # what an OTH document is
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(120))
    notes: Mapped[str] = mapped_column(Text, default="")
    copies: Mapped[int] = mapped_column(Integer, default=1)
    source: Mapped[str] = mapped_column(String(10))
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    scan_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    scan_content_type: Mapped[str | None] = mapped_column(String(40))
    scan_size: Mapped[int | None] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    released_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    released_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The head registrar's override of the unpaid-balance rule (TOR, HD), with the reason.
    override_reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("document_requests.id"), unique=True)
    # "HD:<student id>" while an honorable dismissal stands: the unique key lets it exist once.
    once_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    student: Mapped[Student] = relationship()
    released_by: Mapped[User] = relationship(foreign_keys=[released_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    @property
    def kind_label(self) -> str:
        if self.kind == ReleaseKind.OTH.value and self.title:
            return self.title
        return ReleaseKind(self.kind).label

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class RequestStatus(str, enum.Enum):
    PENDING = "PENDING"
    RELEASED = "RELEASED"
    DECLINED = "DECLINED"

    @property
    def label(self) -> str:
        return {"PENDING": "Waiting for the registrar", "RELEASED": "Released",
                "DECLINED": "Declined"}[self.value]


class DocumentRequest(Model):
    """A student asks the registrar for a document; the registrar releases or declines it."""

    __tablename__ = "document_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    kind: Mapped[str] = mapped_column(String(3))
    purpose: Mapped[str] = mapped_column(String(120))
    copies: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), default=RequestStatus.PENDING.value, index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)  # the registrar's note on a decline

    student: Mapped[Student] = relationship()
    decided_by: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return ReleaseKind(self.kind).label

    @property
    def status_label(self) -> str:
        return RequestStatus(self.status).label


class ReleaseCounter(Model):
    """One row per kind and calendar year (school clock); its row lock makes numbers gapless."""

    __tablename__ = "release_counters"

    kind: Mapped[str] = mapped_column(String(3), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
