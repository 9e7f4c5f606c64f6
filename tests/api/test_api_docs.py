"""The OpenAPI document and the two docs pages, served with the app's own assets only."""
from __future__ import annotations

import re

import pytest

ROUTES = {
    ("post", "/api-token-auth/"), ("post", "/api/v1/auth/jwt/"), ("post", "/api/v1/auth/jwt/refresh/"),
    ("get", "/api/v1/public/programs/"), ("get", "/api/v1/public/programs/{program_id}/subjects/"),
    ("get", "/api/v1/student/profile/me/"), ("get", "/api/v1/student/enrollment/"),
    ("get", "/api/v1/student/enrollment/{enrollment_id}/subjects/"),
    ("get", "/api/v1/cashier/payment/payment_methods/"),
    ("get", "/api/v1/student/enrollment/{enrollment_id}/available_subjects/"),
    ("post", "/api/v1/student/enrollment/{enrollment_id}/enroll_subject/"),
    ("post", "/api/v1/student/enrollment/{enrollment_id}/drop_subject/"),
    ("get", "/api/v1/student/enrollment/{enrollment_id}/payment_status/"),
    ("get", "/api/v1/student/enrollment/{enrollment_id}/exam_permit/"),
    ("get", "/api/v1/student/enrollment/{enrollment_id}/transcript/"),
    ("get", "/api/v1/cashier/search/search/"), ("post", "/api/v1/cashier/payment/record_payment/"),
    ("post", "/api/v1/cashier/payment/{payment_id}/reverse/"),
    ("post", "/api/v1/public/enrollment/new_student/"), ("get", "/api/v1/public/verify/{code}/"),
}


def test_schema_is_openapi_3_json_with_every_route(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200 and response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    documented = {(method, path) for path, item in spec["paths"].items() for method in item if method != "parameters"}
    assert ROUTES <= documented
    assert set(spec["components"]["securitySchemes"]) == {"tokenAuth", "bearerAuth"}
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]


def test_guarded_operations_declare_security_and_401_403(client):
    spec = client.get("/api/v1/schema/").get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            guarded = path.startswith(("/api/v1/student/", "/api/v1/cashier/"))
            assert ("security" in operation) == guarded, path
            if guarded:
                assert {"401", "403"} <= set(map(str, operation["responses"])), path
            assert "429" in set(map(str, operation["responses"])), path


def test_money_is_documented_as_a_two_decimal_string(client):
    spec = client.get("/api/v1/schema/").get_json()
    money = spec["components"]["schemas"]["TermEnrollment"]["properties"]["monthly_commitment"]
    assert money["type"] == "string" and money["pattern"] == r"^-?[0-9]+\.[0-9]{2}$"  # ASCII digits only


@pytest.mark.parametrize("url", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_docs_pages_load_only_local_assets(client, url):
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(asset.startswith("/static/") for asset in assets), assets
    assert "/api/v1/schema/" in page
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_vendored_assets_carry_their_licences():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "static" / "vendor"
    for folder in ("swagger-ui", "redoc"):
        assert (root / folder / "LICENSE").is_file() and (root / folder / "README").is_file()
    assert "swagger-ui-dist 5.35.0" in (root / "swagger-ui" / "README").read_text()
    assert "redoc 2.5.2" in (root / "redoc" / "README").read_text()


def test_every_operation_documents_its_input_and_its_answer(client):
    spec = client.get("/api/v1/schema/").get_json()
    for method, path in ROUTES:
        operation = spec["paths"][path][method]
        success = next(code for code in operation["responses"] if code.startswith("2"))
        assert "schema" in operation["responses"][success]["content"]["application/json"], (method, path)
        if method == "post":
            assert operation["requestBody"]["required"] is True, path


def test_record_payment_documents_the_idempotency_key_and_its_answers(client):
    operation = client.get("/api/v1/schema/").get_json()["paths"]["/api/v1/cashier/payment/record_payment/"]["post"]
    [header] = [p for p in operation["parameters"] if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key" and header["required"] is True
    assert {"200", "201", "400", "401", "403", "404", "409", "422", "429"} <= set(operation["responses"])
