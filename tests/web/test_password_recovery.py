"""Forgot password: a single-use link that expires, mailed through the outbox; the same answer
for an unknown address; the link shown in development only."""
from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import AuditEntry, OutboxEmail, User
from richwell.services.platform import accounts, recovery
from tests.factories import make_student, make_user

LINK = re.compile(r"http://localhost/password/reset/[A-Za-z0-9_.\-]+")


def _ask(client, email: str):
    return client.post("/password/forgot", data={"email": email})


def _mailed_link() -> str:
    mail = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc())).first()
    match = LINK.search(mail.body)
    assert match, mail.body
    return match.group(0).replace("http://localhost", "")


def _outbox() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxEmail))


def test_sign_in_page_offers_forgot_password(client):
    assert "/password/forgot" in client.get("/login").get_data(as_text=True)


def test_a_known_and_an_unknown_email_get_the_same_answer_and_only_the_known_one_a_mail(client):
    user = make_user(role="cashier", email="ana.reyes@richwell.edu.ph")
    known = _ask(client, "Ana.Reyes@richwell.edu.ph")
    unknown = _ask(client, "nobody@richwell.edu.ph")
    assert known.status_code == unknown.status_code == 200
    strip = lambda html: re.sub(r'name="csrf_token" value="[^"]*"', "", html)  # noqa: E731
    assert strip(known.get_data(as_text=True)) == strip(unknown.get_data(as_text=True))
    assert "dev-reset-link" not in known.get_data(as_text=True)  # not development: no link shown
    mails = db.session.scalars(select(OutboxEmail)).all()
    assert [m.to_address for m in mails] == [user.email] and "within 60 minutes" in mails[0].body


def test_the_link_sets_a_new_password_once_and_ends_other_sessions(client):
    user = make_user(role="registrar", email="reg.reset@richwell.edu.ph")
    version = user.session_version
    _ask(client, user.email)
    link = _mailed_link()
    assert "Choose a new password" in client.get(link).get_data(as_text=True)
    bad = client.post(link, data={"new_password": "short", "confirm_password": "short"})
    assert bad.status_code == 400 and "8" in bad.get_data(as_text=True)
    done = client.post(link, data={"new_password": "a-new-pass-123", "confirm_password": "a-new-pass-123"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    db.session.expire_all()
    changed = db.session.get(User, user.id)
    assert accounts.verify_password(changed, "a-new-pass-123") and changed.session_version != version
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.password_reset"))
    # Reused: the link is spent.
    again = client.post(link, data={"new_password": "another-pass-456", "confirm_password": "another-pass-456"})
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)
    db.session.expire_all()
    assert accounts.verify_password(db.session.get(User, user.id), "a-new-pass-123")


def test_an_expired_link_is_refused(app, client, monkeypatch):
    user = make_user(role="cashier")
    token = recovery.make_token(user)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MINUTES", 0)
    time.sleep(1.1)  # itsdangerous stamps whole seconds
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert client.get("/password/reset/not-a-token").status_code == 400


def test_a_deactivated_account_gets_no_mail_and_its_old_link_stops_working(client):
    user = make_user(role="cashier", email="gone@richwell.edu.ph")
    token = recovery.make_token(user)
    user.is_active_account = False
    db.session.commit()
    assert _ask(client, user.email).status_code == 200 and _outbox() == 0
    assert client.get(f"/password/reset/{token}").status_code == 400


def test_a_student_may_ask_with_the_student_number(client):
    student = make_student()
    _ask(client, student.student_number)
    assert db.session.scalar(select(OutboxEmail.to_address)) == student.user.email


def test_development_shows_the_mailed_link(app, client):
    user = make_user(role="cashier")
    app.config["RICHWELL_ENV"] = "development"
    try:
        html = _ask(client, user.email).get_data(as_text=True)
    finally:
        app.config["RICHWELL_ENV"] = "testing"
    assert 'id="dev-reset-link"' in html and _mailed_link() in html


@pytest.mark.parametrize("email", ["", "x" * 300, "a\x00b@x.ph"])
def test_bad_input_changes_nothing(client, email):
    response = _ask(client, email)
    assert response.status_code in (200, 400) and _outbox() == 0
