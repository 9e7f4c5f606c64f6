"""The Huey queue: one instance chosen by configuration, tasks run in an app context.

Consumer (production): `huey_consumer richwell.tasks.huey -w 2 -k thread`.
RedisHuey when REDIS_URL is set, a SqliteHuey file under instance/ otherwise;
immediate mode (in-process, in-memory) in tests and when HUEY_IMMEDIATE=1.
"""
from __future__ import annotations

import functools
import os

from flask import current_app, has_app_context
from huey import RedisHuey, SqliteHuey, crontab

from richwell.config import INSTANCE


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _make_huey():
    immediate = _truthy(os.environ.get("HUEY_IMMEDIATE")) or os.environ.get("RICHWELL_ENV") == "testing"
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey("richwell", url=redis_url, immediate=immediate, utc=True)
    INSTANCE.mkdir(parents=True, exist_ok=True)
    path = os.environ.get("HUEY_SQLITE_PATH", str(INSTANCE / "huey.db"))
    return SqliteHuey("richwell", filename=path, immediate=immediate, utc=True)


huey = _make_huey()
_worker_app = None


def _app():
    """The app for a consumer process, created once per process."""
    global _worker_app
    if _worker_app is None:
        from richwell import create_app

        _worker_app = create_app()
    return _worker_app


def in_app_context(fn):
    """Run a task body inside an app context (the consumer has none of its own)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return fn(*args, **kwargs)
        with _app().app_context():
            return fn(*args, **kwargs)
    return wrapper


def configure(app) -> None:
    """Align the queue with the app's config (immediate mode in tests)."""
    huey.immediate = bool(app.config.get("HUEY_IMMEDIATE"))


@huey.task()
@in_app_context
def ping() -> str:
    """A no-op task used by health checks and tests to prove the queue runs."""
    return current_app.config["RICHWELL_ENV"]


@huey.periodic_task(crontab(hour="17", minute="30"))  # 01:30 Asia/Manila (UTC+8), the quiet hour
@huey.lock_task("nightly-schedule-conflict-check")
@in_app_context
def nightly_schedule_conflict_check() -> dict:
    """Find schedule conflicts that slipped in (overrides, edits) and notify the registrars
    of each new one once; running it again notifies nobody twice."""
    from richwell.services import scheduling

    result = scheduling.notify_schedule_conflicts()
    return {"open": result.open, "new": result.new, "resolved": result.resolved}
@huey.task(retries=2, retry_delay=30)
@in_app_context
def open_continuing_students(job_id: int) -> None:
    """The registrar's bulk opening of the current term (idempotent; progress on the job row)."""
    from richwell.services import students

    students.run_bulk_open(job_id)
# The monthly archive runs on the 1st at 01:00 Manila, which is 17:00 UTC on the month's last
# day; a UTC crontab cannot say "last day", so it fires on days 28-31 and acts only when
# Manila's date is already the 1st.
@huey.periodic_task(crontab(minute="0", hour="17", day="28-31"))
@huey.lock_task("purge-api-tokens")
@in_app_context
def purge_api_tokens() -> int | None:
    """Monthly: delete API tokens dead (expired or revoked) for more than 90 days."""
    from richwell.services import api_tokens, clock

    if clock.today().day != 1:
        return None
    return api_tokens.purge_dead_tokens()
@huey.task(retries=3, retry_delay=30)
@in_app_context
def recalculate_gpa(student_ids: list[int]) -> int:
    """Recompute the stored GPAs and year level of these students (queued after finalization,
    approved changes and INC expiry). Idempotent: it only recomputes."""
    from richwell.services import gpa

    gpa.recompute_all(student_ids)
    return len(student_ids)


@huey.task()
@in_app_context
def recalculate_all_gpa() -> None:
    """The full GPA batch (set-based); the jobs issue schedules it weekly."""
    from richwell.services import gpa

    gpa.recompute_all()
# --- payments: receipt PDFs and the permit check --------------------------------------------

@huey.task(retries=3, retry_delay=30)
@in_app_context
def generate_receipt_pdf(payment_id: int) -> str | None:
    """Write one receipt's PDF (queued after the payment commits; safe to repeat)."""
    from richwell.services import receipts

    path = receipts.ensure_pdf(payment_id)
    return str(path) if path else None


@huey.periodic_task(crontab(minute="5"))  # hourly
@huey.lock_task("sweep-receipt-pdfs")
@in_app_context
def sweep_receipt_pdfs() -> int:
    """Hourly: write any receipt PDF the queue missed."""
    from richwell.services import receipts

    return receipts.sweep_missing_pdfs()


@huey.periodic_task(crontab(minute="15"))  # hourly
@huey.lock_task("sweep-exam-permits")
@in_app_context
def sweep_exam_permits() -> int:
    """Hourly: issue any exam permit owed but missing (e.g. after a mapping change)."""
    from richwell.services import permits

    return permits.issue_missing_permits()
