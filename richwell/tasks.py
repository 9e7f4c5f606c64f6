"""The Huey queue: one instance chosen by configuration, and every task of the portal.

Consumer (production): `huey_consumer richwell.worker.huey -w 2 -k thread`.
create_app configures the one `huey` from the app's config: Redis storage when REDIS_URL is
set, a SQLite file at HUEY_SQLITE_PATH otherwise; immediate mode (in-process, in-memory) in
tests and when HUEY_IMMEDIATE=1. Tasks import services, never the other way: services ask
for a task by name through the unit of work (`queue_task`), which this module serves.

Every task is declared with `@job(...)`: an app context, a `job_runs` record per run,
retries with a doubling delay on transient errors only, a time limit (hard with process
workers, soft plus PostgreSQL's statement_timeout with threads), and bodies that are
idempotent because they ask the database what is left to do. Periodic crontabs are UTC:
the school's clock is Asia/Manila, UTC+8 all year (no daylight saving).
"""
from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

import redis
from flask import current_app, has_app_context
from huey import Huey, crontab
from huey.exceptions import CancelExecution
from huey.storage import PriorityRedisStorage, SqliteStorage

from richwell.services.platform import correlation, queue

# Declared before any app exists (tasks are decorated at import), so it starts in memory and
# immediate; create_app points it at the app's queue (configure). The consumer runs
# `huey_consumer richwell.worker.huey`, which builds the app first, so both read one config.
huey = Huey("richwell", immediate=True, utc=True)
_worker_app = None
log = logging.getLogger(__name__)


def _app():
    """The consumer process's app (set by richwell.worker, which builds it first)."""
    if _worker_app is None:
        raise RuntimeError("no app for this task: run the consumer as `huey_consumer richwell.worker.huey`")
    return _worker_app


def use_app(app) -> None:
    """The consumer's app (richwell.worker): tasks run in its context."""
    global _worker_app
    _worker_app = app


class _QueueConfig(NamedTuple):
    name: str
    redis_url: str | None
    sqlite_path: str
    immediate: bool


_configured: _QueueConfig | None = None
QUEUE_CONNECT_TIMEOUT, QUEUE_SOCKET_TIMEOUT = 1.0, 2.0  # seconds; the consumer's blocking read is 1 s


def configure(app) -> None:
    """Point the queue at the app's config: Redis with REDIS_URL, a SQLite file at
    HUEY_SQLITE_PATH otherwise, in-process with HUEY_IMMEDIATE. Register it with the services."""
    global _configured
    wanted = _QueueConfig(app.config.get("HUEY_NAME", "richwell"), app.config.get("REDIS_URL"),
                          app.config["HUEY_SQLITE_PATH"], bool(app.config.get("HUEY_IMMEDIATE")))
    if wanted != _configured:  # each test builds an app: keep the storage while nothing changed
        huey.name = wanted.name
        if wanted.redis_url:
            # The priority queue (a sorted set; Redis 5+): the stale sweep and a re-queued import
            # chunk go before thousands of receipt PDFs waiting behind them. Bounded waits: a
            # payment queues its receipt PDF after its commit, inside the request; a slow or
            # unreachable Redis costs it at most these seconds (the work is then left as a PENDING
            # job run for the sweep, see `enqueue`).
            connections = redis.ConnectionPool.from_url(wanted.redis_url, socket_connect_timeout=QUEUE_CONNECT_TIMEOUT,
                                                        socket_timeout=QUEUE_SOCKET_TIMEOUT)
            huey.storage_class, huey.storage_kwargs = PriorityRedisStorage, {"connection_pool": connections}
        else:
            Path(wanted.sqlite_path).parent.mkdir(parents=True, exist_ok=True)
            huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": wanted.sqlite_path}
        huey._immediate = wanted.immediate
        huey.storage = huey.create_storage()
        _configured = wanted
    queue.register(_PORTAL_QUEUE)


#: Queue priorities (higher first; the rest 0): recovery before interactive work before bulk.
PRIORITY = {"sweep": 100, "interactive": 50}

# Every task by name (the stale sweep and `jobs retry` queue a run again from its record),
# and every periodic one with its schedule as people read it and its period.
REGISTRY: dict = {}
PERIODIC: dict[str, tuple[str, timedelta]] = {}
HOUR, DAY, WEEK, MONTH = timedelta(hours=1), timedelta(days=1), timedelta(weeks=1), timedelta(days=31)


def job(*, retries: int = 3, retry_delay: int = 30, time_limit: int = 600, periodic=None,
        schedule: str | None = None, period: timedelta | None = None, priority: int | None = None):
    """Declare a task: app context, a job-run record, retries with backoff on transient errors
    (the delay doubles: 30 s, 60 s, 120 s), a time limit, a priority (higher runs first; see
    PRIORITY), and for periodic tasks a lock so two consumers never run the same schedule at
    once. `.call_local()` runs the body directly."""

    def decorate(fn):
        name = fn.__name__

        @functools.wraps(fn)
        def run(*args, task=None, _request_id=None):
            def tracked():
                from richwell.services.platform import jobs

                try:
                    return jobs.run_tracked(name, fn, args, queue_id=task.id if task else None,
                                            retries_left=task.retries if task else 0, time_limit=time_limit)
                except Exception as exc:
                    if task is not None and not jobs.is_transient(exc):
                        # A refusal or a bug: retrying cannot help, and the run says FAILED.
                        raise CancelExecution(f"{type(exc).__name__}: {exc}", retry=False) from exc
                    raise

            def logged():
                # The request that queued this task (if any) names it in the task's log lines.
                request_id = _request_id or correlation.current()
                outer = correlation.current()
                correlation.bind(request_id)
                started = time.monotonic()
                outcome = "failed"
                try:
                    result = tracked()
                    outcome = "succeeded"
                    return result
                finally:
                    log.info({"task": name, "queue_id": task.id if task else None, "request_id": request_id,
                              "outcome": outcome, "duration_ms": round((time.monotonic() - started) * 1000, 1)})
                    correlation.bind(outer)

            if has_app_context():
                return logged()
            with _app().app_context():
                return logged()

        if periodic is not None:
            PERIODIC[name] = (schedule or "", period or DAY)
            locked = huey.lock_task(f"periodic:{name}")(run)
            wrapper = huey.periodic_task(periodic, retries=retries, retry_delay=retry_delay, retry_backoff=2,
                                         context=True, timeout=time_limit, name=name, priority=priority)(locked)
        else:
            wrapper = huey.task(retries=retries, retry_delay=retry_delay, retry_backoff=2, context=True,
                                timeout=time_limit, name=name, priority=priority)(run)
        REGISTRY[name] = wrapper
        return wrapper

    return decorate


STALE_WATCH_SECONDS = 10
_watching = threading.Lock()
_watch_started = False


def start_stale_watch(app, every: float = STALE_WATCH_SECONDS) -> threading.Event | None:
    """In a consumer process: a thread that runs the stale sweep every few seconds beside the
    workers, so a killed task is found even while every worker is busy with long tasks (the
    periodic `requeue_stale_jobs` is a queue message and waits for a free worker). Started once
    per process (the consumer's startup hook runs per worker). Returns the event that stops it,
    or None when a watch runs already."""
    global _watch_started
    with _watching:
        if _watch_started:
            return None
        _watch_started = True
    stop = threading.Event()

    def watch() -> None:
        global _watch_started
        from richwell.services.platform import jobs

        while not stop.wait(every):
            try:
                with app.app_context():
                    handed = jobs.requeue_stale()
                if handed:
                    log.warning("stale watch: queued %s lost job run(s) again", handed)
            except Exception:  # noqa: BLE001 - the database may be down; try again next time
                log.exception("stale watch failed")
        with _watching:
            _watch_started = False

    threading.Thread(target=watch, name="richwell-stale-watch", daemon=True).start()
    return stop


def enqueue(task, *args):
    """Queue a task (services ask through the unit of work, after their commit). If the queue
    is unreachable the web keeps working: the work is left as a PENDING job run that the stale
    sweep queues once Redis is back."""
    try:
        request_id = correlation.current()
        return task(*args, _request_id=request_id) if request_id else task(*args)
    except Exception as exc:  # noqa: BLE001 - Redis down, network, anything: never fail the request
        from richwell.services.platform import jobs

        log.warning("could not queue %s%r: %s", task.name, args, exc)
        if has_app_context():
            jobs.record_unqueued(task.name, list(args), exc)
        return None


class _PortalQueue:
    """The queue as the services see it (richwell.services.platform.queue.Queue)."""

    periodic: Mapping[str, tuple[str, timedelta]] = PERIODIC

    def enqueue(self, name: str, *args) -> bool:
        task = REGISTRY.get(name)
        if task is None:
            log.error("unknown task %s", name)
            return False
        return enqueue(task, *args) is not None

    def knows(self, name: str) -> bool:
        return name in REGISTRY

    def counts(self) -> tuple[int, int]:
        return huey.pending_count(), huey.scheduled_count()


_PORTAL_QUEUE = _PortalQueue()


@job(retries=0, time_limit=60)
def ping() -> str:
    """A no-op task used by health checks and tests to prove the queue runs."""
    return current_app.config["RICHWELL_ENV"]


@job(periodic=crontab(hour="17", minute="30"), schedule="daily 01:30 Manila (17:30 UTC)", period=DAY)
def nightly_schedule_conflict_check() -> dict:
    """Find schedule conflicts that slipped in (overrides, edits) and notify the registrars
    of each new one once; running it again notifies nobody twice."""
    from richwell.services import academics

    result = academics.notify_schedule_conflicts()
    return {"open": result.open, "new": result.new, "resolved": result.resolved}


@job(retries=2, time_limit=3600)
def open_continuing_students(job_id: int) -> None:
    """The registrar's bulk opening of the current term (idempotent; progress on the job row)."""
    from richwell.services import admissions

    admissions.run_bulk_open(job_id)


@job(retries=3, time_limit=900)
def recalculate_gpa(student_ids: list[int]) -> int:
    """Recompute the stored GPAs and year level of these students (queued after finalization,
    approved changes and INC expiry). Idempotent: it only recomputes."""
    from richwell.services import grades

    grades.recompute_all(student_ids)
    return len(student_ids)


# Sunday 03:00 Manila is Saturday 19:00 UTC (huey counts Sunday as day 0).
@job(periodic=crontab(day_of_week="6", hour="19", minute="0"), schedule="Sunday 03:00 Manila (Saturday 19:00 UTC)",
     period=WEEK, time_limit=3600)
def recalculate_all_gpa() -> None:
    """The full GPA batch (set-based), weekly and when too many students changed at once."""
    from richwell.services import grades

    grades.recompute_all()


# 02:00 Manila is 18:00 UTC the day before; clock.today() is already the school's new day.
@job(periodic=crontab(hour="18", minute="0"), schedule="daily 02:00 Manila (18:00 UTC)", period=DAY,
     time_limit=1800)
def expire_and_warn_incs() -> dict:
    """INCs past their deadline turn FAILED 5.00; INCs within 30 days warn their student once."""
    from richwell.services import grades
    from richwell.services.platform import clock

    day = clock.today()
    return {"expired": grades.expire_incs(day), "warned": grades.warn_incs(day)}


# 08:00 Manila on the 25th is 00:00 UTC the same day.
@job(periodic=crontab(day="25", hour="0", minute="0"), schedule="the 25th, 08:00 Manila (00:00 UTC)",
     period=MONTH, time_limit=1800)
def send_payment_reminders() -> int:
    """Remind each student whose installment for next month is not fully paid, once per month."""
    from richwell.services import finance

    return finance.send_payment_reminders()


# The monthly archive runs on the 1st at 01:00 Manila, which is 17:00 UTC on the month's last
# day; a UTC crontab cannot say "last day", so it fires on days 28-31 and acts only when
# Manila's date is already the 1st.
@job(periodic=crontab(minute="0", hour="17", day="28-31"), schedule="the 1st, 01:00 Manila (17:00 UTC the day before)",
     period=MONTH, time_limit=1800)
def monthly_archive() -> dict | None:
    """Monthly: delete notifications read and older than a year, API tokens dead for 90 days,
    finished job runs and sent mail older than 90 days."""
    from richwell.services.platform import archive, clock

    if clock.today().day != 1:
        return None
    return archive.run()


# Every minute, as a backstop and for the Jobs page: each consumer's stale watch already looks
# every 10 s (heartbeats every 5 s, stale after 20 s; README "Background jobs").
@job(periodic=crontab(minute="*"), schedule="every minute", period=timedelta(minutes=1), retries=1,
     time_limit=300, priority=PRIORITY["sweep"])
def requeue_stale_jobs() -> int:
    """Queue again every run left PENDING (queue was down) or RUNNING with a stale heartbeat."""
    from richwell.services.platform import jobs

    return jobs.requeue_stale()


@job(periodic=crontab(minute="*/5"), schedule="every 5 minutes", period=timedelta(minutes=5), retries=3,
     time_limit=300)
def send_outbox() -> dict:
    """Put new notifications in the mail outbox and, when SMTP is configured, send what waits."""
    from richwell.services.platform import outbox

    return outbox.deliver()


@job(retries=3, time_limit=1800, priority=PRIORITY["interactive"])  # a cashier watches its progress
def import_payment_rows(import_id: int, first_row_id: int, last_row_id: int) -> dict:
    """Record one chunk of an online-payment import (each row once, whatever the retries)."""
    from richwell.services import finance

    return finance.record_rows(import_id, first_row_id, last_row_id)


# --- payments: receipt PDFs and the permit check --------------------------------------------

@job(retries=3, time_limit=120)
def generate_receipt_pdf(payment_id: int) -> str | None:
    """Write one receipt's PDF (queued after the payment commits; safe to repeat)."""
    from richwell.services import finance

    return finance.ensure_pdf(payment_id)


@job(periodic=crontab(minute="5"), schedule="hourly at :05", period=HOUR, time_limit=1800)
def sweep_receipt_pdfs() -> int:
    """Hourly: write any receipt PDF the queue missed."""
    from richwell.services import finance

    return finance.sweep_missing_pdfs()


@job(periodic=crontab(minute="15"), schedule="hourly at :15", period=HOUR, time_limit=1800)
def sweep_exam_permits() -> int:
    """Hourly: issue any exam permit owed but missing (e.g. after a mapping change)."""
    from richwell.services import finance

    return finance.issue_missing_permits()


# --- reports ---------------------------------------------------------------------------------

@job(retries=2, time_limit=1800)
def build_report_export(export_id: int) -> str | None:
    """Write one large report export (progress on its row; safe to repeat)."""
    from richwell.services import reports

    return reports.build_export(export_id)


# 03:30 Manila is 19:30 UTC the day before: after the nightly jobs, before the offices open.
@job(periodic=crontab(hour="19", minute="30"), schedule="daily 03:30 Manila (19:30 UTC)", period=DAY,
     time_limit=3600, retries=1)
def nightly_backup() -> dict:
    """One backup archive in BACKUP_FOLDER, then archives older than BACKUP_KEEP_DAYS removed."""
    from richwell.services.platform import backups

    config = current_app.config
    return backups.scheduled_backup(config["BACKUP_FOLDER"],
                                    {"uploads": config["UPLOAD_FOLDER"], "receipts": config["RECEIPT_FOLDER"]},
                                    config["BACKUP_KEEP_DAYS"])
