"""Sections, offerings (a subject taught in a section) and weekly schedule slots."""
from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from richwell.extensions import Model
from richwell.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from richwell.models.academics import Program, Subject, Term
    from richwell.models.people import User

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


class Section(Model):
    """A block of students of one program and year level in a term (e.g. BSIT-2A)."""

    __tablename__ = "sections"
    __table_args__ = (
        UniqueConstraint("term_id", "code", name="uq_sections_term_code"),
        CheckConstraint("capacity BETWEEN 1 AND 500", name="capacity_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    year_level: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(30))
    capacity: Mapped[int] = mapped_column(Integer, default=40)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    term: Mapped[Term] = relationship()
    program: Mapped[Program] = relationship()
    offerings: Mapped[list[Offering]] = relationship(back_populates="section", order_by="Offering.id")


class Offering(Model):
    """A subject taught in a section: professor (None = TBA), seats, schedule slots.

    `enrolled_count` moves only through the enrollment service, by a conditional
    UPDATE under lock, so it can never pass `capacity` without a recorded override.
    """

    __tablename__ = "offerings"
    __table_args__ = (
        UniqueConstraint("section_id", "subject_id", name="uq_offerings_section_subject"),
        CheckConstraint("enrolled_count >= 0", name="enrolled_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    professor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    capacity: Mapped[int] = mapped_column(Integer, default=40)
    enrolled_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    section: Mapped[Section] = relationship(back_populates="offerings")
    subject: Mapped[Subject] = relationship()
    professor: Mapped[User | None] = relationship()
    slots: Mapped[list[ScheduleSlot]] = relationship(
        back_populates="offering", order_by="(ScheduleSlot.day, ScheduleSlot.start_time)",
        cascade="all, delete-orphan")

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.enrolled_count, 0)


class ScheduleSlot(Model):
    """One weekly meeting: day (0 = Monday … 6 = Sunday), start, end, room."""

    __tablename__ = "schedule_slots"
    __table_args__ = (
        CheckConstraint("end_time > start_time", name="ends_after_start"),
        CheckConstraint("day BETWEEN 0 AND 6", name="day_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int] = mapped_column(ForeignKey("offerings.id", ondelete="CASCADE"), index=True)
    day: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    room: Mapped[str | None] = mapped_column(String(40))
    # Set when a registrar placed this slot over a professor conflict (audited).
    override_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    offering: Mapped[Offering] = relationship(back_populates="slots")

    @property
    def day_name(self) -> str:
        return DAYS[self.day]

    def overlaps(self, other: ScheduleSlot) -> bool:
        return self.day == other.day and self.start_time < other.end_time and other.start_time < self.end_time
