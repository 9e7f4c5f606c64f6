"""API test fixtures."""
from __future__ import annotations

import pytest

from richwell.extensions import limiter


@pytest.fixture(autouse=True)
def _limits_follow_the_session_app(app):
    """Flask-Limiter keeps one global on/off switch that every create_app() sets (and route
    limits read it at call time): each API test starts and ends with the session app's
    setting (off), so a throttling test's limits never leak into the tests after it."""
    limiter.enabled = app.config["RATELIMIT_ENABLED"]
    yield
    limiter.enabled = app.config["RATELIMIT_ENABLED"]
