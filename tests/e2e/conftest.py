"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

The server runs the session's app in a thread (its own app contexts and db sessions),
with CSRF protection switched on as in production. Skipped without /usr/bin/chromium.
"""
from __future__ import annotations

import os
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.e2e.navigation import follow

# Assertions wait as long as actions do (10 s): in CI two browsers crawl every page beside these
# tests on two cores, and a live search or preview can take more than Playwright's default 5 s.
expect.set_options(timeout=10_000)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(config, items):
    reason = None
    if not os.path.exists(CHROMIUM):
        reason = f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "needs playwright for Python"
    for item in items:
        if item.nodeid.startswith("tests/e2e/"):
            item.add_marker(pytest.mark.e2e)
            if reason and os.environ.get("RICHWELL_REQUIRE_SUITES"):
                raise pytest.UsageError(f"browser tests must run here but cannot: {reason}")
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


class InFlight:
    """Counts the requests the live server is still answering. A test's rows are emptied only
    once the browser's last requests (a late HTMX swap, a poll) are done: on PostgreSQL the
    teardown's TRUNCATE deadlocks against a request still reading the tables."""

    def __init__(self, app):
        self.app, self.count = app, 0
        self.idle = threading.Condition()

    def __call__(self, environ, start_response):
        with self.idle:
            self.count += 1
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self._done()
            raise
        return _Answer(body, self._done)

    def _done(self) -> None:
        with self.idle:
            self.count -= 1
            self.idle.notify_all()

    def wait_idle(self, timeout: float = 5.0) -> None:
        with self.idle:
            self.idle.wait_for(lambda: self.count == 0, timeout)


class _Answer:
    """A response body that reports once it has been read to the end or closed. (Werkzeug's
    server skips close() when the client is gone before the body's end.)"""

    def __init__(self, body, done):
        self._body, self._parts, self._done = body, iter(body), done

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self._parts)
        except StopIteration:
            self.close()
            raise

    def close(self) -> None:
        done, self._done = self._done, None
        if done is not None:
            try:
                getattr(self._body, "close", lambda: None)()
            finally:
                done()


@pytest.fixture(scope="session")
def served(app):
    in_flight = InFlight(app)
    server = make_server("127.0.0.1", 0, in_flight, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", in_flight
    server.shutdown()


@pytest.fixture(scope="session")
def live_server(served):
    return served[0]


@pytest.fixture(autouse=True)
def _server_quiet_before_teardown(served):
    """Runs its end after the test's browser contexts are closed, before the rows are emptied."""
    yield
    served[1].wait_idle()


@pytest.fixture(autouse=True)
def _csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def sign_in(page):
    """Sign in through the real form; returns the page after the redirect."""
    def _sign_in(identifier: str, password: str):
        page.goto("/login")
        page.get_by_label("Email or student number").fill(identifier)
        page.get_by_label("Password").fill(password)
        follow(page.get_by_role("button", name="Sign in"))
        return page
    return _sign_in
