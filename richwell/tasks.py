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
