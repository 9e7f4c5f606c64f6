"""Throttling (Flask-Limiter): anonymous callers by address, signed-in callers by user, the
credential endpoints stricter; a 429 in the error shape. Tests elsewhere run with it off."""
from __future__ import annotations

import pytest

from richwell import create_app
from richwell.extensions import db
from richwell.models import Role
from tests.factories import DEFAULT_PASSWORD, make_api_token, make_user, token_headers

PROGRAMS = "/api/v1/public/programs/"


@pytest.fixture
def throttled(database_url):
    app = create_app({"RICHWELL_ENV": "testing", "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                      "API_RATE_LIMIT_ANONYMOUS": "3 per hour", "API_RATE_LIMIT_AUTHENTICATED": "5 per hour",
                      "API_TOKEN_RATE_LIMIT": "2 per minute"})
    with app.app_context():
        yield app
        db.session.remove()


def _throttled(response):
    assert response.status_code == 429
    body = response.get_json()
    assert body["error"]["code"] == "throttled" and body["error"]["message"] and body["error"]["fields"] == {}
    assert response.headers.get("Retry-After")


def test_anonymous_callers_are_limited_by_address(throttled):
    client = throttled.test_client()
    for _ in range(3):
        assert client.get(PROGRAMS).status_code == 200
    _throttled(client.get(PROGRAMS))
    # Another address has its own allowance.
    assert client.get(PROGRAMS, environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 200


def test_signed_in_callers_are_limited_by_user_with_the_higher_allowance(throttled):
    client = throttled.test_client()
    first = token_headers(make_api_token(make_user(Role.CASHIER)))
    second = token_headers(make_api_token(make_user(Role.CASHIER)))
    for _ in range(5):  # beyond the anonymous 3
        assert client.get(PROGRAMS, headers=first).status_code == 200
    _throttled(client.get(PROGRAMS, headers=first))
    _throttled(client.get("/api/v1/cashier/payment/payment_methods/", headers=first))  # one budget for the API
    assert client.get(PROGRAMS, headers=second).status_code == 200  # same address, another user


def test_token_endpoints_are_stricter(throttled):
    client = throttled.test_client()
    user = make_user(Role.CASHIER)
    body = {"username": user.email, "password": DEFAULT_PASSWORD}
    assert client.post("/api-token-auth/", json=body).status_code == 200
    assert client.post("/api-token-auth/", json={**body, "password": "wrong-one"}).status_code == 401
    _throttled(client.post("/api-token-auth/", json=body))
    other = throttled.test_client()
    for _ in range(2):
        assert other.post("/api/v1/auth/jwt/", json=body, environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 200
    _throttled(other.post("/api/v1/auth/jwt/", json=body, environ_base={"REMOTE_ADDR": "10.1.1.1"}))


@pytest.mark.redis
def test_counters_live_in_redis_when_it_is_configured(database_url):
    import os
    import uuid

    import redis

    prefix = f"richwell-test-{uuid.uuid4().hex}"
    app = create_app({"RICHWELL_ENV": "testing", "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url,
                      "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": os.environ["REDIS_URL"],
                      "RATELIMIT_KEY_PREFIX": prefix, "API_RATE_LIMIT_ANONYMOUS": "2 per hour"})
    store = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        with app.app_context():
            client = app.test_client()
            assert client.get(PROGRAMS).status_code == 200
            assert client.get(PROGRAMS).status_code == 200
            _throttled(client.get(PROGRAMS))
            assert list(store.scan_iter(f"*{prefix}*"))
            db.session.remove()
    finally:
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)
