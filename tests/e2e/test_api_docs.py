"""The API docs render in a real browser from the app's own files: no request leaves the site,
no script error, no Content-Security-Policy violation. Then a token made on the tokens page."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from richwell.models import Role
from tests.e2e.navigation import follow
from tests.factories import DEFAULT_PASSWORD, make_user

# ReDoc 2.5.2 always draws a "by Redocly" logo from its CDN; the docs pages' CSP blocks it,
# so the browser never fetches it. Nothing else may even be attempted.
BLOCKED_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def _watch(page, live_server):
    seen = {"fetched_elsewhere": [], "attempted_elsewhere": [], "errors": []}
    host = urlsplit(live_server).netloc

    def foreign(request) -> bool:
        parts = urlsplit(request.url)
        return parts.scheme in ("http", "https") and parts.netloc != host

    page.on("request", lambda r: seen["attempted_elsewhere"].append(r.url) if foreign(r) else None)
    page.on("requestfinished", lambda r: seen["fetched_elsewhere"].append(r.url) if foreign(r) else None)
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("console", lambda message: seen["errors"].append(message.text)
            if message.type == "error" and "logo-mini.svg" not in message.text
            and not message.location.get("url", "").endswith("/favicon.ico") else None)
    return seen


@pytest.mark.parametrize("url,ready", [
    ("/api/v1/docs/", ".opblock-summary-path"),
    ("/api/v1/redoc/", "h1"),
])
def test_docs_render_without_leaving_the_site(page, live_server, url, ready):
    seen = _watch(page, live_server)
    page.goto(url)
    page.locator(ready).first.wait_for()
    page.wait_for_load_state("load")
    # "networkidle" can wait forever while a docs script keeps a request open; a settled
    # second after rendering is enough for any outside request to have been attempted.
    page.wait_for_timeout(1000)
    text = page.content()
    assert "/api/v1/public/programs/" in text or "Active programs" in text
    assert seen["fetched_elsewhere"] == [] and seen["errors"] == [], seen
    assert set(seen["attempted_elsewhere"]) <= {BLOCKED_LOGO}, seen


def test_a_user_creates_and_revokes_a_token_in_the_browser(page, sign_in):
    make_user(Role.CASHIER, email="tokens.e2e@richwell.edu.ph")
    sign_in("tokens.e2e@richwell.edu.ph", DEFAULT_PASSWORD)
    follow(page.get_by_role("link", name="API tokens"))
    page.get_by_label("What is it for?").fill("Bank reconciliation")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token").inner_text()
    assert re.fullmatch(r"rw_[A-Za-z0-9_-]{43}", secret)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke").click()
    page.get_by_text("Revoked", exact=True).wait_for()
    assert page.locator("#new-token").count() == 0
