"""The cookie session: the pages' and not the API's.

The API is token-only (richwell.api.common ignores cookies, so CSRF cannot reach it). Its
requests do not open the session at all: nothing is read from or signed into the cookie (2 % of
an API payment's CPU), and its answers carry no Set-Cookie and no `Vary: Cookie`.
"""
from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


def is_api_path(path: str) -> bool:
    """The API's paths (JSON answers, token credentials)."""
    return path.startswith(("/api/", "/api-token-auth"))


class PageSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie session for pages; for the API a null session (empty; writing to it
    fails loudly, so no API code can come to rely on a session)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if is_api_path(request.path):
            return None  # Flask uses make_null_session
        return super().open_session(app, request)
