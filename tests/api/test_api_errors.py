"""Every error under /api/ and /api-token-auth/ is JSON in the one shape, never an HTML page."""
from __future__ import annotations

import pytest

from richwell import create_app
from richwell.api.common import Blueprint
from richwell.extensions import db
from richwell.services.platform.errors import Conflict, DomainError


def _shape(response, status, code):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("url", ["/api/v1/nothing-here/", "/api/v2/", "/api/v1/public/programs/abc/subjects/",
                                 "/api/v1/public/programs/0/subjects/",
                                 "/api/v1/public/programs/99999999999999999999999/subjects/",
                                 "/api-token-auth/extra"])
def test_unknown_api_routes_are_404_json(client, url):
    _shape(client.get(url, headers={"Accept": "text/html"}), 404, "not_found")


@pytest.mark.parametrize("method,url", [("DELETE", "/api-token-auth/"), ("GET", "/api-token-auth/"),
                                        ("PUT", "/api/v1/public/programs/"),
                                        ("POST", "/api/v1/cashier/payment/payment_methods/")])
def test_wrong_method_is_405_json_with_allow(client, method, url):
    response = client.open(url, method=method)
    _shape(response, 405, "method_not_allowed")
    assert response.headers["Allow"]


def test_unexpected_error_is_500_json_and_domain_errors_keep_their_status_and_code(database_url):
    other = create_app({"RICHWELL_ENV": "testing", "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url,
                        "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": False})
    bp = Blueprint("api_throwaway", __name__, url_prefix="/api/v1/throwaway")

    @bp.route("/boom/")
    def boom():  # registered only on this throwaway app
        raise RuntimeError("boom")

    @bp.route("/rule/")
    def rule():
        raise DomainError("Adding it would pass the 30-unit cap.", code="unit_cap")

    @bp.route("/duplicate/")
    def duplicate():
        raise Conflict("An account with this email already exists.", field="email")

    other.register_blueprint(bp)
    with other.app_context():
        client = other.test_client()
        boom_response = client.get("/api/v1/throwaway/boom/")
        rule_response = client.get("/api/v1/throwaway/rule/")
        conflict_response = client.get("/api/v1/throwaway/duplicate/")
        db.session.remove()
    error = _shape(boom_response, 500, "server_error")
    assert "boom" not in error["message"]
    assert _shape(rule_response, 422, "unit_cap")["message"] == "Adding it would pass the 30-unit cap."
    conflict = _shape(conflict_response, 409, "conflict")
    assert conflict["fields"] == {"email": ["An account with this email already exists."]}


def test_too_large_body_is_413_json(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = client.post("/api-token-auth/", data=b'{"username": "' + b"a" * 4096 + b'"}',
                               content_type="application/json")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    _shape(response, 413, "too_large")
