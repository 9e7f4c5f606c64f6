"""Cashier API: role cashier only."""
from __future__ import annotations

import pytest

from richwell.models import Role
from tests.factories import make_api_token, make_user, token_headers

URL = "/api/v1/cashier/payment/payment_methods/"


def test_payment_methods_say_which_need_a_reference(client):
    response = client.get(URL, headers=token_headers(make_api_token(make_user(Role.CASHIER))))
    assert response.status_code == 200
    assert response.get_json() == [
        {"code": "CASH", "label": "Cash", "needs_reference": False},
        {"code": "GCASH", "label": "GCash", "needs_reference": True},
        {"code": "MAYA", "label": "Maya", "needs_reference": True},
        {"code": "BANK_TRANSFER", "label": "Bank transfer", "needs_reference": True},
        {"code": "CHECK", "label": "Check", "needs_reference": True},
    ]


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.CASHIER], ids=lambda r: r.value)
def test_a_student_or_other_staff_token_on_cashier_routes_is_403(client, role):
    response = client.get(URL, headers=token_headers(make_api_token(make_user(role))))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"


def test_anonymous_on_cashier_routes_is_401(client):
    response = client.get(URL)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthenticated"
