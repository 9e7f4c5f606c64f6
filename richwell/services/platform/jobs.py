"""Job runs: the database's record of every background task, and what monitoring reads.

Rules (README "Background jobs"):
- Every task execution writes one `job_runs` row (all attempts of one queue message update
  that row): task, arguments, started, finished, outcome, counts, error, attempt.
- Transient errors (lost database or Redis connection, timeouts) are retried by the queue with
  a growing delay; a business refusal (DomainError) or a bug fails the run at once.
- The time limit is soft on thread workers: a run that finishes late is recorded FAILED
  ("exceeded its time limit"; the work it committed stands, every task being idempotent);
  PostgreSQL cancels any single statement running past it (statement_timeout).
- Huey never redelivers a message whose worker was killed. So a running task's worker writes
  a heartbeat on its run every HEARTBEAT_EVERY; a run whose heartbeat is older than
  HEARTBEAT_STALE (its worker was killed, or lost the database for that long), or, for a run
  without a heartbeat, one left RUNNING past its time limit plus a grace minute, or one left
  PENDING because the queue was unreachable, is handed to a fresh queue message by
  `requeue_stale` (REQUEUED), which each consumer runs every 10 s beside its workers (and the
  queue every minute): a killed task is queued again within 30 s. Database state, not
  the queue, makes the second execution harmless.
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.exc import DBAPIError, OperationalError

from richwell.extensions import db
from richwell.models import JobOutcome, JobRun

from . import queue
from .clock import now
from .errors import DomainError, NotFound
from .sql import rowcount
from .unit_of_work import discard, unit_of_work

log = logging.getLogger(__name__)
OUT = JobOutcome
STALE_GRACE = timedelta(minutes=1)
#: How often a running task says it is alive, and how old that word may get before the run
#: counts as lost (three beats missed). The consumer's stale watch looks every 10 s (and the
#: periodic sweep every minute): a killed task is queued again within 30 s.
HEARTBEAT_EVERY = timedelta(seconds=5)
HEARTBEAT_STALE = timedelta(seconds=20)
ERROR_MAX = 4000
TaskResult = TypeVar("TaskResult")


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: the database or Redis went away or timed out; never a business refusal."""
    if isinstance(exc, DomainError):
        return False
    if isinstance(exc, OperationalError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    try:
        import redis

        return isinstance(exc, (redis.ConnectionError, redis.TimeoutError))
    except ImportError:  # pragma: no cover - redis is installed with huey's extra
        return False


def counts_of(result: object) -> dict[str, Any] | None:
    """What a task returned, in the run's `counts` column."""
    if result is None:
        return None
    if isinstance(result, dict):
        return {str(k): v for k, v in result.items()}
    if isinstance(result, (int, float)):
        return {"count": result}
    return {"result": str(result)[:500]}


def _error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[:ERROR_MAX]


def start_run(task: str, args: list[Any], *, queue_id: str | None, time_limit: int) -> int:
    """Record that an attempt starts (RUNNING) in its own unit of work, so a crash leaves the trace."""
    with unit_of_work():
        run = db.session.scalar(select(JobRun).where(JobRun.queue_id == queue_id)) if queue_id else None
        if run is None:
            run = JobRun(task=task, args=args, queue_id=queue_id, attempt=1, created_at=now())
            db.session.add(run)
        else:
            run.attempt += 1
        run.outcome, run.started_at, run.finished_at, run.time_limit = OUT.RUNNING.value, now(), None, time_limit
        run.heartbeat_at = run.started_at
    return run.id


class Heartbeat:
    """A thread beside a running task that stamps `heartbeat_at` on its run every
    HEARTBEAT_EVERY, on a connection of its own (the task's transaction may be long, and a beat
    must not wait for it). It stops with the task; if the process dies, so do the beats."""

    def __init__(self, run_id: int, every: timedelta | None = None) -> None:
        self.run_id, self.every = run_id, (every or HEARTBEAT_EVERY).total_seconds()
        self.engine = db.engine  # read here: the thread has no app context
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"heartbeat-{run_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)

    def _beat(self) -> None:
        table = JobRun.__table__
        while not self.stopped.wait(self.every):
            try:
                # Its own short transaction (engine.begin), outside any unit of work by design.
                with self.engine.begin() as connection:
                    connection.execute(update(table).where(table.c.id == self.run_id,
                                                           table.c.outcome == OUT.RUNNING.value)
                                       .values(heartbeat_at=now()))
            except Exception as exc:  # noqa: BLE001 - a missed beat is what the sweep watches for
                log.warning("job run %s: heartbeat not written: %s", self.run_id, exc)


def _finish(run_id: int, outcome: JobOutcome, *, counts: dict[str, Any] | None = None,
            error: str | None = None) -> None:
    # Whatever the body left uncommitted is not part of its work (and a failed read's
    # transaction would refuse the update): discard it, then record the outcome on its own.
    discard()
    with unit_of_work():
        db.session.execute(update(JobRun).where(JobRun.id == run_id).values(
            outcome=outcome.value, finished_at=now(), counts=counts, error=error))


def _statement_timeout(seconds: int | None) -> None:
    if db.engine.dialect.name != "postgresql":
        return
    # Session-level (the task runs several units of work), committed so that it holds; RESET
    # when the run ends, since the connection goes back to the pool.
    with unit_of_work():
        if seconds:
            db.session.execute(text(f"SET statement_timeout = {int(seconds) * 1000}"))
        else:
            db.session.execute(text("RESET statement_timeout"))


class Retry(Exception):
    """The run failed transiently and the queue will run it again."""


def run_tracked(task: str, fn: Callable[..., TaskResult], args: tuple[Any, ...], *, queue_id: str | None,
                retries_left: int, time_limit: int) -> TaskResult:
    """Run one attempt of a task body under its job-run record: RUNNING, then SUCCEEDED with
    counts, RETRYING (transient error, retries left) or FAILED. Exceptions go back to the
    caller after they are recorded (the queue decides whether to retry)."""
    run_id = start_run(task, list(args), queue_id=queue_id, time_limit=time_limit)
    started = time.monotonic()
    try:
        _statement_timeout(time_limit)
        with Heartbeat(run_id):
            result = fn(*args)
    except BaseException as exc:
        retrying = is_transient(exc) and retries_left > 0
        _finish(run_id, OUT.RETRYING if retrying else OUT.FAILED, error=_error_text(exc))
        raise
    finally:
        try:
            _statement_timeout(None)
        except Exception:  # noqa: BLE001 - the connection may be the thing that broke
            pass  # its unit of work has rolled back; the pool replaces a broken connection
    elapsed = time.monotonic() - started
    if elapsed > time_limit:
        _finish(run_id, OUT.FAILED, counts=counts_of(result),
                error=f"Exceeded its time limit of {time_limit} s ({elapsed:.0f} s); the work it "
                      "committed stands.")
    else:
        _finish(run_id, OUT.SUCCEEDED, counts=counts_of(result))
    return result


def record_unqueued(task: str, args: list[Any], exc: BaseException) -> None:
    """The queue could not take a message (Redis down): keep it as a PENDING run for the sweep."""
    try:
        with unit_of_work():
            db.session.add(JobRun(task=task, args=list(args), outcome=OUT.PENDING.value, created_at=now(),
                                  error=f"Not queued: {_error_text(exc)}"[:ERROR_MAX]))
    except Exception:  # noqa: BLE001 - never fail the request that already committed its work
        log.exception("could not record the unqueued task %s%r", task, args)


def is_lost(run: JobRun, at: datetime) -> bool:
    """A RUNNING run nobody is working on: its heartbeat stopped (HEARTBEAT_STALE), or, for a
    run recorded without one, it is past its time limit plus a grace minute. A run that still
    beats past its time limit is alive (the limit is soft on threads): it is not run twice."""
    if run.heartbeat_at is not None:
        return run.heartbeat_at + HEARTBEAT_STALE < at
    return run.started_at is not None and run.started_at + timedelta(seconds=run.time_limit) + STALE_GRACE < at


def stale_runs(at: datetime | None = None) -> list[JobRun]:
    """Runs nobody will finish: PENDING (never queued), or RUNNING but lost (`is_lost`)."""
    at = at or now()
    running = list(db.session.scalars(select(JobRun).where(JobRun.outcome == OUT.RUNNING.value)))
    pending = list(db.session.scalars(select(JobRun).where(JobRun.outcome == OUT.PENDING.value)))
    return sorted(pending + [r for r in running if is_lost(r, at)], key=lambda r: r.id)


def _hand_over(run: JobRun, outcome_before: str, note: str, at: datetime | None = None) -> bool:
    """Mark one run REQUEUED if nobody else did (a conditional update: two sweeps at once
    requeue it once) and queue a fresh message with its arguments."""
    with unit_of_work():
        claim = update(JobRun).where(JobRun.id == run.id, JobRun.outcome == outcome_before)
        if outcome_before == OUT.RUNNING.value:
            # The claim repeats the heartbeat test in SQL: a beat since the read keeps the run.
            claim = claim.where(or_(JobRun.heartbeat_at.is_(None),
                                    JobRun.heartbeat_at < (at or now()) - HEARTBEAT_STALE))
        claimed = rowcount(db.session.execute(
            claim
            .values(outcome=OUT.REQUEUED.value, finished_at=now(),
                    error=((run.error or "") + "\n" + note).strip()[:ERROR_MAX])))
    if not claimed:
        return False
    portal_queue = queue.current()
    if portal_queue is None or not portal_queue.knows(run.task):
        log.error("job run %s names an unknown task %s", run.id, run.task)
        return False
    portal_queue.enqueue(run.task, *(run.args or []))  # outside the claim's transaction, after its commit
    return True


def requeue_stale(at: datetime | None = None) -> int:
    """The stale sweep: hand every stale run to a new queue message. Returns how many."""
    runs = stale_runs(at)
    ids = [(r, r.outcome) for r in runs]
    done = 0
    for run, outcome in ids:
        note = ("Queued by the stale sweep (the queue was unreachable)." if outcome == OUT.PENDING.value
                else "Found RUNNING with no heartbeat (its worker was lost); queued again.")
        done += _hand_over(run, outcome, note, at)
    return done


# --- monitoring --------------------------------------------------------------------------------

@dataclass
class PeriodicState:
    """A periodic job as the Jobs page shows it: its schedule, its last run and last success."""

    name: str
    schedule: str
    period: timedelta
    last: JobRun | None
    last_success: JobRun | None
    scheduled: bool = True  # False where no consumer runs the schedule (schedule_running())

    @property
    def overdue(self) -> bool:
        """No success within twice the period (a job that never ran counts once it should have);
        never where the schedule is not running, which the page says once instead."""
        if not self.scheduled:
            return False
        reference = self.last_success.finished_at if self.last_success else None
        return reference is None or now() - reference > 2 * self.period


@dataclass
class QueueState:
    """The queue as monitoring sees it (counts are None when it cannot be reached)."""

    reachable: bool
    pending: int | None
    scheduled: int | None
    error: str | None = None


def queue_state() -> QueueState:
    """Messages waiting and scheduled (retries, ETAs) on the queue; unreachable is reported."""
    portal_queue = queue.current()
    if portal_queue is None:
        return QueueState(False, None, None, "no queue is configured")
    try:
        return QueueState(True, *portal_queue.counts())
    except Exception as exc:  # noqa: BLE001 - monitoring must show an outage, not fail on it
        return QueueState(False, None, None, _error_text(exc))


def schedule_running() -> bool:
    """Whether a queue consumer runs the periodic schedule here. Not on the development server
    in immediate mode (`make run`: queued tasks run in-process and nothing runs the clock); a
    deployment runs `huey_consumer`, which does (and the tests drive the schedule themselves)."""
    config = current_app.config
    return not (config.get("RICHWELL_ENV") == "development" and config.get("HUEY_IMMEDIATE", False))


def periodic_states() -> list[PeriodicState]:
    """Every periodic job with its last run and last success."""
    portal_queue = queue.current()
    scheduled = schedule_running()
    states = []
    for name, (schedule, period) in (portal_queue.periodic if portal_queue else {}).items():
        last = db.session.scalar(select(JobRun).where(JobRun.task == name)
                                 .order_by(JobRun.created_at.desc(), JobRun.id.desc()).limit(1))
        success = db.session.scalar(select(JobRun).where(JobRun.task == name, JobRun.outcome == OUT.SUCCEEDED.value)
                                    .order_by(JobRun.finished_at.desc(), JobRun.id.desc()).limit(1))
        states.append(PeriodicState(name, schedule, period, last, success, scheduled))
    return states


def running_runs() -> list[JobRun]:
    """Runs not finished: RUNNING, RETRYING or PENDING, oldest first."""
    return list(db.session.scalars(select(JobRun).where(JobRun.outcome.in_([OUT.RUNNING.value, OUT.RETRYING.value,
                                                                             OUT.PENDING.value]))
                                   .order_by(JobRun.id)))


def failed_runs(limit: int = 200) -> list[JobRun]:
    """The failed runs, newest first."""
    return list(db.session.scalars(select(JobRun).where(JobRun.outcome == OUT.FAILED.value)
                                   .order_by(JobRun.id.desc()).limit(limit)))


def failed_count() -> int:
    """How many runs failed and wait for an admin."""
    return db.session.scalar(select(func.count(JobRun.id)).where(JobRun.outcome == OUT.FAILED.value)) or 0


def retry_failed(run_id: int | None = None) -> int:
    """Queue a failed run again (one, or every one when `run_id` is None). Returns how many."""
    if run_id is not None:
        run = db.session.get(JobRun, run_id)
        if run is None or run.outcome != OUT.FAILED.value:
            raise NotFound("No failed job run has that number.")
        runs = [run]
    else:
        runs = failed_runs(limit=10_000)
    return sum(_hand_over(run, OUT.FAILED.value, "Queued again by hand.") for run in runs)


def purge_failed() -> int:
    """Delete the failed runs (after they were read or retried). Returns how many."""
    with unit_of_work():
        return rowcount(db.session.execute(delete(JobRun).where(JobRun.outcome == OUT.FAILED.value)))


def purge_finished(before: datetime) -> int:
    """The archive drops finished runs older than `before` (failed ones stay until purged)."""
    with unit_of_work():
        return rowcount(db.session.execute(delete(JobRun).where(
            JobRun.outcome.in_([OUT.SUCCEEDED.value, OUT.REQUEUED.value]), JobRun.created_at < before)))
