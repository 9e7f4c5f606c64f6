"""Term enrollments, their month buckets (the installment plan), subject enrollments, credits."""
from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from richwell.extensions import Model
from richwell.models.types import Money, UTCDateTime, utcnow

if TYPE_CHECKING:
    from richwell.models.academics import Subject, Term
    from richwell.models.people import Student
    from richwell.models.scheduling import Offering


class TermEnrollmentStatus(str, enum.Enum):
    ACTIVE = "ACTIVE"
    HOLD = "HOLD"
    LOA = "LOA"
    WITHDRAWN = "WITHDRAWN"


class InstallmentLine(Protocol):
    """One month of an installment plan, as the totals read it."""

    @property
    def required(self) -> Decimal: ...

    @property
    def paid(self) -> Decimal: ...


class InstallmentPlan(Protocol):
    """Anything with the months of an installment plan."""

    @property
    def buckets(self) -> Sequence[InstallmentLine]: ...


class BucketTotals:
    """Totals of an installment plan, for anything with `buckets` (required, paid): the term
    enrollment itself and the read-only views built from it (the COR)."""

    @property
    def total_due(self: InstallmentPlan) -> Decimal:
        return sum((b.required for b in self.buckets), Decimal("0.00"))

    @property
    def total_paid(self: InstallmentPlan) -> Decimal:
        return sum((b.paid for b in self.buckets), Decimal("0.00"))

    @property
    def balance(self: InstallmentPlan) -> Decimal:
        return (sum((b.required for b in self.buckets), Decimal("0.00"))
                - sum((b.paid for b in self.buckets), Decimal("0.00")))


class TermEnrollment(BucketTotals, Model):
    """One per student per term: the monthly commitment, the buckets, the credit balance."""

    __tablename__ = "term_enrollments"
    __table_args__ = (UniqueConstraint("student_id", "term_id", name="uq_term_enrollments_student_term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=TermEnrollmentStatus.ACTIVE.value)
    monthly_commitment: Mapped[Decimal] = mapped_column(Money)
    # Money paid beyond the last bucket; shown wherever the balance is shown.
    credit_balance: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    # Kept in step by the enrollment service under the row lock (the unit cap reads it).
    enrolled_units: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    student: Mapped[Student] = relationship()
    term: Mapped[Term] = relationship()
    buckets: Mapped[list[MonthBucket]] = relationship(
        back_populates="enrollment", order_by="MonthBucket.month", cascade="all, delete-orphan"
    )

    @property
    def first_month_paid(self) -> bool:
        return bool(self.buckets) and self.buckets[0].is_fully_paid


class MonthBucket(Model):
    """One installment month: required vs paid. Fully paid when paid >= required."""

    __tablename__ = "month_buckets"
    __table_args__ = (UniqueConstraint("term_enrollment_id", "month", name="uq_month_buckets_enrollment_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_enrollment_id: Mapped[int] = mapped_column(ForeignKey("term_enrollments.id"))
    month: Mapped[int] = mapped_column(Integer)
    required: Mapped[Decimal] = mapped_column(Money)
    paid: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))

    enrollment: Mapped[TermEnrollment] = relationship(back_populates="buckets")

    @property
    def is_fully_paid(self) -> bool:
        return self.paid >= self.required

    @property
    def remaining(self) -> Decimal:
        return max(self.required - self.paid, Decimal("0.00"))

    @property
    def progress_percent(self) -> int:
        if not self.required:
            return 100
        return min(100, int(self.paid * 100 / self.required))


class SubjectEnrollmentStatus(str, enum.Enum):
    ENROLLED = "ENROLLED"
    PASSED = "PASSED"
    FAILED = "FAILED"
    INC = "INC"
    DROPPED = "DROPPED"


class SubjectEnrollment(Model):
    """A subject a student takes in a term enrollment (in one offering, i.e. a section).

    ENROLLED → PASSED | FAILED | INC | DROPPED; INC → PASSED | FAILED.
    """

    __tablename__ = "subject_enrollments"

    id: Mapped[int] = mapped_column(primary_key=True)
    term_enrollment_id: Mapped[int] = mapped_column(ForeignKey("term_enrollments.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    offering_id: Mapped[int | None] = mapped_column(ForeignKey("offerings.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=SubjectEnrollmentStatus.ENROLLED.value, index=True)
    is_retake: Mapped[bool] = mapped_column(default=False)
    is_irregular: Mapped[bool] = mapped_column(default=False)
    # Final grade as the school writes it: "1.00" … "3.00", "5.00", "INC", "DRP".
    grade: Mapped[str | None] = mapped_column(String(4))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dropped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    drop_reason: Mapped[str | None] = mapped_column(Text)

    enrollment: Mapped[TermEnrollment] = relationship()
    subject: Mapped[Subject] = relationship()
    offering: Mapped[Offering | None] = relationship()


class CreditStatus(str, enum.Enum):
    ACCEPTED = "ACCEPTED"
    DISPUTED = "DISPUTED"
    REJECTED = "REJECTED"


class TransferCredit(Model):
    """A subject a transferee passed elsewhere, credited against one of our subjects.

    Counts as CREDITED for prerequisites while ACCEPTED; in GPA only when counted_in_gpa.
    """

    __tablename__ = "transfer_credits"
    __table_args__ = (UniqueConstraint("student_id", "subject_id", name="uq_transfer_credits_student_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    source_school: Mapped[str] = mapped_column(String(200))
    original_code: Mapped[str] = mapped_column(String(30))
    original_title: Mapped[str] = mapped_column(String(200))
    original_grade: Mapped[str] = mapped_column(String(10))
    units: Mapped[int] = mapped_column(Integer)
    counted_in_gpa: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default=CreditStatus.ACCEPTED.value)
    dispute_note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    student: Mapped[Student] = relationship()
    subject: Mapped[Subject] = relationship()
