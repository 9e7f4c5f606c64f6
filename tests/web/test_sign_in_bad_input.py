"""Bytes no database can store never reach one: a NUL in the sign-in identifier or in a token
name is refused like any other bad input (found by Schemathesis on PostgreSQL)."""
from __future__ import annotations

from richwell.extensions import db
from richwell.models import ApiToken


def test_nul_in_the_sign_in_identifier_is_refused_at_the_field(client):
    # Issue 15: the shared text rule refuses it before any account is looked up.
    response = client.post("/login", data={"identifier": "a\x00b@richwell.edu.ph", "password": "whatever-1"})
    assert response.status_code == 400 and b"contains a control character" in response.data


def test_control_characters_in_a_token_name_are_refused_at_the_field(as_role):
    client, _ = as_role("cashier")
    response = client.post("/tokens/", data={"name": "bank\x00sync"})
    assert response.status_code == 400 and b"field-error" in response.data
    assert not db.session.query(ApiToken).count()
