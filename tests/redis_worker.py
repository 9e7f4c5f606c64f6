"""A consumer target for the Redis crash test: every portal task plus one slow task whose
effect is easy to count. Run as `huey_consumer tests.redis_worker.huey` (HUEY_NAME set)."""
from __future__ import annotations

import time

from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import AuditEntry
from richwell.services.platform import audit
from richwell.services.platform.unit_of_work import unit_of_work
from richwell.tasks import job
from richwell.worker import huey  # builds the app: the queue configured from HUEY_NAME, REDIS_URL

__all__ = ["huey", "slow_mark", "marks"]


def marks(key: str) -> int:
    return db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "test.slow_mark", AuditEntry.target_id == key)) or 0


@job(retries=0, time_limit=10)
def slow_mark(key: str, seconds: float) -> str:
    """Idempotent like every task: the database says whether the mark was made already."""
    if marks(key):
        return "already marked"
    time.sleep(seconds)
    with unit_of_work():
        audit.record(None, "test.slow_mark", target_type="Test", target_id=key)
    return "marked"
