"""The API tokens page: every signed-in user lists, creates (shown once) and revokes their own."""
from __future__ import annotations

import re

from richwell.extensions import db
from richwell.models import ApiToken, Role
from richwell.services.platform import api_tokens
from tests.factories import make_api_token, make_user, token_headers


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/tokens/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_create_shows_the_secret_once_and_it_works(as_role):
    client, user = as_role("cashier")
    response = client.post("/tokens/", data={"name": "GCash reconciliation"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="new-token">([^<]+)<', response.get_data(as_text=True)).group(1)
    assert client.get("/api/v1/cashier/payment/payment_methods/", headers=token_headers(secret)).status_code == 200
    listing = client.get("/tokens/").get_data(as_text=True)
    assert "GCash reconciliation" in listing and secret not in listing and secret[:8] in listing


def test_overlong_name_is_refused_at_the_field(as_role):
    client, _ = as_role("student")
    response = client.post("/tokens/", data={"name": "x" * 101})
    assert response.status_code == 400 and b"field-error" in response.data
    assert not db.session.query(ApiToken).count()


def test_list_shows_only_my_tokens(as_role):
    client, user = as_role("registrar")
    make_api_token(user, name="mine")
    make_api_token(make_user(Role.CASHIER), name="someone-elses")
    page = client.get("/tokens/").get_data(as_text=True)
    assert "mine" in page and "someone-elses" not in page


def test_revoke_my_token(as_role):
    client, user = as_role("professor")
    secret = make_api_token(user, name="lms sync")
    token = db.session.query(ApiToken).one()
    response = client.post(f"/tokens/{token.id}/revoke")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert client.get("/api/v1/public/programs/", headers=token_headers(secret)).status_code == 200  # public
    assert api_tokens.tokens_of(user.id)[0].state(api_tokens.now()) == "revoked"
    htmx = client.post(f"/tokens/{token.id}/revoke", headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and b"Revoked" in htmx.data and b"<html" not in htmx.data


def test_revoking_another_users_token_is_404_and_changes_nothing(as_role):
    client, _ = as_role("student")
    make_api_token(make_user(Role.CASHIER))
    theirs = db.session.query(ApiToken).one()
    assert client.post(f"/tokens/{theirs.id}/revoke").status_code == 404
    assert client.post("/tokens/999999/revoke").status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, theirs.id).revoked_at is None


def test_forms_need_the_csrf_token(app, as_role):
    client, user = as_role("cashier")
    make_api_token(user)
    token = db.session.query(ApiToken).one()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/tokens/", data={"name": "x"}).status_code == 400
        assert client.post(f"/tokens/{token.id}/revoke").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert db.session.query(ApiToken).count() == 1
