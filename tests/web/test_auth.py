"""Sign-in, sign-out, forced and voluntary password changes, sessions ending, CSRF, throttling."""
from __future__ import annotations

import re

import pytest

from richwell import create_app
from richwell.extensions import db
from richwell.models import AuditEntry, Role, User
from tests.confirming import confirmed_post
from tests.factories import DEFAULT_PASSWORD, make_student, make_user

GENERIC = b"That sign-in did not work"


def _login(client, identifier, password=DEFAULT_PASSWORD, **kwargs):
    return client.post("/login", data={"identifier": identifier, "password": password}, **kwargs)


def test_sign_in_by_email_any_case(client):
    user = make_user(Role.CASHIER, email="maria@richwell.edu.ph")
    response = _login(client, "  MARIA@Richwell.edu.ph ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/cashier/"
    assert db.session.get(User, user.id).last_login_at is not None


def test_sign_in_by_student_number(client):
    student = make_student(number="2026-00042")
    response = _login(client, "2026-00042")
    assert response.status_code == 302 and response.headers["Location"] == "/student/"
    assert student.user.last_login_at is not None


@pytest.mark.parametrize("identifier,password", [
    ("known@richwell.edu.ph", "wrong-password"),   # wrong password
    ("nobody@richwell.edu.ph", DEFAULT_PASSWORD),  # unknown user
    ("2026-99999", DEFAULT_PASSWORD),               # unknown student number
])
def test_failed_sign_in_gives_one_generic_message(client, identifier, password):
    make_user(Role.CASHIER, email="known@richwell.edu.ph")
    response = _login(client, identifier, password)
    assert response.status_code == 200
    assert GENERIC in response.data
    assert b"does not exist" not in response.data and b"wrong password" not in response.data.lower()


def test_inactive_account_cannot_sign_in_and_gets_the_same_message(client):
    make_user(Role.CASHIER, email="gone@richwell.edu.ph", active=False)
    response = _login(client, "gone@richwell.edu.ph")
    assert response.status_code == 200 and GENERIC in response.data


@pytest.mark.parametrize("identifier,password", [("", ""), ("a" * 300, "x"), ("x@y.ph", "p" * 500)])
def test_empty_or_overlong_sign_in_fields_are_refused_at_the_field(client, identifier, password):
    response = _login(client, identifier, password)
    assert response.status_code == 400
    assert b"field-error" in response.data
    assert not db.session.query(AuditEntry).count()


def test_open_redirect_after_sign_in_is_ignored(client):
    make_user(Role.ADMIN, email="boss@richwell.edu.ph")
    response = _login(client, "boss@richwell.edu.ph", query_string={"next": "//evil.example/x"})
    assert response.headers["Location"] == "/admin/"
    client.post("/logout")
    response = _login(client, "boss@richwell.edu.ph", query_string={"next": "/admin/settings"})
    assert response.headers["Location"] == "/admin/settings"


def test_forced_password_change_at_first_sign_in(client):
    make_user(Role.REGISTRAR, email="new@richwell.edu.ph", must_change_password=True)
    response = _login(client, "new@richwell.edu.ph")
    assert response.headers["Location"] == "/password"
    # Every other page sends them back until they change it.
    assert client.get("/registrar/").headers["Location"] == "/password"
    response = client.post("/password", data={"current_password": DEFAULT_PASSWORD,
                                              "new_password": "a-brand-new-pass",
                                              "confirm_password": "a-brand-new-pass"})
    assert response.status_code == 302 and response.headers["Location"] == "/registrar/"
    assert client.get("/registrar/").status_code == 200
    user = db.session.query(User).filter_by(email="new@richwell.edu.ph").one()
    assert not user.must_change_password


@pytest.mark.parametrize("current,new,confirm,field_message", [
    ("not-it", "another-password", "another-password", b"current password is not right"),
    (DEFAULT_PASSWORD, "short", "short", b"at least 8"),
    (DEFAULT_PASSWORD, "another-password", "different-password", b"do not match"),
])
def test_password_change_bad_input_changes_nothing(client, login, current, new, confirm, field_message):
    user = make_user(Role.CASHIER)
    before = user.password_hash
    login(user)
    response = client.post("/password", data={"current_password": current, "new_password": new,
                                              "confirm_password": confirm})
    assert response.status_code == 400
    assert field_message in response.data
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == before


def _two_sessions(app, user):
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        assert _login(c, user.email).status_code == 302
    return first, second


def test_logout_ends_the_users_other_sessions(app):
    user = make_user(Role.CASHIER)
    first, second = _two_sessions(app, user)
    assert first.post("/logout").status_code == 302
    assert second.get("/cashier/").status_code == 302  # back to sign-in


def test_password_change_ends_other_sessions_but_keeps_this_one(app):
    user = make_user(Role.CASHIER)
    first, second = _two_sessions(app, user)
    first.post("/password", data={"current_password": DEFAULT_PASSWORD, "new_password": "changed-password-1",
                                  "confirm_password": "changed-password-1"})
    assert first.get("/cashier/").status_code == 200
    assert second.get("/cashier/").status_code == 302


def test_deactivation_ends_every_session_of_that_user(app, login):
    user = make_user(Role.CASHIER)
    session_client = app.test_client()
    _login(session_client, user.email)
    admin_client = login(make_user(Role.ADMIN), app.test_client())
    assert confirmed_post(admin_client, f"/admin/users/{user.id}/deactivate").status_code == 302
    assert session_client.get("/cashier/").status_code == 302


def test_session_cookie_flags(app):
    user = make_user(Role.CASHIER)
    client = app.test_client()
    response = _login(client, user.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    prod = create_app({"RICHWELL_ENV": "production", "SECRET_KEY": "x" * 32,
                       "PUBLIC_BASE_URL": "https://portal.richwell.edu.ph",
                       "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    # Building an app points the one global queue at its mode; put the tests' immediate mode back.
    from richwell import tasks

    tasks.configure(app)


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    from richwell.config import ConfigError

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app({"RICHWELL_ENV": "production"})


def test_csrf_is_enforced_on_forms_and_htmx_posts(app, client, login):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        user = make_user(Role.CASHIER, email="csrf@richwell.edu.ph")
        # No token: refused, nothing happens.
        response = _login(client, "csrf@richwell.edu.ph")
        assert response.status_code == 400 and b"form expired" in response.data
        # With the token from the page: accepted.
        page = client.get("/login").data.decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post("/login", data={"identifier": user.email, "password": DEFAULT_PASSWORD,
                                               "csrf_token": token})
        assert response.status_code == 302
        # HTMX posts carry it in a header; without it they are refused.
        assert client.post("/notifications/read-all", headers={"HX-Request": "true"}).status_code == 400
        home = client.get("/cashier/").data.decode()
        meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', home).group(1)
        ok = client.post("/notifications/read-all", headers={"HX-Request": "true", "X-CSRFToken": meta})
        assert ok.status_code == 200, ok.get_data(as_text=True)[-1500:]
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_a_sixth_wrong_password_in_a_minute_is_throttled(database_url):
    throttled = create_app({"RICHWELL_ENV": "testing", "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url,
                            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
                            "RATELIMIT_STORAGE_URI": "memory://", "LOGIN_RATE_LIMIT": "5 per minute"})
    with throttled.app_context():
        make_user(Role.CASHIER, email="slow@richwell.edu.ph")
        client = throttled.test_client()
        for _ in range(5):
            assert _login(client, "slow@richwell.edu.ph", "bad-password").status_code == 200
        response = _login(client, "slow@richwell.edu.ph", "bad-password")
        assert response.status_code == 429
        assert b"Too many" in response.data
        # Even the right password waits out the minute: nothing is tried.
        assert _login(client, "slow@richwell.edu.ph").status_code == 429
        db.session.remove()


def test_successful_sign_ins_do_not_count_toward_the_limit(database_url):
    throttled = create_app({"RICHWELL_ENV": "testing", "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url,
                            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
                            "RATELIMIT_STORAGE_URI": "memory://", "LOGIN_RATE_LIMIT": "5 per minute"})
    with throttled.app_context():
        user = make_user(Role.CASHIER)
        for _ in range(8):
            client = throttled.test_client()
            assert _login(client, user.email).status_code == 302
        db.session.remove()
