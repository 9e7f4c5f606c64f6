"""The connection pool without a pre-ping per request (richwell.pool): a connection in steady
use is never pinged; one that sat idle is pinged, and a dead one is replaced before the
request's first statement sees it. Proven on PostgreSQL (a backend can be killed there)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from richwell import config, pool

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(database_url):
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    pool.configure(engine)
    yield engine
    engine.dispose()


def _backend(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_production_settings_have_no_pre_ping_and_recycle_connections():
    options = config.load_config({"RICHWELL_ENV": "development"})["SQLALCHEMY_ENGINE_OPTIONS"]
    assert not options.get("pool_pre_ping") and options["pool_recycle"] > 0


def test_statement_preparation_settings_reach_psycopg_and_are_checked(monkeypatch):
    def options():
        return config.load_config({"RICHWELL_ENV": "development"})["SQLALCHEMY_ENGINE_OPTIONS"]

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert options()["connect_args"] == {"prepare_threshold": 1, "options": "-c plan_cache_mode=force_generic_plan"}
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", "5")
    monkeypatch.setenv("DB_PLAN_CACHE_MODE", "auto")  # psycopg's and PostgreSQL's own defaults
    assert options()["connect_args"] == {"prepare_threshold": 5, "options": "-c plan_cache_mode=auto"}
    monkeypatch.setenv("DB_PLAN_CACHE_MODE", "fast; DROP")
    with pytest.raises(config.ConfigError, match="plan_cache_mode|DB_PLAN_CACHE_MODE"):
        options()
    monkeypatch.setenv("DB_PLAN_CACHE_MODE", "")
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", "soon")
    with pytest.raises(config.ConfigError):
        options()
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    assert "connect_args" not in options()


def test_the_app_s_connections_plan_prepared_statements_once(app):
    from richwell.extensions import db

    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_generic_plan"
            assert conn.connection.dbapi_connection.prepare_threshold == 1


def test_a_connection_in_steady_use_is_never_pinged(engine, monkeypatch):
    pings = []
    original = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or original(conn))
    first = _backend(engine)
    assert [_backend(engine) for _ in range(20)] == [first] * 20
    assert pings == []


def test_an_idle_connection_that_died_is_replaced_before_use(engine, database_url, monkeypatch):
    dead = _backend(engine)
    killer = create_engine(database_url, poolclass=NullPool)
    with killer.connect() as conn:  # what a database restart or a dropped link does to it
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dead}).scalar_one()
    killer.dispose()
    monkeypatch.setattr(pool, "IDLE_PING_SECONDS", 0.0)  # it has idled "long enough"
    alive = _backend(engine)  # no error reaches the caller: the pool swapped the connection
    assert alive != dead
