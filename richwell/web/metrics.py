"""/metrics in Prometheus text format (prometheus_client).

Two kinds of figures:
- per process, recorded as requests pass: requests and latency per endpoint, errors, and the
  database pool (size, checked out, overflow, waits). Under gunicorn every worker writes its
  own files in PROMETHEUS_MULTIPROC_DIR and a scrape adds them up (multiprocess mode);
- read from PostgreSQL/Redis at scrape time, the same whichever worker answers: queue length,
  the oldest unfinished job run, job runs by outcome, seconds since each periodic job last
  succeeded, payments and enrollments recorded.

Who may read it: addresses in METRICS_ALLOWED_NETWORKS (default loopback), or a request with
`Authorization: Bearer <METRICS_TOKEN>`. Anyone else gets 403.
"""
from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import event, func, select

from richwell.extensions import csrf, db

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

REQUESTS = Counter("richwell_http_requests", "Requests answered, per endpoint, method and status class",
                   ["endpoint", "method", "status"])
ERRORS = Counter("richwell_http_errors", "Responses with a 5xx status, per endpoint", ["endpoint"])
LATENCY = Histogram("richwell_http_request_duration_seconds", "Time to answer, per endpoint", ["endpoint"],
                    buckets=(.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))
POOL_SIZE = Gauge("richwell_db_pool_size", "Connections the pools keep (all web processes)",
                  multiprocess_mode="livesum")
POOL_CHECKED_OUT = Gauge("richwell_db_pool_checked_out", "Connections in use (all web processes)",
                         multiprocess_mode="livesum")
POOL_OVERFLOW = Gauge("richwell_db_pool_overflow", "Connections opened beyond the pool size (all web processes)",
                      multiprocess_mode="livesum")
POOL_CAPACITY = Gauge("richwell_db_pool_capacity", "Pool size plus allowed overflow (all web processes)",
                      multiprocess_mode="livesum")
# QueuePool does not report its waiters; a checkout that takes the last allowed connection is
# the moment the next one would wait (or time out), so that is what is counted.
POOL_EXHAUSTED = Counter("richwell_db_pool_exhausted", "Checkouts that took the last allowed connection "
                         "(the next checkout waits)")


def _status_class(status: int) -> str:
    return f"{status // 100}xx"


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(endpoint, method, _status_class(status)).inc()
    LATENCY.labels(endpoint).observe(seconds)
    if status >= 500:
        ERRORS.labels(endpoint).inc()
    _observe_pool()


def _observe_pool() -> None:
    pool = db.engine.pool
    size = getattr(pool, "size", None)
    if not callable(size):  # SQLite's pools have no size
        return
    POOL_SIZE.set(pool.size())  # type: ignore[attr-defined]
    POOL_CHECKED_OUT.set(pool.checkedout())  # type: ignore[attr-defined]
    POOL_OVERFLOW.set(max(0, pool.overflow()))  # type: ignore[attr-defined]
    max_overflow = getattr(pool, "_max_overflow", 0)
    POOL_CAPACITY.set(pool.size() + max(0, max_overflow))  # type: ignore[attr-defined]


def _watch_pool_waits(app: Flask) -> None:
    with app.app_context():
        pool = db.engine.pool
    if not callable(getattr(pool, "checkedout", None)) or not callable(getattr(pool, "size", None)):
        return

    @event.listens_for(pool, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if pool.checkedout() >= pool.size() + max(0, getattr(pool, "_max_overflow", 0)):  # type: ignore[attr-defined]
            POOL_EXHAUSTED.inc()


class PortalCollector(Collector):
    """Figures read at scrape time from the database and the queue."""

    def collect(self) -> Iterator[Metric]:
        from richwell.models import JobOutcome, JobRun, Payment, TermEnrollment
        from richwell.services.platform import clock, jobs

        state = jobs.queue_state()
        up = GaugeMetricFamily("richwell_queue_up", "1 when the queue (Redis) answers")
        up.add_metric([], 1 if state.reachable else 0)
        yield up
        pending = GaugeMetricFamily("richwell_queue_pending", "Messages waiting on the queue")
        pending.add_metric([], state.pending or 0)
        yield pending
        scheduled = GaugeMetricFamily("richwell_queue_scheduled", "Messages scheduled for later (retries, ETAs)")
        scheduled.add_metric([], state.scheduled or 0)
        yield scheduled

        now = clock.now()
        unfinished = [JobOutcome.PENDING.value, JobOutcome.RUNNING.value, JobOutcome.RETRYING.value]
        oldest = db.session.scalar(select(func.min(JobRun.created_at)).where(JobRun.outcome.in_(unfinished)))
        age = GaugeMetricFamily("richwell_queue_oldest_unfinished_seconds",
                                "Age of the oldest job run not finished (pending, running or retrying)")
        age.add_metric([], (now - oldest).total_seconds() if oldest else 0)
        yield age

        runs = CounterMetricFamily("richwell_job_runs", "Job runs recorded, by outcome", labels=["outcome"])
        for outcome, count in db.session.execute(select(JobRun.outcome, func.count()).group_by(JobRun.outcome)):
            runs.add_metric([outcome], count)
        yield runs

        since = GaugeMetricFamily("richwell_periodic_job_seconds_since_success",
                                  "Seconds since each periodic job last succeeded (-1: never)", labels=["task"])
        period = GaugeMetricFamily("richwell_periodic_job_period_seconds", "How often each periodic job runs",
                                   labels=["task"])
        for periodic in jobs.periodic_states():
            finished = periodic.last_success.finished_at if periodic.last_success else None
            since.add_metric([periodic.name], (now - finished).total_seconds() if finished else -1)
            period.add_metric([periodic.name], periodic.period.total_seconds())
        yield since
        yield period

        payments = CounterMetricFamily("richwell_payments_recorded", "Payments recorded (every kind)")
        payments.add_metric([], db.session.scalar(select(func.count(Payment.id))) or 0)
        yield payments
        enrollments = CounterMetricFamily("richwell_enrollments_recorded", "Term enrollments recorded")
        enrollments.add_metric([], db.session.scalar(select(func.count(TermEnrollment.id))) or 0)
        yield enrollments


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    offered = request.headers.get("Authorization", "")
    if token and offered.startswith("Bearer ") and hmac.compare_digest(offered[7:].strip(), token):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False)
               for net in current_app.config.get("METRICS_ALLOWED_NETWORKS", ()))


def render() -> bytes:
    if MULTIPROCESS:
        from prometheus_client import multiprocess

        per_process = CollectorRegistry()
        multiprocess.MultiProcessCollector(per_process)
        body = generate_latest(per_process)
    else:
        body = generate_latest(REGISTRY)
    scraped = CollectorRegistry()
    scraped.register(PortalCollector())
    return body + generate_latest(scraped)


def register(app: Flask) -> None:
    _watch_pool_waits(app)

    @app.get("/metrics")
    @csrf.exempt
    def metrics_endpoint() -> Response:
        if not _allowed():
            abort(403)
        return Response(render(), mimetype=CONTENT_TYPE_LATEST)
