"""In-app notifications: the bell, the notification center, read marks."""
from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, select, update

from richwell.extensions import db
from richwell.models import Notification

from . import outbox
from .clock import now
from .errors import NotFound
from .limits import PAGE_SIZE
from .sql import rowcount
from .unit_of_work import stage_row, unit_of_work

KINDS = {
    "welcome", "payment_received", "permit_issued", "permit_revoked", "grade_posted",
    "inc_warning", "inc_expired", "payment_reminder", "announcement", "document_released",
    "document_revoked", "document_request", "application_reviewed", "schedule_conflict", "account", "enrollment",
    "payment_reversed", "reversal_request",
}


def notify(user_id: int, kind: str, message: str, link: str | None = None) -> None:
    """Add an in-app notification to the current unit of work (it lands with the change) and,
    with SMTP configured, have it mailed from the queue after the commit."""
    stage_row(Notification.__table__, row_for(user_id, kind, message, link))


def row_for(user_id: int, kind: str, message: str, link: str | None = None) -> dict[str, object]:
    """The notification row notify() stages, for a hot path that writes it in a statement of its
    own (the payment's): the caller's unit of work must write it. Mailed like notify()'s."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    outbox.ask_for_delivery()
    return {"user_id": user_id, "kind": kind, "message": message[:2000], "link": link, "created_at": now(),
            "read_at": None}


def unread_count(user_id: int) -> int:
    """How many of the user's notifications are not read yet (the bell's number)."""
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.read_at.is_(None))
    ) or 0


def for_user(user_id: int, page: int = 1, per_page: int = PAGE_SIZE) -> Pagination:
    """One page of the user's own notifications, newest first."""
    query = (select(Notification).where(Notification.user_id == user_id)
             .order_by(Notification.created_at.desc(), Notification.id.desc()))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def recent_for(user_id: int, limit: int = 5) -> list[Notification]:
    """The user's newest notifications (no page count: one statement, for home pages)."""
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def mark_read(user_id: int, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read (another user's answers not found)."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != user_id:
        raise NotFound("That notification does not exist.")
    if note.read_at is None:
        with unit_of_work():
            note.read_at = now()
    return note


def mark_all_read(user_id: int) -> int:
    """Mark every unread notification of the user read. Returns how many."""
    with unit_of_work():
        result = db.session.execute(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=now())
        )
    return rowcount(result)
