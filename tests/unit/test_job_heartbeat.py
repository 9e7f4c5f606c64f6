"""Heartbeats: a running task stamps its job run every few seconds, and the every-minute sweep
queues again a run whose heartbeat stopped (its worker was killed), not only one past its
time limit; a run that still beats is never run twice."""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from richwell import tasks
from richwell.extensions import db
from richwell.models import JobRun
from richwell.services.platform import clock, jobs
from tests.factories import make_student


def _runs(task: str) -> list[JobRun]:
    db.session.expire_all()
    return list(db.session.scalars(select(JobRun).where(JobRun.task == task).order_by(JobRun.id)))


def test_a_running_task_writes_its_heartbeat(monkeypatch):
    monkeypatch.setattr(jobs, "HEARTBEAT_EVERY", timedelta(seconds=0.05))
    seen = []

    def body():
        first = db.session.scalar(select(JobRun.heartbeat_at).where(JobRun.task == "beating"))
        time.sleep(0.4)
        db.session.rollback()  # a fresh snapshot: the beats were written by another connection
        seen.append((first, db.session.scalar(select(JobRun.heartbeat_at).where(JobRun.task == "beating"))))
        return 1

    jobs.run_tracked("beating", body, (), queue_id=None, retries_left=0, time_limit=60)
    (first, later), = seen
    assert first is not None and later > first
    assert _runs("beating")[0].outcome == "SUCCEEDED"


def _running(student, *, started_ago: timedelta, beat_ago: timedelta | None, time_limit: int = 3600) -> JobRun:
    at = clock.now()
    run = JobRun(task="recalculate_gpa", args=[[student.id]], outcome="RUNNING", time_limit=time_limit,
                 started_at=at - started_ago, created_at=at - started_ago,
                 heartbeat_at=None if beat_ago is None else at - beat_ago)
    db.session.add(run)
    db.session.commit()
    return run


def test_a_run_whose_heartbeat_stopped_is_queued_again_long_before_its_time_limit():
    student = make_student()
    lost = _running(student, started_ago=timedelta(seconds=90), beat_ago=timedelta(seconds=60))
    alive = _running(student, started_ago=timedelta(seconds=90), beat_ago=timedelta(seconds=5))
    assert [r.id for r in jobs.stale_runs()] == [lost.id]
    assert tasks.requeue_stale_jobs.call_local() == 1
    outcomes = {r.id: r.outcome for r in _runs("recalculate_gpa")}
    assert outcomes[lost.id] == "REQUEUED" and outcomes[alive.id] == "RUNNING"
    assert sorted(outcomes.values()) == ["REQUEUED", "RUNNING", "SUCCEEDED"]  # the new run did the work
    assert tasks.requeue_stale_jobs.call_local() == 0


def test_a_run_that_still_beats_past_its_time_limit_is_not_run_twice():
    student = make_student()
    _running(student, started_ago=timedelta(hours=2), beat_ago=timedelta(seconds=10), time_limit=60)
    assert jobs.stale_runs() == []


def test_the_claim_loses_to_a_beat_written_after_the_sweep_read_the_run():
    student = make_student()
    run = _running(student, started_ago=timedelta(minutes=5), beat_ago=timedelta(minutes=2))
    [stale] = jobs.stale_runs()
    # The worker was only slow: it beats between the sweep's read and its claim.
    db.session.execute(JobRun.__table__.update().where(JobRun.id == run.id).values(heartbeat_at=clock.now()))
    db.session.commit()
    assert jobs._hand_over(stale, "RUNNING", "test") is False
    assert _runs("recalculate_gpa")[0].outcome == "RUNNING"


def test_the_sweep_runs_every_minute_and_the_consumer_watches_every_15_seconds():
    schedule, period = tasks.PERIODIC["requeue_stale_jobs"]
    assert period == timedelta(minutes=1) and schedule == "every minute"
    # Worst case: killed just after a beat, stale HEARTBEAT_STALE later, found by the next look.
    assert jobs.HEARTBEAT_STALE + timedelta(seconds=tasks.STALE_WATCH_SECONDS) <= timedelta(minutes=1)
    assert jobs.HEARTBEAT_STALE + period <= timedelta(minutes=2)


def test_the_stale_watch_finds_a_lost_run_without_a_free_worker(app):
    student = make_student()
    lost = _running(student, started_ago=timedelta(minutes=3), beat_ago=timedelta(minutes=2))
    stop = tasks.start_stale_watch(app, every=0.05)
    try:
        assert stop is not None
        assert tasks.start_stale_watch(app, every=0.05) is None  # once per process
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _runs("recalculate_gpa")[0].outcome == "RUNNING":
            db.session.rollback()
            time.sleep(0.05)
        assert db.session.get(JobRun, lost.id).outcome == "REQUEUED"
    finally:
        if stop is not None:
            stop.set()
    deadline = time.monotonic() + 5
    while tasks._watch_started and time.monotonic() < deadline:  # the thread ended
        time.sleep(0.02)
    assert tasks._watch_started is False


def test_recovery_and_watched_work_go_before_bulk_work_in_the_queue():
    from huey.storage import MemoryStorage

    storage = MemoryStorage("priorities")  # orders by priority like the Redis priority queue
    for name in ("generate_receipt_pdf", "generate_receipt_pdf", "import_payment_rows", "requeue_stale_jobs"):
        message = tasks.REGISTRY[name].s() if name == "requeue_stale_jobs" else tasks.REGISTRY[name].s(1)
        storage.enqueue(tasks.huey.serialize_task(message), message.priority)
    order = [tasks.huey.deserialize_task(storage.dequeue()).name for _ in range(4)]
    assert order == ["requeue_stale_jobs", "import_payment_rows", "generate_receipt_pdf", "generate_receipt_pdf"]
