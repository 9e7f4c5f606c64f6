"""The monthly archive (the 1st, 01:00 Manila): what nobody needs any more is deleted.

- notifications read and older than a year (unread ones stay, however old);
- API tokens dead (expired or revoked) for more than 90 days (`api_tokens.purge_dead_tokens`);
- finished job runs and sent mail older than 90 days (failed runs stay until an admin purges
  them). Sessions are signed cookies with a 12-hour lifetime: nothing is stored to expire.
Idempotent: a second run finds nothing. Audited as SYSTEM.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from richwell.extensions import db
from richwell.models import Notification, OutboxEmail, OutboxStatus

from . import api_tokens, audit, jobs
from .clock import now
from .sql import rowcount
from .unit_of_work import unit_of_work

NOTIFICATION_RETENTION = timedelta(days=365)
RUN_RETENTION = timedelta(days=90)


def run() -> dict[str, int]:
    """Delete the expired records in one unit of work, then the dead API tokens in their
    own; returns how many of each."""
    at = now()
    old_read = select(Notification.id).where(Notification.read_at.is_not(None),
                                             Notification.created_at < at - NOTIFICATION_RETENTION)
    with unit_of_work():
        sent_mail = rowcount(db.session.execute(delete(OutboxEmail).where(
            OutboxEmail.status == OutboxStatus.SENT.value, OutboxEmail.created_at < at - RUN_RETENTION)))
        # Mail rows of notifications about to go keep their text but lose the link.
        db.session.execute(OutboxEmail.__table__.update().where(OutboxEmail.notification_id.in_(old_read))
                           .values(notification_id=None))
        notes = rowcount(db.session.execute(delete(Notification).where(Notification.id.in_(old_read))))
        runs = jobs.purge_finished(at - RUN_RETENTION)
        counts = {"notifications": notes, "job_runs": runs, "mail": sent_mail}
        if any(counts.values()):
            audit.record(None, "archive.monthly", target_type="Archive", after=counts)
    counts["tokens"] = api_tokens.purge_dead_tokens()
    return counts
