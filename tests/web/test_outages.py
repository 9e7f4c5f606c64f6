"""Outages of Redis and the database: sign-in and the API keep working (limits in memory)
when Redis is down, an unreachable database answers 503 with Retry-After (JSON under /api/,
a page that needs no database elsewhere), and /readyz tells required from degraded."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from richwell import create_app
from richwell.extensions import db, limiter
from richwell.models import Role
from richwell.services.platform import outages
from tests.factories import DEFAULT_PASSWORD, make_user

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused at once


def _login(client, email, password=DEFAULT_PASSWORD):
    return client.post("/login", data={"identifier": email, "password": password})


@pytest.fixture
def redis_down_app(database_url):
    """An app whose rate-limit storage (Redis) cannot be reached, with limits on."""
    app = create_app({"RICHWELL_ENV": "testing", "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": DEAD_REDIS,
                      "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
                      "LOGIN_RATE_LIMIT": "3 per minute", "API_RATE_LIMIT_ANONYMOUS": "4 per hour"})
    with app.app_context():
        yield app
        db.session.remove()
    limiter._storage_dead = False  # the extension is one object shared by every app of the tests


def test_sign_in_works_while_the_rate_limit_storage_is_down(redis_down_app):
    before = outages.counts().get("ratelimit_fallback", 0)
    user = make_user(Role.CASHIER)
    response = _login(redis_down_app.test_client(), user.email)
    assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    assert outages.counts().get("ratelimit_fallback", 0) == before + 1


def test_limits_still_hold_in_memory_while_redis_is_down(redis_down_app):
    user = make_user(Role.CASHIER)
    client = redis_down_app.test_client()
    statuses = [_login(client, user.email, "wrong-password").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_api_answers_while_redis_is_down(redis_down_app):
    client = redis_down_app.test_client()
    statuses = [client.get("/api/v1/public/programs/").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]


def test_readyz_stays_ready_but_degraded_when_redis_is_down(database_url):
    app = create_app({"RICHWELL_ENV": "testing", "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url,
                      "REDIS_URL": DEAD_REDIS, "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        response = app.test_client().get("/readyz")
        db.session.remove()
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "degraded" and body["degraded"] == ["redis"] and body["failing"] == []
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"].startswith("unavailable")


def test_readyz_fails_when_the_database_is_down(app, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", refuse)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.headers["Retry-After"]
    body = response.get_json()
    assert body["status"] == "unavailable" and body["failing"] == ["database"]


@pytest.fixture
def outage_app(database_url):
    """An app with routes that fail the way an outage does (registered on this app only)."""
    app = create_app({"RICHWELL_ENV": "testing", "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url,
                      "RATELIMIT_STORAGE_URI": "memory://"})

    def database_gone():
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    def redis_gone():
        import redis

        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    for prefix in ("", "/api/v1"):
        app.add_url_rule(f"{prefix}/outage-test/database", f"db_gone{prefix}", database_gone)
        app.add_url_rule(f"{prefix}/outage-test/redis", f"redis_gone{prefix}", redis_gone)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.mark.parametrize("service", ["database", "redis"])
def test_an_outage_answers_503_json_under_the_api(outage_app, service):
    response = outage_app.test_client().get(f"/api/v1/outage-test/{service}")
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    error = response.get_json()["error"]
    assert error["code"] == "unavailable" and error["fields"] == {}
    # The commit's answer is what was lost: never claim that nothing happened.
    assert "nothing was changed" not in error["message"].lower()
    assert "idempotency-key" in error["message"].lower()


def test_an_outage_answers_a_page_that_needs_no_database(outage_app, monkeypatch):
    client = outage_app.test_client()
    make_user(Role.CASHIER)
    # Signed in (the page would normally load the user), and every query now fails.
    with client.session_transaction() as sess:
        sess["_user_id"] = "1:0"

    def refuse(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", refuse)
    monkeypatch.setattr(db.session, "get", refuse)
    monkeypatch.setattr(db.session, "scalar", refuse)
    response = client.get("/outage-test/database")
    assert response.status_code == 503 and response.headers["Retry-After"]
    page = response.get_data(as_text=True)
    assert "briefly unavailable" in page and "check whether it was saved" in page
    assert "nothing was changed" not in page.lower()


def test_a_transaction_caught_by_the_pools_invalidation_is_an_outage_not_a_bug():
    from sqlalchemy.exc import PendingRollbackError

    # Raised at a request's first statement when another thread found the database gone and
    # SQLAlchemy invalidated the pool (seen under tests/faults/test_postgres_restarted.py).
    caught = PendingRollbackError("Can't reconnect until invalid transaction is rolled back.", code="8s2b")
    assert outages.unavailable_service(caught) == "database"
    # A flush that failed and was never rolled back is a bug: a 500, logged.
    bug = PendingRollbackError("This Session's transaction has been rolled back due to a previous "
                               "exception during flush.", code="7s2a")
    assert outages.unavailable_service(bug) is None
