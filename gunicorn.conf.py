"""gunicorn settings for the portal's web process (`gunicorn -c gunicorn.conf.py wsgi:app`).

Every knob reads the environment so one image fits a 1-core VM and a 16-core host.
The defaults are the server choice measured by `tests/benchmarks/run.py` (README "Production"):
gthread, one worker process per core (at least 2), 4 threads each.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import time


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


cores = multiprocessing.cpu_count()

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
worker_class = os.environ.get("WEB_WORKER_CLASS", "gthread")
# One process per core (more only added CPU per request in the benchmark: the work is CPU-bound);
# threads cover the time a request waits on PostgreSQL.
workers = _int("WEB_WORKERS", max(2, cores))
threads = _int("WEB_THREADS", 4 if worker_class == "gthread" else 1)
# gthread: a worker keeps every keep-alive connection it accepts and, with gunicorn's 1000,
# one worker ended up holding nearly all of a proxy's or 50 clients' connections while the
# other idled (p95 232 ms against 149-159 ms with this cap, in tests/benchmarks/run.py). At the
# cap a worker stops accepting, so the next connections go to the other workers; past
# workers x this, connections wait in the listen backlog and idle ones are closed to make room.
worker_connections = _int("WEB_WORKER_CONNECTIONS", 25)

# A request that takes longer than this is stuck: the worker is replaced. The proxy's own
# timeout is a little longer so the client gets gunicorn's answer, not a proxy 504.
timeout = _int("WEB_TIMEOUT", 60)
graceful_timeout = _int("WEB_GRACEFUL_TIMEOUT", 30)  # SIGTERM: finish in-flight requests first
keepalive = _int("WEB_KEEPALIVE", 5)  # behind a proxy that reuses connections

# Recycle workers now and then (slow leaks), with jitter so they never restart together.
max_requests = _int("WEB_MAX_REQUESTS", 2000)
max_requests_jitter = _int("WEB_MAX_REQUESTS_JITTER", 200)

# Off by default: each worker opens its own database and Redis pools after the fork
# (a worker that cannot boot still stops gunicorn with a non-zero exit).
preload_app = os.environ.get("WEB_PRELOAD", "0") in {"1", "true", "yes"}
# Heartbeat files in memory, not on a possibly slow container disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# The app writes its own JSON line per request (richwell.web.observability) with user,
# endpoint and SQL count; gunicorn's access log is JSON too, for requests that never reach Flask.
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
access_log_format = json.dumps({
    "log": "access", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", "status": "%(s)s",
    "bytes": "%(B)s", "duration_ms": "%(M)s", "request_id": "%({x-request-id}o)s",
    "user_agent": "%(a)s",
})
# Proxy headers are handled by the app (ProxyFix, TRUSTED_PROXY_HOPS), not by gunicorn.
forwarded_allow_ips = "127.0.0.1"


def on_starting(server) -> None:
    """Multiprocess metrics: each worker writes its own files in PROMETHEUS_MULTIPROC_DIR;
    start with an empty folder so counters of a previous run are not added again."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            if name.endswith(".db"):
                os.remove(os.path.join(folder, name))
    server.log.info("richwell web: %s workers x %s threads (%s), %s cores, started %s",
                    workers, threads, worker_class, cores, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


def child_exit(server, worker) -> None:
    """A dead worker's live gauges must leave the totals (prometheus_client multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
