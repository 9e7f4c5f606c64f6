"""Shared fixtures: one database per test session (per xdist worker), migrated once and
emptied after every test; a client; sign-in helpers; the factories.

SQLite by default. With TEST_DATABASE_URL (PostgreSQL) every worker gets its own
database `<name>_<worker>`, created fresh. With REDIS_URL the Redis suites run too.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile

import pytest
from flask.testing import FlaskClient
from sqlalchemy import TextualSelect, create_engine, event, text
from sqlalchemy.engine import make_url

os.environ.setdefault("RICHWELL_ENV", "testing")
os.environ["RICHWELL_ENV"] = "testing"

from richwell import create_app  # noqa: E402
from richwell.config import postgres_connect_args  # noqa: E402
from richwell.extensions import db as _db  # noqa: E402
from richwell.extensions import limiter  # noqa: E402
from tests.factories import *  # noqa: E402,F401,F403  (factories are fixtures' helpers)

PG_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("REDIS_URL")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


def _postgres_database(url: str) -> str:
    """Create a fresh database for this worker next to the one TEST_DATABASE_URL names."""
    base = make_url(url)
    name = f"{base.database}_{re.sub(r'[^a-z0-9]', '', _worker().lower())}"
    # Connect to the maintenance database: the named one need not exist.
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"),
            {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if PG_URL:
        return _postgres_database(PG_URL)
    path = tmp_path_factory.mktemp("db") / "test.db"
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


class PortalTestClient(FlaskClient):
    """Requests share the test's app context (and its db session), so empty `g` before
    each one, as a fresh request would find it (Flask-Login's user, Flask-WTF's token)."""

    def open(self, *args, **kwargs):
        from flask import g

        for name in list(g):
            g.pop(name, None)
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url):
    upload_dir = tempfile.mkdtemp(prefix="richwell-uploads-")
    app = create_app({
        "RICHWELL_ENV": "testing",
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        # Production's statement preparation and plan cache mode, so the suite runs under them.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 60, "max_overflow": 20,
                                      **postgres_connect_args(database_url)}
        if database_url.startswith("postgresql") else {},
        "WTF_CSRF_ENABLED": False,
        "SQLITE_BEGIN_IMMEDIATE": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "REDIS_URL": REDIS_URL,
        "HUEY_IMMEDIATE": True,
        "UPLOAD_FOLDER": upload_dir,
        "RECEIPT_FOLDER": os.path.join(upload_dir, "receipts"),
        "EXPORT_FOLDER": os.path.join(upload_dir, "exports"),
        "SERVER_NAME": None,
    })
    app.test_client_class = PortalTestClient
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        event.listen(_db.engine, "after_cursor_execute", _declared_columns_are_returned)
    yield app
    shutil.rmtree(upload_dir, ignore_errors=True)
    with app.app_context():
        _db.engine.dispose()


def _declared_columns_are_returned(conn, cursor, statement, parameters, context, executemany) -> None:
    """A text statement that declares all its columns (platform.sql.returning) returns exactly
    those, in that order: SQLAlchemy applies the declared types by position."""
    declared = getattr(context.compiled, "statement", None)
    if isinstance(declared, TextualSelect) and cursor.description:
        names = [c.name for c in declared.selected_columns]
        returned = [d[0] for d in cursor.description]
        if context.compiled._textual_ordered_columns or len(names) == len(returned):
            assert returned == names, f"the statement returns {returned}, not the columns it declares"


def _empty_all_tables(is_pg: bool) -> None:
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    with _db.engine.begin() as conn:
        if is_pg:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
            conn.execute(text("DELETE FROM sqlite_sequence")) if conn.execute(
                text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).first() else None


@pytest.fixture(autouse=True)
def db(app, is_postgres, request):
    """A clean database for every test (same schema; rows emptied afterwards)."""
    ctx = app.app_context()
    ctx.push()
    # Flask-Limiter's on/off switch is global and every create_app() sets it: a test that
    # builds a throttled app must not leave limits on for the tests after it.
    limiter.enabled = app.config["RATELIMIT_ENABLED"]
    try:
        yield _db
    finally:
        limiter.enabled = app.config["RATELIMIT_ENABLED"]
        _db.session.rollback()
        _db.session.remove()
        _empty_all_tables(is_postgres)
        if request.node.get_closest_marker("postgres"):
            # A race test opened one connection per thread: close them, so the two workers
            # never hold more than PostgreSQL's 100 connections between them.
            _db.engine.dispose()
        ctx.pop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(client):
    """Sign a user in on the test client without the password round-trip."""
    def _login(user, test_client=None):
        target = test_client or client
        with target.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
        return target
    return _login


@pytest.fixture
def as_role(login):
    """`as_role("cashier")` → (client signed in as a fresh user of that role, the user)."""
    def _as(role: str, **kwargs):
        user = make_user(role=role, **kwargs)  # noqa: F405
        return login(user), user
    return _as


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs TEST_DATABASE_URL (PostgreSQL) for real row locks")
    skip_redis = pytest.mark.skip(reason="needs REDIS_URL")
    for item in items:
        if "postgres" in item.keywords:
            # Thread races open dozens of connections: run them all on one xdist worker.
            item.add_marker(pytest.mark.xdist_group("postgres-races"))
        if "postgres" in item.keywords and not PG_URL:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not REDIS_URL:
            item.add_marker(skip_redis)
