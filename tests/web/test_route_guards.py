"""Every route in the URL map is guarded by role: anonymous → sign-in (HTML) or 401 (API);
a signed-in user of the wrong role → 403. New routes are covered without editing this test."""
from __future__ import annotations

import re

import pytest

from richwell.models import Role

# Prefix → the roles allowed there.
ROLE_PREFIXES = {
    "/student/": {Role.STUDENT},
    "/cashier/": {Role.CASHIER},
    "/registrar/": {Role.REGISTRAR, Role.HEAD_REGISTRAR},
    "/professor/": {Role.PROFESSOR},
    "/admission/": {Role.ADMISSION},
    "/admin/": {Role.ADMIN},
    # Dashboards and reports: staff only here; which staff role sees which is the service's 403.
    "/reports/": {r for r in Role if r is not Role.STUDENT},
}
# Routes anyone may open: public pages, sign-in and password recovery, health, static files, the
# public API (/metrics guards itself by address or bearer token: tests/ops/test_metrics.py).
PUBLIC = re.compile(r"^/($|login|password/(forgot|reset/)|healthz|readyz|metrics|favicon\.ico|static/|apply|verify|"
                    r"api/v1/public/|api/v1/schema|api/v1/docs|api/v1/redoc|api-token-auth|api/v1/auth/)")


def _fill(rule) -> str:
    """A concrete URL for a rule: every converter gets a harmless value."""
    url = rule.rule
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        value = {"IntegerConverter": "1", "UUIDConverter": "00000000-0000-0000-0000-000000000000"}.get(kind, "x")
        url = re.sub(r"<(?:[^>:]+:)?" + re.escape(name) + r">", value, url)
    return url


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _call(client, method: str, url: str):
    return client.open(url, method=method, headers={"Accept": "text/html"})


def test_every_route_is_listed_as_public_or_under_a_role_or_signed_in(app):
    signed_in = ("/notifications", "/password", "/logout", "/impersonation", "/api/", "/tokens",
                 "/application-documents", "/receipts")
    for rule, _ in _routes(app):
        url = rule.rule
        assert PUBLIC.match(url) or any(url.startswith(p) for p in ROLE_PREFIXES) or url.startswith(signed_in), url


def test_anonymous_is_sent_to_sign_in_or_gets_401(app, client):
    checked = 0
    for rule, method in _routes(app):
        url = _fill(rule)
        if PUBLIC.match(rule.rule):
            continue
        response = _call(client, method, url)
        if url.startswith("/api/"):
            assert response.status_code == 401, (method, url, response.status_code)
            assert response.get_json()["error"]["code"] == "unauthenticated"
        else:
            assert response.status_code == 302, (method, url, response.status_code)
            assert "/login" in response.headers["Location"], (method, url)
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_wrong_role_gets_403_everywhere(app, client, login, role):
    from tests.factories import make_user

    login(make_user(role))
    checked = 0
    for rule, method in _routes(app):
        prefix = next((p for p in ROLE_PREFIXES if rule.rule.startswith(p)), None)
        if prefix is None or role in ROLE_PREFIXES[prefix]:
            continue
        url = _fill(rule)
        response = _call(client, method, url)
        assert response.status_code == 403, (role.value, method, url, response.status_code)
        checked += 1
    assert checked > 0


def test_htmx_call_with_expired_session_redirects_whole_page(client):
    response = client.get("/notifications/bell", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].startswith("/login")
