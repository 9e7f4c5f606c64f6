"""Accounts, roles and student profiles."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from richwell.extensions import Model
from richwell.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from richwell.models.academics import Program


class Role(str, enum.Enum):
    STUDENT = "student"
    CASHIER = "cashier"
    REGISTRAR = "registrar"
    HEAD_REGISTRAR = "head_registrar"
    PROFESSOR = "professor"
    ADMISSION = "admission"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.STUDENT: "Student",
    Role.CASHIER: "Cashier",
    Role.REGISTRAR: "Registrar",
    Role.HEAD_REGISTRAR: "Head registrar",
    Role.PROFESSOR: "Professor",
    Role.ADMISSION: "Admission staff",
    Role.ADMIN: "Administrator",
}
STAFF_ROLES = [r for r in Role if r is not Role.STUDENT]


class User(Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: the unique index is then case-insensitive on both engines.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), index=True)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # Bumped on logout, deactivation and password change: every other session ends.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # Bumped on password change, admin reset and deactivation (not on a plain sign-out): every
    # opaque API token stamped with an older value stops working.
    credentials_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    student: Mapped[Student | None] = relationship(back_populates="user", uselist=False)

    # Flask-Login protocol. The id carries the session version (alternative id).
    @property
    def is_active(self) -> bool:
        return self.is_active_account

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def full_name(self) -> str:
        parts = [self.first_name, self.middle_name, self.last_name]
        return " ".join(p for p in parts if p)

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def has_role(self, *roles: Role | str) -> bool:
        return self.role in {Role(r).value for r in roles}

    @property
    def is_registrar(self) -> bool:
        return self.role in (Role.REGISTRAR.value, Role.HEAD_REGISTRAR.value)


class StudentStatus(str, enum.Enum):
    ACTIVE = "ACTIVE"
    LOA = "LOA"
    WITHDRAWN = "WITHDRAWN"
    GRADUATED = "GRADUATED"


class AdmissionType(str, enum.Enum):
    FRESHMAN = "FRESHMAN"
    TRANSFEREE = "TRANSFEREE"


class Student(Model):
    __tablename__ = "students"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    student_number: Mapped[str] = mapped_column(String(10), unique=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=StudentStatus.ACTIVE.value)
    admission_type: Mapped[str] = mapped_column(String(12), default=AdmissionType.FRESHMAN.value)
    year_level: Mapped[int] = mapped_column(Integer, default=1)
    # How the record came in: ONLINE (public application) or REGISTRAR.
    created_via: Mapped[str] = mapped_column(String(12), default="ONLINE")
    birthdate: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1))
    mobile: Mapped[str | None] = mapped_column(String(13))
    address: Mapped[str | None] = mapped_column(Text)
    previous_school: Mapped[str | None] = mapped_column(String(200))
    previous_course: Mapped[str | None] = mapped_column(String(200))
    # Kept by the GPA service for fast pages; None until a numeric final grade exists.
    cumulative_gpa: Mapped[Decimal | None] = mapped_column(Numeric(4, 2, asdecimal=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="student")
    program: Mapped[Program] = relationship()
    status_history: Mapped[list[StudentStatusChange]] = relationship(
        back_populates="student", order_by="StudentStatusChange.effective_date"
    )

    @property
    def full_name(self) -> str:
        return self.user.full_name


class StudentStatusChange(Model):
    """The dated history of a student's status (the LOA periods pause the INC clock)."""

    __tablename__ = "student_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    effective_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    student: Mapped[Student] = relationship(back_populates="status_history")


class StudentNumberCounter(Model):
    """One row per admission year; locked to hand out the next YYYY-NNNNN."""

    __tablename__ = "student_number_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
