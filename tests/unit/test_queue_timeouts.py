"""Queueing after a commit happens inside the request: with Redis its waits are bounded."""
from __future__ import annotations

from types import SimpleNamespace

from richwell import tasks


def test_the_redis_queue_connects_and_answers_within_bounded_time(app):
    with_redis = SimpleNamespace(config={**app.config, "REDIS_URL": "redis://127.0.0.1:6399/1",
                                         "HUEY_IMMEDIATE": False})
    try:
        tasks.configure(with_redis)
        pool = tasks.huey.storage.conn.connection_pool
        assert pool.connection_kwargs["socket_connect_timeout"] == tasks.QUEUE_CONNECT_TIMEOUT <= 1
        assert pool.connection_kwargs["socket_timeout"] == tasks.QUEUE_SOCKET_TIMEOUT <= 2
    finally:
        tasks.configure(app)  # the suite's own queue again
