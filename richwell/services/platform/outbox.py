"""The mail outbox: every notification is also an email when SMTP is configured.

Decision (README "Background jobs"): `notifications.notify` asks, through the unit of work,
for `send_outbox` to be queued once the transaction commits. That task copies new
notifications (the last 7 days, set-based, so the bulk ones written by INC expiry or
reminders are included) into `outbox_emails` — one row per notification, unique — and, when SMTP_HOST is set, mails the
pending rows. A failed send is retried on the next run (every 5 minutes) up to 5 attempts,
then FAILED. Without SMTP the rows stay PENDING and admins read them on the Jobs page. The
web request never talks to the mail server.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import case, func, insert, literal, select

from richwell.extensions import db
from richwell.models import Notification, OutboxEmail, OutboxStatus, User

from .clock import now
from .links import public_base_url
from .sql import rowcount
from .unit_of_work import queue_task, unit_of_work

log = logging.getLogger(__name__)
WINDOW = timedelta(days=7)
MAX_ATTEMPTS = 5
BATCH = 200
SUBJECT = "Richwell Colleges portal"


def smtp_configured() -> bool:
    """True when the portal mails notifications (SMTP_HOST is set)."""
    return bool(current_app.config.get("SMTP_HOST"))


def collect() -> int:
    """Copy notifications of the last 7 days that have no outbox row yet. Returns how many."""
    stamp = now()
    missing = ~select(OutboxEmail.id).where(OutboxEmail.notification_id == Notification.id).exists()
    # A notification's link is a site path; the mail carries it as an absolute link on the
    # portal's public address (PUBLIC_BASE_URL), never one built from a request.
    body = case((Notification.link.like("/%"),
                 Notification.message + literal("\n\nOpen it on the portal: " + public_base_url()) + Notification.link),
                else_=Notification.message)
    rows = (select(Notification.id, User.email, literal(SUBJECT), body,
                   literal(OutboxStatus.PENDING.value), literal(0),
                   literal(stamp, OutboxEmail.__table__.c.created_at.type))
            .join(User, User.id == Notification.user_id)
            .where(Notification.created_at >= stamp - WINDOW, missing))
    with unit_of_work():
        return rowcount(db.session.execute(insert(OutboxEmail.__table__).from_select(
            ["notification_id", "to_address", "subject", "body", "status", "attempts", "created_at"], rows)
            .execution_options(preserve_rowcount=True)))


def _send(mail: OutboxEmail) -> None:
    cfg = current_app.config
    message = EmailMessage()
    message["From"] = cfg.get("MAIL_FROM") or "no-reply@richwell.edu.ph"
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    with smtplib.SMTP(cfg["SMTP_HOST"], int(cfg.get("SMTP_PORT") or 25), timeout=20) as smtp:
        if cfg.get("SMTP_STARTTLS"):
            smtp.starttls()
        if cfg.get("SMTP_USERNAME"):
            smtp.login(cfg["SMTP_USERNAME"], cfg.get("SMTP_PASSWORD") or "")
        smtp.send_message(message)


def _mail_one(mail_id: int) -> str | None:
    """Mail one pending row and record the attempt in its own unit of work. Returns the
    row's new status when it reached SENT or FAILED, None otherwise."""
    with unit_of_work():
        mail = db.session.get(OutboxEmail, mail_id)
        if mail is None or mail.status != OutboxStatus.PENDING.value:
            return None
        mail.attempts += 1
        try:
            _send(mail)
        except (OSError, smtplib.SMTPException) as exc:
            mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if mail.attempts >= MAX_ATTEMPTS:
                mail.status = OutboxStatus.FAILED.value
                return mail.status
            return None
        mail.status, mail.sent_at, mail.last_error = OutboxStatus.SENT.value, now(), None
        return mail.status


def deliver() -> dict[str, int]:
    """Collect new notifications (committed first), then (SMTP configured) mail the pending
    rows one by one, each committed on its own so a crash never mails a row twice in a run."""
    collected = collect()
    sent = failed = 0
    if smtp_configured():
        ids = list(db.session.scalars(select(OutboxEmail.id).where(OutboxEmail.status == OutboxStatus.PENDING.value)
                                      .order_by(OutboxEmail.id).limit(BATCH)))
        for mail_id in ids:
            status = _mail_one(mail_id)
            if status == OutboxStatus.SENT.value:
                sent += 1
            elif status == OutboxStatus.FAILED.value:
                failed += 1
    return {"collected": collected, "sent": sent, "failed": failed}


def waiting(limit: int = 100) -> list[OutboxEmail]:
    """What the admin page lists: mail not sent yet (PENDING, then FAILED), oldest first."""
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.status != OutboxStatus.SENT.value)
                                   .order_by(OutboxEmail.status.desc(), OutboxEmail.id).limit(limit)))


def counts() -> dict[str, int]:
    """How many outbox rows are in each status."""
    return dict(db.session.execute(select(OutboxEmail.status, func.count(OutboxEmail.id))
                                   .group_by(OutboxEmail.status)).all())


def ask_for_delivery() -> None:
    """Called by notify(): once this transaction commits, ask the queue to mail what it added
    (only when SMTP is configured; otherwise the 5-minute run collects it for the admin page)."""
    if not smtp_configured():
        return
    queue_task("send_outbox")
