"""On Redis, a worker killed mid-task (SIGKILL) loses the message: Huey does not deliver it
again. The job-run record stays RUNNING, the stale sweep queues it again, and the task's own
check of the database makes the effect happen exactly once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from huey import PriorityRedisHuey as RedisHuey  # the portal queue is the priority one
from sqlalchemy import select

from richwell import tasks
from richwell.extensions import db
from richwell.models import JobRun
from richwell.services.platform import clock, jobs
from tests import redis_worker

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parents[2]


def _consumer(env) -> subprocess.Popen:
    cmd = [str(Path(sys.executable).with_name("huey_consumer")), "tests.redis_worker.huey",
           "-w", "1", "-k", "thread", "-n", "-d", "0.05", "-m", "0.2", "-b", "1.0"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def _runs() -> list[JobRun]:
    db.session.rollback()
    return list(db.session.scalars(select(JobRun).where(JobRun.task == "slow_mark").order_by(JobRun.id)))


@pytest.fixture
def redis_queue(database_url):
    """The global queue pointed at Redis under a name of its own, and the consumer's env."""
    name = f"richwell-test-{uuid.uuid4().hex[:8]}"
    real = RedisHuey(name, url=os.environ["REDIS_URL"])
    saved = tasks.huey.storage, tasks.huey._immediate
    tasks.huey.storage, tasks.huey._immediate = real.storage, False
    env = {**os.environ, "RICHWELL_ENV": "development", "DATABASE_URL": database_url, "HUEY_NAME": name,
           "HUEY_IMMEDIATE": "0", "SECRET_KEY": "test-secret", "PYTHONPATH": str(ROOT)}
    procs: list[subprocess.Popen] = []
    try:
        yield env, procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        real.storage.flush_all()
        tasks.huey.storage, tasks.huey._immediate = saved


def test_a_worker_killed_mid_task_leaves_the_job_completed_exactly_once_after_the_sweep(redis_queue):
    env, procs = redis_queue
    key = uuid.uuid4().hex
    procs.append(_consumer(env))
    tasks.enqueue(redis_worker.slow_mark, key, 3.0)
    _wait_for(lambda: [r for r in _runs() if r.outcome == "RUNNING"])
    time.sleep(0.5)  # well inside the 3-second body
    procs[0].send_signal(signal.SIGKILL)
    procs[0].wait(timeout=10)

    procs.append(_consumer(env))
    time.sleep(4.0)  # longer than the task: Huey has nothing to deliver again
    [lost] = _runs()
    assert lost.outcome == "RUNNING" and redis_worker.marks(key) == 0

    # The sweep, as it would run ten minutes later: the run is past its 10-second limit.
    later = clock.now() + timedelta(seconds=lost.time_limit) + jobs.STALE_GRACE + timedelta(seconds=1)
    assert jobs.requeue_stale(at=later) == 1
    _wait_for(lambda: [r for r in _runs() if r.outcome == "SUCCEEDED"])
    assert jobs.requeue_stale(at=later) == 0
    time.sleep(0.5)
    assert redis_worker.marks(key) == 1
    assert [r.outcome for r in _runs()] == ["REQUEUED", "SUCCEEDED"]
