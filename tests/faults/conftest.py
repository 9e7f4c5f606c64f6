"""The fault suite: each test starts its own PostgreSQL cluster, redis-server, gunicorn and
queue consumer on spare ports, breaks one of them under load, and checks the ledger.

Runs where the PostgreSQL + Redis suites run (TEST_DATABASE_URL and REDIS_URL set: CI's second
run); skipped on the plain SQLite run. With RICHWELL_REQUIRE_SUITES=1 a missing tool (initdb,
redis-server) fails the run instead of skipping it. TEST_PORT_RANGE (e.g. 8400-8499) keeps
the servers' ports inside a range.
"""
from __future__ import annotations

import os

import pytest

from tests.faults.harness import Portal, PostgresCluster, RedisServer, missing_tools


def pytest_collection_modifyitems(config, items):
    wanted = bool(os.environ.get("TEST_DATABASE_URL") and os.environ.get("REDIS_URL"))
    reason = None if wanted else "runs with the PostgreSQL + Redis suites (TEST_DATABASE_URL, REDIS_URL set)"
    if wanted:
        reason = missing_tools()
        if reason and os.environ.get("RICHWELL_REQUIRE_SUITES"):
            raise pytest.UsageError(f"the fault suite must run here but cannot: {reason}")
    for item in items:
        if item.nodeid.startswith("tests/faults/"):
            item.add_marker(pytest.mark.faults)
            item.add_marker(pytest.mark.xdist_group("faults"))  # one at a time: each starts a stack
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def stack(tmp_path):
    """Its own PostgreSQL cluster and Redis, running; the portal's settings; stopped afterwards."""
    pg = PostgresCluster()
    redis = RedisServer(tmp_path)
    portal = None
    try:
        pg.start()
        redis.start()
        portal = Portal(tmp_path, pg, redis)
        yield portal
    finally:
        if portal is not None:
            portal.close()
        redis.stop() if redis.process else None
        pg.close()
