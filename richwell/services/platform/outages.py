"""Outages of the shared services, as the app reports them: which errors mean "PostgreSQL or
Redis is unreachable" (answered 503 with Retry-After, never 500), and how often a node ran
degraded (rate limits kept in its own memory while Redis was down).

The counters are per process (each web worker counts its own); monitoring sums them.
"""
from __future__ import annotations

import logging
import threading
from collections import Counter

from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)

#: Seconds a client is asked to wait before trying again after an outage answer.
RETRY_AFTER_SECONDS = 10

_counts: Counter[str] = Counter()
_lock = threading.Lock()


def count(event: str) -> None:
    """Add one to a degraded-operation counter (e.g. "ratelimit_fallback", "outage_database")."""
    with _lock:
        _counts[event] += 1


def counts() -> dict[str, int]:
    """Every counter of this process, by event."""
    with _lock:
        return dict(_counts)


def _redis_errors() -> tuple[type[BaseException], ...]:
    try:
        import redis
    except ImportError:  # pragma: no cover - redis is a dependency
        return ()
    return (redis.ConnectionError, redis.TimeoutError)


RECONNECT_AFTER_INVALIDATION = "8s2b"  # SQLAlchemy's error code


def unavailable_service(error: BaseException) -> str | None:
    """"database" or "redis" when `error` means that service could not be reached (or timed
    out); None for anything else (a bug, a constraint, a business refusal)."""
    if isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
                          sa_exc.DisconnectionError)):
        return "database"
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return "database"
    # When one connection finds the database gone, SQLAlchemy invalidates the whole pool; a
    # request that had already begun its transaction on another one then gets this at its
    # first statement (code 8s2b). The other PendingRollbackError (7s2a, a failed flush not
    # rolled back) is a bug and stays a 500.
    if isinstance(error, sa_exc.PendingRollbackError) and error.code == RECONNECT_AFTER_INVALIDATION:
        return "database"
    if isinstance(error, _redis_errors()):
        return "redis"
    return None


class _LimiterFallbackCounter(logging.Handler):
    """Flask-Limiter logs when its storage is unreachable (switching to in-memory limits) and
    when it swallows a storage error (failing open); each such record is counted here."""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "falling back to in-memory" in message:
            count("ratelimit_fallback")
        elif "Swallowing error" in message:
            count("ratelimit_fail_open")
        elif "storage recovered" in message:
            count("ratelimit_recovered")


_handler = _LimiterFallbackCounter(level=logging.INFO)


def watch_rate_limiter(limiter_logger: logging.Logger) -> None:
    """Count the rate limiter's degraded moments (idempotent: one handler per process)."""
    if _handler not in limiter_logger.handlers:
        limiter_logger.addHandler(_handler)
    if limiter_logger.getEffectiveLevel() > logging.INFO:
        limiter_logger.setLevel(logging.INFO)
