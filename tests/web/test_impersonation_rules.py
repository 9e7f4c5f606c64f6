"""Issue 15: impersonation is off by default; while impersonating no API token, no password
change and no API use; every act carries the impersonator; ended admin sessions stay ended."""
from __future__ import annotations

import pytest

from richwell.extensions import db
from richwell.models import ApiToken, AuditEntry, Payment, Role, User
from richwell.services.platform import accounts, settings
from tests.factories import DEFAULT_PASSWORD, make_api_token, make_enrollment, make_user, new_key, token_headers


@pytest.fixture
def impersonating(as_role, client):
    """An admin's client acting as a cashier (the setting switched on first)."""
    settings.set_value(None, "impersonation_enabled", True)
    _, admin = as_role("admin")
    cashier = make_user(Role.CASHIER, email="cashier.one@richwell.edu.ph")
    response = client.post(f"/admin/users/{cashier.id}/impersonate")
    assert response.status_code == 302 and response.headers["Location"] == "/cashier/"
    return client, admin, cashier


def test_impersonation_is_off_by_default(as_role, client):
    assert settings.get("impersonation_enabled") is False
    _, admin = as_role("admin")
    cashier = make_user(Role.CASHIER)
    client.post(f"/admin/users/{cashier.id}/impersonate")
    assert client.get("/cashier/").status_code == 403  # still the admin
    assert db.session.query(AuditEntry).filter_by(action="impersonation.start").count() == 0


def test_no_api_token_while_impersonating(impersonating):
    client, _, cashier = impersonating
    assert client.get("/tokens/").status_code == 403
    response = client.post("/tokens/", data={"name": "after hours"})
    assert response.status_code == 403
    assert db.session.query(ApiToken).count() == 0


def test_the_token_service_refuses_too(impersonating, app):
    from richwell.services.platform import api_tokens
    from richwell.services.platform.context import ActingContext, set_acting_context
    from richwell.services.platform.errors import Forbidden

    _, admin, cashier = impersonating
    set_acting_context(ActingContext(ip="10.0.0.1", impersonator_id=admin.id))
    try:
        with pytest.raises(Forbidden):
            api_tokens.issue_token(cashier, "sneaky")
    finally:
        set_acting_context(ActingContext())
    assert db.session.query(ApiToken).count() == 0


def test_no_password_change_while_impersonating(impersonating):
    client, _, cashier = impersonating
    before = db.session.get(User, cashier.id).password_hash
    response = client.post("/password", data={"current_password": DEFAULT_PASSWORD,
                                              "new_password": "a-new-password-1", "confirm_password":
                                              "a-new-password-1"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(User, cashier.id).password_hash == before


def test_the_session_of_an_impersonation_does_not_open_the_api(impersonating):
    client, _, _ = impersonating
    response = client.get("/api/v1/cashier/search/search/?q=cruz")
    assert response.status_code == 401


def test_the_api_neither_reads_nor_writes_the_cookie_session(impersonating):
    """A token call from a browser that holds a page session: the API answers as the token's
    owner (not the impersonated cashier, not the admin), and leaves the cookie alone."""
    client, admin, cashier = impersonating
    owner = make_user(Role.CASHIER, email="api.owner@richwell.edu.ph")
    response = client.get("/api/v1/cashier/payment/payment_methods/", headers=token_headers(make_api_token(owner)))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
    assert client.get("/cashier/").status_code == 200  # the page session goes on as before


def test_every_act_while_impersonating_names_the_impersonator(impersonating):
    client, admin, cashier = impersonating
    enrollment = make_enrollment()
    seen = db.session.query(db.func.max(AuditEntry.id)).scalar()
    response = client.post(f"/cashier/enrollments/{enrollment.id}/payments",
                           data={"amount": "500.00", "method": "CASH", "reference_number": "",
                                 "idempotency_key": new_key()})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert db.session.query(Payment).count() == 1
    acts = db.session.query(AuditEntry).filter(AuditEntry.id > seen).all()
    assert acts, "the payment was audited"
    for entry in acts:
        assert entry.actor_id == cashier.id and entry.impersonator_id == admin.id, entry.action


def test_stopping_after_the_admins_sessions_ended_goes_to_sign_in(impersonating):
    client, admin, _ = impersonating
    # Elsewhere, the admin signs out of everything (or changes their password).
    accounts.sign_out(db.session.get(User, admin.id))
    response = client.post("/impersonation/stop")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    # The admin session did not come back.
    follow = client.get("/admin/")
    assert follow.status_code == 302 and follow.headers["Location"].startswith("/login")


def test_stop_checks_the_version_itself(impersonating, app):
    client, admin, cashier = impersonating
    # The service alone: a stale session version gives nothing back, and says so in the audit.
    assert accounts.stop_impersonation(admin.id, cashier, admin.session_version + 1) is None
    entry = db.session.query(AuditEntry).filter_by(action="impersonation.stop").one()
    assert entry.after == {"admin_session": "ended"} and entry.actor_id == admin.id


def test_the_impersonation_itself_ends_with_the_admins_sessions(impersonating):
    client, admin, _ = impersonating
    accounts.reset_password(make_user(Role.ADMIN), admin.id)
    response = client.get("/cashier/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/cashier/").status_code == 302  # signed out for good


def test_stopping_normally_gives_the_admin_back(impersonating):
    client, admin, _ = impersonating
    response = client.post("/impersonation/stop")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users"
    assert client.get("/admin/").status_code == 200
    entry = db.session.query(AuditEntry).filter_by(action="impersonation.stop").one()
    assert entry.after == {"admin_session": "resumed"}
