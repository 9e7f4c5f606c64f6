"""API credentials: opaque tokens (hashed, expiring, revocable) and JWT pairs; who is refused."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from richwell.extensions import db
from richwell.models import ApiToken, AuditEntry, Role, User
from richwell.services.platform import accounts, api_tokens, clock, settings
from tests.factories import DEFAULT_PASSWORD, make_api_token, make_student, make_user, token_headers

PROFILE = "/api/v1/student/profile/me/"
GENERIC = "That sign-in did not work. Check your email or student number and password."


def _token(client, username, password=DEFAULT_PASSWORD):
    return client.post("/api-token-auth/", json={"username": username, "password": password})


def _error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    return body["error"]


def test_token_by_student_number_works_as_token_and_bearer(client):
    student = make_student(number="2026-00042")
    response = _token(client, "2026-00042")
    assert response.status_code == 200
    secret = response.get_json()["token"]
    assert set(response.get_json()) == {"token"} and secret.startswith("rw_")
    for scheme in ("Token", "Bearer", "token", "bearer"):
        me = client.get(PROFILE, headers=token_headers(secret, scheme))
        assert me.status_code == 200, scheme
        assert me.get_json()["student_number"] == student.student_number


def test_token_by_email_any_case(client):
    make_user(Role.CASHIER, email="cash@richwell.edu.ph")
    response = _token(client, "  CASH@Richwell.edu.ph ")
    assert response.status_code == 200
    ok = client.get("/api/v1/cashier/payment/payment_methods/", headers=token_headers(response.get_json()["token"]))
    assert ok.status_code == 200


def test_tokens_are_stored_hashed_and_expire_after_the_setting(client):
    settings.set_value(None, "api_token_days", 7)
    user = make_user(Role.CASHIER)
    secret = _token(client, user.email).get_json()["token"]
    row = db.session.query(ApiToken).one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (row.token_hash, row.prefix, row.name) and row.prefix == secret[:8]
    assert timedelta(days=7) - (row.expires_at - row.created_at) < timedelta(seconds=1)
    assert db.session.query(AuditEntry).filter_by(action="api_token.create").count() == 1


@pytest.mark.parametrize("username,password", [
    ("known@richwell.edu.ph", "wrong-password"),
    ("nobody@richwell.edu.ph", DEFAULT_PASSWORD),
    ("2026-99999", DEFAULT_PASSWORD),
    ("gone@richwell.edu.ph", DEFAULT_PASSWORD),  # deactivated
])
def test_failed_token_sign_in_is_one_generic_401(client, username, password):
    make_user(Role.CASHIER, email="known@richwell.edu.ph")
    make_user(Role.CASHIER, email="gone@richwell.edu.ph", active=False)
    error = _error(_token(client, username, password), 401, "unauthenticated")
    assert error["message"] == GENERIC
    assert not db.session.query(ApiToken).count()


def test_account_that_must_change_its_password_gets_no_credential(client):
    make_user(Role.REGISTRAR, email="new@richwell.edu.ph", must_change_password=True)
    _error(_token(client, "new@richwell.edu.ph"), 403, "password_change_required")
    _error(client.post("/api/v1/auth/jwt/", json={"username": "new@richwell.edu.ph", "password": DEFAULT_PASSWORD}),
           403, "password_change_required")


@pytest.mark.parametrize("kwargs,field", [
    ({"json": {}}, "username"),
    ({"json": {"username": "x@y.ph"}}, "password"),
    ({"json": {"username": 12345, "password": "p"}}, "username"),
    ({"json": {"username": ["a"], "password": {"x": 1}}}, "password"),
    ({"json": {"username": "", "password": "p"}}, "username"),
    ({"json": {"username": "a" * 300, "password": "p"}}, "username"),
    ({"json": {"username": "a@b.ph", "password": "p" * 500}}, "password"),
    ({"json": {"username": "a@b.ph", "password": "p", "extra": 1}}, "extra"),
    ({"json": {"username": "nul\u0000@b.ph", "password": "p"}}, "username"),  # PostgreSQL cannot store NUL
    ({"data": b'{"username": "x\\ud8b1y", "password": "p"}', "content_type": "application/json"}, "username"),
    ({"data": b'{"username": "x@b.ph", "password": "\\udee9"}', "content_type": "application/json"}, "password"),
])
def test_bad_token_requests_name_the_field(client, kwargs, field):
    error = _error(client.post("/api-token-auth/", **kwargs), 400, "invalid")
    assert field in error["fields"] and error["fields"][field]


@pytest.mark.parametrize("body,content_type", [
    (b'{"username": "a@b.ph", "password": ', "application/json"),
    (b"\xff\xfe not utf-8", "application/json"),
    (b'{"username": 1' + b"0" * 5000 + b', "password": "x"}', "application/json"),  # past Python's int limit
    (b"[" * 100000 + b"]" * 100000, "application/json"),  # nesting deep enough to blow the stack
    (b"username=a@b.ph&password=x", "application/x-www-form-urlencoded"),
    (b'{"username": "a@b.ph", "password": "x"}', "text/plain"),
])
def test_malformed_json_and_wrong_content_type_are_400_invalid(client, body, content_type):
    response = client.post("/api-token-auth/", data=body, content_type=content_type)
    error = _error(response, 400, "invalid")
    assert error["message"]


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"42", b"null"])
def test_json_that_is_not_an_object_is_refused(client, body):
    _error(client.post("/api-token-auth/", data=body, content_type="application/json"), 400, "invalid")


def test_no_credentials_bad_scheme_or_garbage_is_401_with_a_challenge(client):
    for headers in ({}, {"Authorization": "Basic YTpi"}, {"Authorization": "Token"},
                    {"Authorization": "Token not-a-token"}, {"Authorization": "Bearer a.b.c"},
                    {"Authorization": "Token " + "x" * 5000}):
        response = client.get(PROFILE, headers=headers)
        _error(response, 401, "unauthenticated")
        assert "Token" in response.headers["WWW-Authenticate"]


def test_expired_token_is_401(client):
    secret = make_api_token(make_student().user, expired=True)
    _error(client.get(PROFILE, headers=token_headers(secret)), 401, "unauthenticated")


def test_revoked_token_is_401(client):
    user = make_student().user
    secret = make_api_token(user)
    assert client.get(PROFILE, headers=token_headers(secret)).status_code == 200
    token = db.session.query(ApiToken).one()
    api_tokens.revoke_token(user, token.id)
    _error(client.get(PROFILE, headers=token_headers(secret)), 401, "unauthenticated")


def test_deactivated_accounts_token_is_401(client):
    user = make_student().user
    secret = make_api_token(user)
    admin = make_user(Role.ADMIN)
    accounts.set_active(admin, user.id, False)
    _error(client.get(PROFILE, headers=token_headers(secret)), 401, "unauthenticated")


def test_token_stops_while_a_password_change_is_forced(client):
    user = make_student().user
    secret = make_api_token(user)
    user.must_change_password = True  # forced without a new password (e.g. by a data fix)
    db.session.commit()
    _error(client.get(PROFILE, headers=token_headers(secret)), 403, "password_change_required")


@pytest.mark.parametrize("ending", ["password_change", "admin_reset", "deactivation"])
def test_opaque_tokens_end_with_the_owners_credentials(client, ending):
    """Issue 15: a password change, an admin reset or a deactivation ends every opaque token
    made before it (401), like the JWTs; a token made afterwards works."""
    user = make_student().user
    secret = make_api_token(user)
    assert client.get(PROFILE, headers=token_headers(secret)).status_code == 200
    admin = make_user(Role.ADMIN)
    if ending == "password_change":
        accounts.change_password(user, DEFAULT_PASSWORD, "a-new-password-1", "a-new-password-1")
    elif ending == "admin_reset":
        accounts.reset_password(admin, user.id)
    else:
        accounts.set_active(admin, user.id, False)
    _error(client.get(PROFILE, headers=token_headers(secret)), 401, "unauthenticated")
    if ending == "deactivation":
        accounts.set_active(admin, user.id, True)  # reactivating does not bring old tokens back
        _error(client.get(PROFILE, headers=token_headers(secret)), 401, "unauthenticated")
    if ending != "admin_reset":  # after a reset the password must be changed first (403)
        fresh = make_api_token(user)
        assert client.get(PROFILE, headers=token_headers(fresh)).status_code == 200


def test_a_token_made_before_a_password_change_stops_but_the_other_users_do_not(client):
    user, other = make_student().user, make_student().user
    mine, theirs = make_api_token(user), make_api_token(other)
    accounts.change_password(user, DEFAULT_PASSWORD, "a-new-password-1", "a-new-password-1")
    _error(client.get(PROFILE, headers=token_headers(mine)), 401, "unauthenticated")
    assert client.get(PROFILE, headers=token_headers(theirs)).status_code == 200


def test_opaque_token_authentication_is_one_statement(app, client):
    """The token, its owner and the liveness checks in one statement; the last-used write
    (at most once a minute) comes after the request's own work, in a transaction of its own."""
    from sqlalchemy import event

    user = make_student().user
    secret = make_api_token(user)
    statements: list[str] = []

    def log(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    client.get(PROFILE, headers=token_headers(secret))  # the first use: last-used is written
    event.listen(db.engine, "before_cursor_execute", log)
    try:
        assert client.get(PROFILE, headers=token_headers(secret)).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", log)
    lookups = [s for s in statements if "api_tokens" in s]
    assert len(lookups) == 1 and "users" in lookups[0], statements
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in statements), statements
    assert sum(1 for s in statements if "FROM users" in s or "JOIN users" in s) == 1, statements


def test_last_use_is_recorded(client, monkeypatch):
    user = make_student().user
    secret = make_api_token(user)
    assert db.session.query(ApiToken).one().last_used_at is None
    answer = client.get(PROFILE, headers=token_headers(secret))
    assert answer.status_code == 200
    assert db.session.query(ApiToken).one().last_used_at is None  # nobody waits for it: not yet
    answer.close()  # as a server does once the answer has been sent
    db.session.rollback()  # a fresh snapshot of what the server wrote
    first = db.session.query(ApiToken).one().last_used_at
    assert first is not None
    later = clock.now() + timedelta(minutes=5)
    monkeypatch.setattr(api_tokens, "now", lambda: later)
    client.get(PROFILE, headers=token_headers(secret)).close()
    db.session.rollback()
    assert db.session.query(ApiToken).one().last_used_at == later


def test_signing_out_of_the_website_does_not_break_an_api_token(client):
    user = make_student().user
    secret = make_api_token(user)
    accounts.sign_out(user)
    assert client.get(PROFILE, headers=token_headers(secret)).status_code == 200


def test_a_web_session_cookie_does_not_authenticate_the_api(client, login):
    student = make_student()
    login(student.user)
    assert client.get("/student/").status_code == 200
    _error(client.get(PROFILE), 401, "unauthenticated")


def test_api_posts_need_no_csrf_token_even_with_csrf_on(app, client):
    make_user(Role.CASHIER, email="csrf@richwell.edu.ph")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert _token(client, "csrf@richwell.edu.ph").status_code == 200
        assert client.post("/login", data={"identifier": "csrf@richwell.edu.ph",
                                           "password": DEFAULT_PASSWORD}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# ---------------------------------------------------------------- JWT

def _pair(client, username):
    response = client.post("/api/v1/auth/jwt/", json={"username": username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"access", "refresh"}
    return body


def test_jwt_access_works_as_bearer_and_refresh_gives_a_new_access(client):
    student = make_student()
    pair = _pair(client, student.user.email)
    assert client.get(PROFILE, headers=token_headers(pair["access"], "Bearer")).status_code == 200
    assert client.get(PROFILE, headers=token_headers(pair["access"], "Token")).status_code == 200
    refreshed = client.post("/api/v1/auth/jwt/refresh/", json={"refresh": pair["refresh"]})
    assert refreshed.status_code == 200 and set(refreshed.get_json()) == {"access"}
    assert client.get(PROFILE, headers=token_headers(refreshed.get_json()["access"], "Bearer")).status_code == 200


def test_refresh_jwt_is_not_an_access_token_and_vice_versa(client):
    pair = _pair(client, make_student().user.email)
    _error(client.get(PROFILE, headers=token_headers(pair["refresh"], "Bearer")), 401, "unauthenticated")
    _error(client.post("/api/v1/auth/jwt/refresh/", json={"refresh": pair["access"]}), 401, "unauthenticated")
    _error(client.post("/api/v1/auth/jwt/refresh/", json={"refresh": "rw_opaque"}), 401, "unauthenticated")
    _error(client.post("/api/v1/auth/jwt/refresh/", json={"refresh": 5}), 400, "invalid")


def test_expired_jwt_access_is_401(client, monkeypatch):
    user = make_student().user
    long_ago = clock.now() - timedelta(minutes=16)
    monkeypatch.setattr(api_tokens, "now", lambda: long_ago)
    pair = api_tokens.issue_jwt_pair(user)
    monkeypatch.undo()
    _error(client.get(PROFILE, headers=token_headers(pair["access"], "Bearer")), 401, "unauthenticated")
    # The refresh token (7 days) still gets a fresh access token.
    assert client.post("/api/v1/auth/jwt/refresh/", json={"refresh": pair["refresh"]}).status_code == 200


def test_tampered_or_foreign_jwt_is_401(client):
    import jwt

    user = make_student().user
    pair = api_tokens.issue_jwt_pair(user)
    header, payload, signature = pair["access"].split(".")
    forged = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    _error(client.get(PROFILE, headers=token_headers(forged, "Bearer")), 401, "unauthenticated")
    foreign = jwt.encode({"sub": str(user.id), "sv": user.session_version, "typ": "access", "iat": 0,
                          "exp": 2_000_000_000}, "k" * 32, algorithm="HS256")
    _error(client.get(PROFILE, headers=token_headers(foreign, "Bearer")), 401, "unauthenticated")
    unsigned = jwt.encode({"sub": str(user.id)}, None, algorithm="none")
    _error(client.get(PROFILE, headers=token_headers(unsigned, "Bearer")), 401, "unauthenticated")


@pytest.mark.parametrize("ending", ["password_change", "deactivation", "sign_out"])
def test_jwts_end_with_the_users_sessions(client, ending):
    student = make_student()
    user = student.user
    pair = _pair(client, user.email)
    if ending == "password_change":
        accounts.change_password(user, DEFAULT_PASSWORD, "a-new-password-1", "a-new-password-1")
    elif ending == "deactivation":
        accounts.set_active(make_user(Role.ADMIN), user.id, False)
    else:
        accounts.sign_out(user)
    _error(client.get(PROFILE, headers=token_headers(pair["access"], "Bearer")), 401, "unauthenticated")
    _error(client.post("/api/v1/auth/jwt/refresh/", json={"refresh": pair["refresh"]}), 401, "unauthenticated")


def test_jwt_with_a_stale_session_version_is_401(client):
    user = make_student().user
    pair = api_tokens.issue_jwt_pair(user)
    db.session.query(User).filter_by(id=user.id).update({"session_version": User.session_version + 1})
    db.session.commit()
    _error(client.get(PROFILE, headers=token_headers(pair["access"], "Bearer")), 401, "unauthenticated")


def test_dead_tokens_are_purged_after_90_days_and_live_ones_never(monkeypatch):
    from richwell import tasks

    user = make_student().user
    live = make_api_token(user, name="live")
    make_api_token(user, name="expired long ago")
    make_api_token(user, name="revoked long ago")
    make_api_token(user, name="revoked lately", revoked=True)
    long_ago = clock.now() - timedelta(days=91)
    db.session.query(ApiToken).filter_by(name="expired long ago").update({"expires_at": long_ago})
    db.session.query(ApiToken).filter_by(name="revoked long ago").update({"revoked_at": long_ago})
    db.session.commit()
    monkeypatch.setattr(clock, "today", lambda: clock.now().date().replace(day=2))
    assert tasks.monthly_archive.call_local() is None  # only on the 1st, Manila time
    monkeypatch.setattr(clock, "today", lambda: clock.now().date().replace(day=1))
    assert tasks.monthly_archive.call_local()["tokens"] == 2
    assert sorted(t.name for t in db.session.query(ApiToken)) == ["live", "revoked lately"]
    assert api_tokens.purge_dead_tokens() == 0  # twice is harmless
    assert api_tokens.user_for_credential(live).id == user.id
