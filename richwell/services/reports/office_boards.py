"""The admission desk's dashboard, the admin's dashboard, and the pending-work counts shown on
staff home pages. A few statements each, none of them per student.

Security events are audit entries whose action names a sign-in or impersonation event
(`impersonation.*`, `auth.*`, or anything with "throttl" in it), newest first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, or_, select

from richwell.extensions import db
from richwell.models import (
    AdmissionReview,
    AuditEntry,
    ChangeRequestStatus,
    CreditStatus,
    DocumentsStatus,
    GradeChangeRequest,
    GradeSheet,
    GradeSheetStatus,
    JobOutcome,
    JobRun,
    Role,
    Student,
    TransferCredit,
    User,
)
from richwell.services.platform import clock, jobs

from .access import require_dashboard
from .sqlbits import day_start_utc, manila_day

APPLICATION_DAYS = 30
SECURITY_DAYS = 7


@dataclass
class AdmissionBoard:
    today: date
    per_day: list[tuple[date, int]]
    backlog: int
    backlog_by_age: dict[str, int]
    oldest: datetime | None

    @property
    def applications(self) -> int:
        return sum(n for _, n in self.per_day)


def admission_dashboard(actor: User) -> AdmissionBoard:
    """Online applications per school day (last 30 days) and the documents review backlog
    (reviews still PENDING) with its age."""
    require_dashboard(actor, "admission")
    today = clock.today()
    first = today - timedelta(days=APPLICATION_DAYS - 1)
    day = manila_day(Student.created_at)
    counts = dict(db.session.execute(
        select(day, func.count(Student.id)).where(Student.created_via == "ONLINE",
                                                  Student.created_at >= day_start_utc(first))
        .group_by(day)).all())
    per_day = [(first + timedelta(days=i), 0) for i in range(APPLICATION_DAYS)]
    by_text = {str(k): v for k, v in counts.items()}
    per_day = [(d, int(by_text.get(d.isoformat(), 0))) for d, _ in per_day]
    start_today, start_week = day_start_utc(today - timedelta(days=2)), day_start_utc(today - timedelta(days=6))
    pending = AdmissionReview.documents_status == DocumentsStatus.PENDING.value
    row = db.session.execute(select(
        func.count(AdmissionReview.id),
        func.count(case((AdmissionReview.created_at >= start_today, 1))),
        func.count(case(((AdmissionReview.created_at < start_today) & (AdmissionReview.created_at >= start_week), 1))),
        func.count(case((AdmissionReview.created_at < start_week, 1))),
        func.min(AdmissionReview.created_at)).where(pending)).one()
    return AdmissionBoard(today, per_day, int(row[0]),
                          {"0–2 days": int(row[1]), "3–6 days": int(row[2]), "7 days or more": int(row[3])},
                          row[4])


@dataclass
class AdminBoard:
    users_by_role: list[tuple[str, int, int]]
    failed_jobs: int
    overdue_jobs: list[str]
    recent_failures: list[JobRun]
    security_counts: list[tuple[str, int]]
    security_events: list[AuditEntry]


_SECURITY = or_(AuditEntry.action.like("impersonation.%"), AuditEntry.action.like("auth.%"),
                AuditEntry.action.like("%throttl%"))


def admin_dashboard(actor: User) -> AdminBoard:
    """Accounts per role (active and all), failed and overdue jobs, and the last week's
    security events."""
    require_dashboard(actor, "admin")
    roles = dict((r, (int(a), int(n))) for r, a, n in db.session.execute(
        select(User.role, func.count(case((User.is_active_account.is_(True), 1))), func.count(User.id))
        .group_by(User.role)))
    users = [(role.label, *roles.get(role.value, (0, 0))) for role in Role]
    failures = list(db.session.scalars(select(JobRun).where(JobRun.outcome == JobOutcome.FAILED.value)
                                       .order_by(JobRun.id.desc()).limit(5)))
    overdue = [state.name for state in jobs.periodic_states() if state.overdue]
    since = clock.now() - timedelta(days=SECURITY_DAYS)
    counts = db.session.execute(select(AuditEntry.action, func.count(AuditEntry.id))
                                .where(_SECURITY, AuditEntry.created_at >= since)
                                .group_by(AuditEntry.action).order_by(AuditEntry.action)).all()
    events = list(db.session.scalars(select(AuditEntry).where(_SECURITY, AuditEntry.created_at >= since)
                                     .order_by(AuditEntry.id.desc()).limit(10)))
    return AdminBoard(users, jobs.failed_count(), overdue, failures, list(counts), events)


@dataclass(frozen=True)
class PendingWork:
    applications_to_review: int
    sheets_to_finalize: int
    change_requests: int
    disputes: int
    failed_jobs: int


def pending_work() -> PendingWork:
    """The counts a staff home page shows: one statement."""
    row = db.session.execute(select(
        select(func.count(AdmissionReview.id))
        .where(AdmissionReview.documents_status == DocumentsStatus.PENDING.value).scalar_subquery(),
        select(func.count(GradeSheet.id)).where(GradeSheet.status == GradeSheetStatus.SUBMITTED.value)
        .scalar_subquery(),
        select(func.count(GradeChangeRequest.id))
        .where(GradeChangeRequest.status == ChangeRequestStatus.PENDING.value).scalar_subquery(),
        select(func.count(TransferCredit.id)).where(TransferCredit.status == CreditStatus.DISPUTED.value)
        .scalar_subquery(),
        select(func.count(JobRun.id)).where(JobRun.outcome == JobOutcome.FAILED.value).scalar_subquery(),
    )).one()
    return PendingWork(*(int(v) for v in row))
