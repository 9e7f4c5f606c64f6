"""Cashier API (role cashier only): search, record_payment with its Idempotency-Key, reverse."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import Payment, Role
from tests.factories import make_api_token, make_enrollment, make_program, make_student, make_user, token_headers

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


# ---------------------------------------------------------------- search

@pytest.fixture
def counter():
    cashier = make_user(Role.CASHIER)
    program = make_program("BSIT")
    student = make_student(program=program, number="2026-00042", first_name="Maria", last_name="Dela Cruz")
    enrollment = make_enrollment(student, commitment="5000.00")
    return {"cashier": cashier, "student": student, "enrollment": enrollment,
            "headers": token_headers(make_api_token(cashier))}


def record(client, counter, body=None, key="key-00000001", **extra):
    payload = {"enrollment_id": counter["enrollment"].id, "amount": "7500.00", "method": "CASH", **(body or {})}
    headers = {**counter["headers"], **({"Idempotency-Key": key} if key else {}), **extra}
    return client.post("/api/v1/cashier/payment/record_payment/", json=payload, headers=headers)


def test_search_by_number_prefix_or_name_part_with_balance(client, counter):
    make_student(number="2025-00001", first_name="Jose", last_name="Rizal")  # not enrolled this term
    by_number = client.get("/api/v1/cashier/search/search/?q=2026-0004", headers=counter["headers"])
    assert by_number.status_code == 200
    assert by_number.get_json() == [{"student_number": "2026-00042", "name": "Dela Cruz, Maria", "program": "BSIT",
                                     "current_enrollment_id": counter["enrollment"].id, "balance": "30000.00"}]
    by_name = client.get("/api/v1/cashier/search/search/?q=cruz", headers=counter["headers"]).get_json()
    assert [hit["student_number"] for hit in by_name] == ["2026-00042"]
    rizal = client.get("/api/v1/cashier/search/search/?q=RIZ", headers=counter["headers"]).get_json()
    assert rizal == [{"student_number": "2025-00001", "name": "Rizal, Jose", "program": rizal[0]["program"],
                      "current_enrollment_id": None, "balance": None}]


def test_search_without_q_finds_nobody_and_is_capped_at_20(client, counter):
    assert client.get("/api/v1/cashier/search/search/", headers=counter["headers"]).get_json() == []
    for _ in range(22):
        make_student(last_name="Reyes")
    assert len(client.get("/api/v1/cashier/search/search/?q=reyes", headers=counter["headers"]).get_json()) == 20
    too_long = client.get("/api/v1/cashier/search/search/?q=" + "a" * 201, headers=counter["headers"])
    assert too_long.status_code == 400 and "q" in too_long.get_json()["error"]["fields"]


# ---------------------------------------------------------------- record_payment

def test_record_payment_is_201_with_allocations_and_permits(client, counter):
    response = record(client, counter)
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"payment_id": body["payment_id"], "receipt_number": body["receipt_number"], "amount": "7500.00",
                    "allocations": [{"month": 1, "amount": "5000.00"}, {"month": 2, "amount": "2500.00"}],
                    "credit_balance": "0.00", "permits_issued": ["PRELIM"]}
    assert body["receipt_number"]


def test_same_key_and_body_replays_200_with_the_same_body_and_records_nothing(client, counter):
    first = record(client, counter)
    record(client, counter, {"amount": "30000.00"}, key="key-00000002")  # moves the credit balance on
    again = record(client, counter)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert db.session.scalar(select(func.count(Payment.id))) == 2


def test_same_key_with_another_body_is_409_conflict(client, counter):
    record(client, counter)
    response = record(client, counter, {"amount": "100.00"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "conflict"
    assert "Idempotency-Key" in response.get_json()["error"]["fields"]


def test_the_key_is_the_cashiers_own(client, counter):
    """Two cashiers may happen to pick the same key: each records their own payment."""
    record(client, counter)
    other = {**counter, "headers": token_headers(make_api_token(make_user(Role.CASHIER)))}
    assert record(client, other, {"amount": "100.00"}).status_code == 201


@pytest.mark.parametrize("key", [None, "short", "has spaces in it", "x" * 101])
def test_a_missing_or_malformed_idempotency_key_is_400_at_the_header(client, counter, key):
    headers = {} if key is None else {"Idempotency-Key": key}
    response = record(client, counter, key=None, **headers)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count(Payment.id))) == 0


@pytest.mark.parametrize("body, field", [
    ({"amount": 7500}, "amount"),
    ({"amount": 7500.5}, "amount"),
    ({"amount": "0.00"}, "amount"),
    ({"amount": "-5.00"}, "amount"),
    ({"amount": "1.005"}, "amount"),
    ({"amount": "1000000.01"}, "amount"),
    ({"amount": "9" * 400}, "amount"),
    ({"amount": "NaN"}, "amount"),
    ({"method": "BITCOIN"}, "method"),
    ({"method": "GCASH"}, "reference_number"),
    ({"enrollment_id": "1"}, "enrollment_id"),
    ({"enrollment_id": 10**40}, "enrollment_id"),
    ({"enrollment_id": None}, "enrollment_id"),
])
def test_bad_payment_bodies_are_400_at_the_field(client, counter, body, field):
    response = record(client, counter, body)
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count(Payment.id))) == 0


def test_payment_for_an_unknown_enrollment_is_404(client, counter):
    response = record(client, counter, {"enrollment_id": 999999})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_payment_for_a_withdrawn_enrollment_is_422(client, counter):
    counter["enrollment"].status = "WITHDRAWN"
    db.session.commit()
    response = record(client, counter)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "enrollment_withdrawn"


# ---------------------------------------------------------------- reverse

def reverse(client, counter, payment_id, reason="Wrong student picked"):
    return client.post(f"/api/v1/cashier/payment/{payment_id}/reverse/", json={"reason": reason},
                       headers=counter["headers"])


def test_reverse_is_201_with_deallocations_and_permits_revoked(client, counter):
    paid = record(client, counter).get_json()
    response = reverse(client, counter, paid["payment_id"])
    assert response.status_code == 201
    body = response.get_json()
    assert body == {"payment_id": body["payment_id"], "reverses": paid["payment_id"], "amount": "-7500.00",
                    "deallocations": [{"month": 1, "amount": "-5000.00"}, {"month": 2, "amount": "-2500.00"}],
                    "permits_revoked": ["PRELIM"]}
    assert body["payment_id"] != paid["payment_id"]


def test_reversing_twice_is_409_and_a_reversal_itself_is_422(client, counter):
    paid = record(client, counter).get_json()
    reversal = reverse(client, counter, paid["payment_id"]).get_json()
    again = reverse(client, counter, paid["payment_id"])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    of_reversal = reverse(client, counter, reversal["payment_id"])
    assert of_reversal.status_code == 422 and of_reversal.get_json()["error"]["code"] == "reversal_of_reversal"


def test_reverse_needs_a_reason_and_a_real_payment(client, counter):
    paid = record(client, counter).get_json()
    short = reverse(client, counter, paid["payment_id"], reason="no")
    assert short.status_code == 400 and "reason" in short.get_json()["error"]["fields"]
    missing = client.post(f"/api/v1/cashier/payment/{paid['payment_id']}/reverse/", json={}, headers=counter["headers"])
    assert missing.status_code == 400 and "reason" in missing.get_json()["error"]["fields"]
    assert reverse(client, counter, 999999).status_code == 404
    assert reverse(client, counter, 10**12).status_code == 404


@pytest.mark.parametrize("path, method", [
    ("/api/v1/cashier/search/search/?q=a", "get"),
    ("/api/v1/cashier/payment/record_payment/", "post"),
    ("/api/v1/cashier/payment/1/reverse/", "post"),
])
def test_a_student_token_on_the_new_cashier_routes_is_403_and_none_is_401(client, counter, path, method):
    student_headers = {**token_headers(make_api_token(counter["student"].user)), "Idempotency-Key": "key-00000001"}
    response = getattr(client, method)(path, headers=student_headers, json={} if method == "post" else None)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert getattr(client, method)(path).status_code == 401
