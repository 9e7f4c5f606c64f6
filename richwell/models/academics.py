"""Programs, subjects with their prerequisites, and terms."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, Integer, String, Table, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from richwell.extensions import Model
from richwell.models.types import UTCDateTime, utcnow


class Program(Model):
    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    years: Mapped[int] = mapped_column(Integer, default=4)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Semester(str, enum.Enum):
    FIRST = "FIRST"
    SECOND = "SECOND"
    SUMMER = "SUMMER"

    @property
    def label(self) -> str:
        return {"FIRST": "1st semester", "SECOND": "2nd semester", "SUMMER": "Summer"}[self.value]


class Term(Model):
    __tablename__ = "terms"
    __table_args__ = (
        UniqueConstraint("academic_year", "semester", name="uq_terms_year_semester"),
        # Exactly one current term: at most one row may carry is_current = true.
        Index(
            "uq_terms_one_current",
            "is_current",
            unique=True,
            postgresql_where=text("is_current"),
            sqlite_where=text("is_current = 1"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    academic_year: Mapped[str] = mapped_column(String(9))  # "2026-2027"
    semester: Mapped[str] = mapped_column(String(6))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    enrollment_open: Mapped[date] = mapped_column(Date)
    enrollment_close: Mapped[date] = mapped_column(Date)
    drop_deadline: Mapped[date] = mapped_column(Date)
    grade_deadline: Mapped[date] = mapped_column(Date)
    is_current: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def name(self) -> str:
        return f"{Semester(self.semester).label} {self.academic_year}"

    def enrollment_window_open(self, today: date) -> bool:
        return self.enrollment_open <= today <= self.enrollment_close


subject_prerequisites = Table(
    "subject_prerequisites",
    Model.metadata,
    Column("subject_id", ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True),
    Column("prerequisite_id", ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True),
)


class Subject(Model):
    """A subject of one program's curriculum; code unique within the program."""

    __tablename__ = "subjects"
    __table_args__ = (
        UniqueConstraint("program_id", "code", name="uq_subjects_program_code"),
        CheckConstraint("units BETWEEN 1 AND 6", name="units_range"),
        CheckConstraint("year_level BETWEEN 1 AND 5", name="year_level_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    units: Mapped[int] = mapped_column(Integer)
    is_major: Mapped[bool] = mapped_column(default=True)
    year_level: Mapped[int] = mapped_column(Integer)
    semester: Mapped[str] = mapped_column(String(6))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    program: Mapped[Program] = relationship()
    prerequisites: Mapped[list[Subject]] = relationship(
        secondary=subject_prerequisites,
        primaryjoin=lambda: Subject.id == subject_prerequisites.c.subject_id,
        secondaryjoin=lambda: Subject.id == subject_prerequisites.c.prerequisite_id,
        order_by=lambda: Subject.code,
    )
