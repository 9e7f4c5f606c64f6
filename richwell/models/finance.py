"""The cashier's ledger: payments and reversals, their allocations to month buckets,
official receipt numbering, idempotency records, exam permits and the exam→month mapping."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, ColumnClause, ColumnElement, Grouping

from richwell.extensions import Model
from richwell.models.people import Student, User
from richwell.models.types import Money, UTCDateTime, utcnow

if TYPE_CHECKING:
    from richwell.models.enrollment import MonthBucket, TermEnrollment


class PaymentMethod(str, enum.Enum):
    CASH = "CASH"
    GCASH = "GCASH"
    MAYA = "MAYA"
    BANK_TRANSFER = "BANK_TRANSFER"
    CHECK = "CHECK"

    @property
    def label(self) -> str:
        return {"CASH": "Cash", "GCASH": "GCash", "MAYA": "Maya", "BANK_TRANSFER": "Bank transfer",
                "CHECK": "Check"}[self.value]

    @property
    def needs_reference(self) -> bool:
        return self is not PaymentMethod.CASH


class PaymentKind(str, enum.Enum):
    PAYMENT = "PAYMENT"
    REVERSAL = "REVERSAL"


class Payment(Model):
    """One line of the append-only ledger: money received (PAYMENT) or a voided payment (REVERSAL).

    Amounts are signed so one invariant holds for both kinds:
    sum(allocations) + credit_change == amount (a reversal is negative throughout).
    Only PAYMENT rows carry an official receipt number; a reversal points at the payment
    it voids (unique: a payment is reversed at most once) and carries the reason.
    On PostgreSQL a trigger (migration 0006_payments.py) refuses DELETE and any UPDATE but the PDF path.
    """

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'PAYMENT' AND amount > 0 AND receipt_number IS NOT NULL AND reverses_id IS NULL)"
            " OR (kind = 'REVERSAL' AND amount < 0 AND receipt_number IS NULL AND reverses_id IS NOT NULL"
            " AND reason IS NOT NULL)",
            name="kind_shape"),
        CheckConstraint("method IN ('CASH', 'GCASH', 'MAYA', 'BANK_TRANSFER', 'CHECK')", name="method_known"),
        Index("ix_payments_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    term_enrollment_id: Mapped[int] = mapped_column(ForeignKey("term_enrollments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=PaymentKind.PAYMENT.value)
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(16))
    reference_number: Mapped[str | None] = mapped_column(String(60))
    cashier_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # OR-YYYY-NNNNNN, gapless per year (ReceiptCounter); NULL for reversals.
    receipt_number: Mapped[str | None] = mapped_column(String(14), unique=True)
    # Credit balance added (payment) or taken back (reversal, negative).
    credit_change: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    # Relative to RECEIPT_FOLDER; set by the background task once the PDF exists.
    receipt_pdf_path: Mapped[str | None] = mapped_column(String(300))

    enrollment: Mapped[TermEnrollment] = relationship()
    cashier: Mapped[User] = relationship()
    allocations: Mapped[list[PaymentAllocation]] = relationship(
        back_populates="payment", order_by="PaymentAllocation.month")
    reverses: Mapped[Payment | None] = relationship(remote_side=[id], back_populates="reversal")
    reversal: Mapped[Payment | None] = relationship(back_populates="reverses", uselist=False)

    @property
    def is_reversal(self) -> bool:
        return self.kind == PaymentKind.REVERSAL.value

    @property
    def method_label(self) -> str:
        return PaymentMethod(self.method).label


class PaymentAllocation(Model):
    """How much of a payment went to one month bucket (negative for a reversal's deallocation)."""

    __tablename__ = "payment_allocations"
    __table_args__ = (UniqueConstraint("payment_id", "month_bucket_id", name="uq_payment_allocations_payment_bucket"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    month_bucket_id: Mapped[int] = mapped_column(ForeignKey("month_buckets.id"), index=True)
    month: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    bucket: Mapped[MonthBucket] = relationship()


class ReceiptCounter(Model):
    """One row per calendar year (school clock); its row lock makes receipt numbers gapless."""

    __tablename__ = "receipt_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class IdempotencyRecord(Model):
    """A one-time key already used: the request's fingerprint and what it produced.

    Replaying the key with the same fingerprint returns `response`; another
    fingerprint is refused. The unique (scope, key) is the final guard under races.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_records_scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    payment: Mapped[Payment | None] = relationship()


class Exam(str, enum.Enum):
    PRELIM = "PRELIM"
    MIDTERM = "MIDTERM"
    PREFINAL = "PREFINAL"
    FINAL = "FINAL"

    @property
    def label(self) -> str:
        return {"PRELIM": "Prelim", "MIDTERM": "Midterm", "PREFINAL": "Pre-final", "FINAL": "Final"}[self.value]


DEFAULT_EXAM_MONTHS: dict[str, int] = {"PRELIM": 1, "MIDTERM": 2, "PREFINAL": 3, "FINAL": 4}


class PermitStatus(str, enum.Enum):
    ISSUED = "ISSUED"
    REVOKED = "REVOKED"


class ExamPermit(Model):
    """The right to sit one exam of a term, issued automatically once its month is fully paid.

    One row per enrollment and exam (issued at most once); `code` is unguessable and
    unique, printed as a QR to the public verification page.
    """

    __tablename__ = "exam_permits"
    __table_args__ = (
        UniqueConstraint("term_enrollment_id", "exam", name="uq_exam_permits_enrollment_exam"),
        CheckConstraint("exam IN ('PRELIM', 'MIDTERM', 'PREFINAL', 'FINAL')", name="exam_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    term_enrollment_id: Mapped[int] = mapped_column(ForeignKey("term_enrollments.id"))
    exam: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=PermitStatus.ISSUED.value)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enrollment: Mapped[TermEnrollment] = relationship()

    @property
    def exam_label(self) -> str:
        return Exam(self.exam).label

    @property
    def is_valid(self) -> bool:
        return self.status == PermitStatus.ISSUED.value

    @property
    def display_code(self) -> str:
        return "-".join(self.code[i:i + 4] for i in range(0, len(self.code), 4))


class ExamMonthMapping(Model):
    """A term's exam→month mapping (one row per term; no row means the defaults 1-2-3-4)."""

    __tablename__ = "exam_month_mappings"

    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id"), primary_key=True, autoincrement=False)
    prelim_month: Mapped[int] = mapped_column(Integer, default=1)
    midterm_month: Mapped[int] = mapped_column(Integer, default=2)
    prefinal_month: Mapped[int] = mapped_column(Integer, default=3)
    final_month: Mapped[int] = mapped_column(Integer, default=4)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def as_dict(self) -> dict[str, int]:
        return {"PRELIM": self.prelim_month, "MIDTERM": self.midterm_month,
                "PREFINAL": self.prefinal_month, "FINAL": self.final_month}


# The cashier's student search: a number prefix (btree, text_pattern_ops so LIKE 'abc%' uses
# it under any collation), or the start of any word of the name. `name_words` is the whole
# name, lower-cased, each word preceded by a space, so "word starts with cruz" is
# LIKE '% cruz%' and a trigram index (PostgreSQL's pg_trgm) answers it; SQLite scans.
# Declared here so the foundation models stay untouched.
_SPACE: ColumnClause[str] = literal_column("' '")


def _concat(left: ColumnElement[Any], right: ColumnElement[Any]) -> BinaryExpression[str]:
    # Built by hand so the parentheses survive: grouped exactly as PostgreSQL writes the
    # index expression back, Alembic then sees no difference between model and database.
    return BinaryExpression(left, right, operators.concat_op, type_=String())


_USERS = Model.metadata.tables[User.__tablename__]
NAME_WORDS = _concat(_SPACE, func.lower(_concat(Grouping(_concat(Grouping(_concat(
    Grouping(_concat(_USERS.c.first_name, _SPACE)), func.coalesce(_USERS.c.middle_name, literal_column("''")))),
    _SPACE)), _USERS.c.last_name)))
# (_table: the expression starts with a literal, from which SQLAlchemy cannot infer the table.)
Index("ix_users_name_words_trgm", NAME_WORDS.label("name_words"), postgresql_using="gin",
      postgresql_ops={"name_words": "gin_trgm_ops"}, _table=_USERS).ddl_if(dialect="postgresql")
Index("ix_students_student_number_prefix", Student.student_number,
      postgresql_ops={"student_number": "text_pattern_ops"})


class ReversalRequestStatus(str, enum.Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class ReversalRequest(Model):
    """A cashier's request to reverse a payment the policy does not let them reverse alone
    (another cashier's, or an earlier day's): an administrator approves it (the reversal is
    made then) or rejects it with a note. At most one waits per payment."""

    __tablename__ = "reversal_requests"
    __table_args__ = (
        # One waiting request per payment; decided ones stay as history.
        Index("uq_reversal_requests_pending_payment", "payment_id", unique=True,
              sqlite_where=literal_column("status = 'PENDING'"),
              postgresql_where=literal_column("status = 'PENDING'")),
        CheckConstraint("status IN ('PENDING', 'APPROVED', 'REJECTED')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=ReversalRequestStatus.PENDING.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    reversal_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))

    payment: Mapped[Payment] = relationship(foreign_keys=[payment_id])
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
