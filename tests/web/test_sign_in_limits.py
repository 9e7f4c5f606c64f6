"""Issue 15: sign-in limits per account and per address (separately), behind trusted proxies."""
from __future__ import annotations

import pytest

from richwell import create_app
from richwell.config import ConfigError
from richwell.extensions import db
from richwell.models import Role
from tests.factories import DEFAULT_PASSWORD, make_student, make_user


def _throttled_app(database_url, **config):
    return create_app({"RICHWELL_ENV": "testing", "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url,
                       "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                       "LOGIN_RATE_LIMIT": "5 per minute", "LOGIN_ADDRESS_RATE_LIMIT": "100 per minute",
                       **config})


def _sign_in(client, identifier, password=DEFAULT_PASSWORD, address="10.1.1.1", **kwargs):
    return client.post("/login", data={"identifier": identifier, "password": password},
                       environ_base={"REMOTE_ADDR": address}, **kwargs)


def test_a_lab_of_40_students_behind_one_address_is_never_blocked(database_url):
    app = _throttled_app(database_url)
    with app.app_context():
        students = [make_student() for _ in range(40)]
        for student in students:  # every one of them mistypes once, then gets it right
            client = app.test_client()
            assert _sign_in(client, student.student_number, "not-my-password").status_code == 200
            assert _sign_in(client, student.student_number).status_code == 302
        db.session.remove()


def test_guessing_one_account_from_many_addresses_is_limited(database_url):
    app = _throttled_app(database_url)
    with app.app_context():
        make_user(Role.CASHIER, email="target@richwell.edu.ph")
        client = app.test_client()
        for n in range(5):
            assert _sign_in(client, "target@richwell.edu.ph", "guess", address=f"203.0.113.{n}").status_code == 200
        # Another address, another spelling of the same account: still that account's budget.
        response = _sign_in(client, " TARGET@richwell.edu.ph", "guess", address="198.51.100.7")
        assert response.status_code == 429
        assert b"Too many sign-in attempts" in response.data
        # Nothing was tried: even the right password waits.
        assert _sign_in(client, "target@richwell.edu.ph", address="198.51.100.8").status_code == 429
        # Another account from the same addresses is untouched.
        make_user(Role.CASHIER, email="other@richwell.edu.ph")
        assert _sign_in(client, "other@richwell.edu.ph", address="203.0.113.1").status_code == 302
        db.session.remove()


def test_the_api_credential_endpoints_share_the_accounts_budget(database_url):
    app = _throttled_app(database_url, API_TOKEN_RATE_LIMIT="100 per minute")
    with app.app_context():
        make_user(Role.CASHIER, email="target@richwell.edu.ph")
        client = app.test_client()
        for n in range(3):
            assert _sign_in(client, "target@richwell.edu.ph", "guess", address=f"203.0.113.{n}").status_code == 200
        for n in range(2):
            response = client.post("/api-token-auth/", json={"username": "target@richwell.edu.ph", "password": "x"},
                                   environ_base={"REMOTE_ADDR": f"192.0.2.{n}"})
            assert response.status_code == 401
        response = client.post("/api/v1/auth/jwt/", json={"username": "target@richwell.edu.ph",
                                                          "password": DEFAULT_PASSWORD},
                               environ_base={"REMOTE_ADDR": "192.0.2.99"})
        assert response.status_code == 429
        assert _sign_in(client, "target@richwell.edu.ph", address="192.0.2.98").status_code == 429
        db.session.remove()


def test_one_address_spraying_many_accounts_is_limited_by_the_address_budget(database_url):
    app = _throttled_app(database_url, LOGIN_ADDRESS_RATE_LIMIT="10 per minute")
    with app.app_context():
        client = app.test_client()
        for n in range(10):
            assert _sign_in(client, f"user{n}@richwell.edu.ph", "guess").status_code == 200
        assert _sign_in(client, "user99@richwell.edu.ph", "guess").status_code == 429
        # Another address is not affected.
        assert _sign_in(client, "user99@richwell.edu.ph", "guess", address="10.9.9.9").status_code == 200
        db.session.remove()


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_used(database_url):
    app = _throttled_app(database_url, LOGIN_ADDRESS_RATE_LIMIT="3 per minute", TRUSTED_PROXY_HOPS=1)
    with app.app_context():
        client = app.test_client()
        proxy = "10.0.0.2"  # every request reaches the app from the load balancer
        for n in range(3):
            response = _sign_in(client, f"u{n}@richwell.edu.ph", "guess", address=proxy,
                                headers={"X-Forwarded-For": "198.51.100.1"})
            assert response.status_code == 200
        blocked = _sign_in(client, "u9@richwell.edu.ph", "guess", address=proxy,
                           headers={"X-Forwarded-For": "198.51.100.1"})
        assert blocked.status_code == 429
        # Another student behind the same proxy has their own address budget.
        make_user(Role.CASHIER, email="lab@richwell.edu.ph")
        ok = _sign_in(client, "lab@richwell.edu.ph", address=proxy, headers={"X-Forwarded-For": "198.51.100.2"})
        assert ok.status_code == 302
        # A client's own extra hop is not believed: only the one the proxy appended counts.
        spoofed = _sign_in(client, "u9@richwell.edu.ph", "guess", address=proxy,
                           headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.1"})
        assert spoofed.status_code == 429
        db.session.remove()


def test_without_trusted_proxies_a_forwarded_header_is_ignored(database_url):
    app = _throttled_app(database_url, LOGIN_ADDRESS_RATE_LIMIT="3 per minute")
    with app.app_context():
        client = app.test_client()
        for n in range(3):
            _sign_in(client, f"u{n}@richwell.edu.ph", "guess", headers={"X-Forwarded-For": f"198.51.100.{n}"})
        # Changing the header does not buy a new budget: the socket's address is the client's.
        response = _sign_in(client, "u9@richwell.edu.ph", "guess", headers={"X-Forwarded-For": "198.51.100.200"})
        assert response.status_code == 429
        db.session.remove()


def test_trusted_proxy_hops_comes_from_the_environment(monkeypatch):
    from richwell.config import load_config

    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "2")
    assert load_config({"RICHWELL_ENV": "testing"})["TRUSTED_PROXY_HOPS"] == 2
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "")
    assert load_config({"RICHWELL_ENV": "testing"})["TRUSTED_PROXY_HOPS"] == 0
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "two")
    with pytest.raises(ConfigError):
        load_config({"RICHWELL_ENV": "testing"})
