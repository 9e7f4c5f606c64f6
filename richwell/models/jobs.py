"""Background work kept in the database: job runs, the mail outbox, payment reminders sent,
and online-payment imports with their rows. The queue only carries ids; these tables decide."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from richwell.extensions import Model
from richwell.models.types import Money, UTCDateTime, utcnow

if TYPE_CHECKING:
    from richwell.models.people import User


class JobOutcome(str, enum.Enum):
    PENDING = "PENDING"      # recorded but not (yet) on the queue: the stale sweep enqueues it
    RUNNING = "RUNNING"
    RETRYING = "RETRYING"    # a transient error; the queue retries it after a delay
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    REQUEUED = "REQUEUED"    # found stale (its worker died) and handed to a new run


class JobRun(Model):
    """One execution of a task (all its attempts): what ran, with which arguments, how it ended."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_task_started", "task", "started_at"),
                      Index("ix_job_runs_outcome", "outcome"))

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(100))
    args: Mapped[list[Any] | None] = mapped_column(JSON)
    # Huey's id for the message; retries of one message keep it, so they update one row.
    queue_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    outcome: Mapped[str] = mapped_column(String(10), default=JobOutcome.RUNNING.value)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    time_limit: Mapped[int] = mapped_column(Integer, default=600)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Written every few seconds by the worker running it: a stale one means the worker died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class OutboxStatus(str, enum.Enum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class OutboxEmail(Model):
    """A notification to mail. Written in the notification's own transaction; the queue sends it
    when SMTP is configured, and admins see what waits when it is not."""

    __tablename__ = "outbox_emails"
    __table_args__ = (Index("ix_outbox_emails_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="SET NULL"),
                                                        unique=True)
    to_address: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PaymentReminder(Model):
    """A payment reminder sent for one enrollment's month: at most one per enrollment per
    calendar month, whatever the number of runs."""

    __tablename__ = "payment_reminders"
    __table_args__ = (UniqueConstraint("term_enrollment_id", "due_month",
                                       name="uq_payment_reminders_enrollment_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_enrollment_id: Mapped[int] = mapped_column(ForeignKey("term_enrollments.id"))
    # The first day of the calendar month the bucket falls due in.
    due_month: Mapped[date] = mapped_column(Date)
    bucket_month: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportStatus(str, enum.Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"


class ImportRowStatus(str, enum.Enum):
    PENDING = "PENDING"
    RECORDED = "RECORDED"
    DUPLICATE = "DUPLICATE"
    REFUSED = "REFUSED"


class PaymentImport(Model):
    """One uploaded CSV of online payments (GCash, bank transfers) and its progress."""

    __tablename__ = "payment_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default=ImportStatus.QUEUED.value)
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    cashier: Mapped[User] = relationship()


class PaymentImportRow(Model):
    """One line of an import: what it said and what became of it."""

    __tablename__ = "payment_import_rows"
    __table_args__ = (Index("ix_payment_import_rows_import_status", "import_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("payment_imports.id"))
    line: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(20))
    student_number: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    paid_on: Mapped[date | None] = mapped_column(Date)
    term_enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("term_enrollments.id"))
    status: Mapped[str] = mapped_column(String(10), default=ImportRowStatus.PENDING.value)
    reason: Mapped[str | None] = mapped_column(String(300))
    # Set when a row is about to be recorded: unique, so one online reference is recorded by
    # one row of one import only, whichever cashier imports the file and however often.
    claimed_reference: Mapped[str | None] = mapped_column(String(130), unique=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    receipt_number: Mapped[str | None] = mapped_column(String(20))
