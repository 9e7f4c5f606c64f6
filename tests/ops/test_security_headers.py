"""Security headers on every route of the URL map: anonymous, and signed in as the role that
owns the route (so the real page answers, not only the redirect to sign-in). New routes are
covered without editing this test."""
from __future__ import annotations

import pytest

from richwell import create_app
from richwell.models import Role
from richwell.web.hardening import API_DOCS_PATHS
from tests.web.test_route_guards import ROLE_PREFIXES, _fill, _routes


def _check(response, method: str, url: str) -> None:
    where = (method, url, response.status_code)
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, where
    assert "unsafe-eval" not in csp, where
    assert "script-src 'self';" in csp, where  # never an inline or foreign script
    if url not in API_DOCS_PATHS:
        assert "unsafe-inline" not in csp, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    assert "camera=()" in headers.get("Permissions-Policy", ""), where
    assert headers.get("X-Frame-Options") == "DENY", where
    # Money, grades and personal data: nothing kept by a browser or a shared cache.
    assert headers.get("Cache-Control") == "no-store", where
    assert headers.get("X-Request-ID"), where


def test_every_route_anonymous_has_the_security_headers(app, client):
    checked = 0
    for rule, method in _routes(app):
        url = _fill(rule)
        _check(client.open(url, method=method, headers={"Accept": "text/html"}), method, url)
        checked += 1
    assert checked > 100


@pytest.mark.parametrize("role", [Role.STUDENT, Role.CASHIER, Role.REGISTRAR, Role.PROFESSOR, Role.ADMISSION,
                                  Role.ADMIN], ids=lambda r: r.value)
def test_every_route_signed_in_has_the_security_headers(app, client, login, role):
    from tests.factories import make_user

    login(make_user(role))
    checked = 0
    for rule, method in _routes(app):
        prefix = next((p for p in ROLE_PREFIXES if rule.rule.startswith(p)), None)
        if prefix is not None and role not in ROLE_PREFIXES[prefix]:
            continue  # someone else's pages: the 403 is checked by the anonymous walk's kind
        url = _fill(rule)
        if method == "POST" and url in ("/logout",):
            continue  # keep the session for the rest of the walk
        _check(client.open(url, method=method, headers={"Accept": "text/html"}), method, url)
        checked += 1
    assert checked > 5


def test_static_files_are_fingerprinted_and_not_no_store(app, client):
    from flask import url_for

    with app.test_request_context():
        url = url_for("static", filename="js/app.js")
    assert "?v=" in url
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
    assert "Content-Security-Policy" in response.headers


def test_hsts_only_in_production(app, database_url, monkeypatch):
    assert "Strict-Transport-Security" not in app.test_client().get("/healthz").headers
    from richwell import tasks

    queue = {name: app.config[name] for name in ("HUEY_IMMEDIATE", "HUEY_NAME", "HUEY_SQLITE_PATH", "REDIS_URL")}
    try:
        production = create_app({"RICHWELL_ENV": "production", "SECRET_KEY": "x" * 40,
                                 "PUBLIC_BASE_URL": "https://portal.example.edu.ph",
                                 "SQLALCHEMY_DATABASE_URI": database_url, "REQUEST_LOG_JSON": False, **queue})
        hsts = production.test_client().get("/healthz").headers.get("Strict-Transport-Security", "")
        with production.app_context():
            from richwell.extensions import db

            db.engine.dispose()
    finally:
        tasks.configure(app)  # the one queue object is the test app's again
    assert "max-age=31536000" in hsts


def test_the_htmx_config_turns_eval_off(app, client, login):
    from tests.factories import make_user

    login(make_user(Role.CASHIER))
    html = client.get("/cashier/").get_data(as_text=True)
    assert '"allowEval": false' in html and '"includeIndicatorStyles": false' in html


def test_no_template_has_inline_script_style_or_handlers():
    """The CSP would block them in the browser; catch them here with the file and line."""
    import re
    from pathlib import Path

    inline = re.compile(r"<script>|<script\s[^>]*>\s*[^<\s]|<style[\s>]|\sstyle=\"|\son[a-z]+=\"|hx-on|hx-vars|js:")
    found = []
    for path in sorted((Path(__file__).resolve().parents[2] / "templates").rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if inline.search(line.replace("data-style=", "")):
                found.append(f"{path.name}:{number}: {line.strip()[:100]}")
    assert found == []
