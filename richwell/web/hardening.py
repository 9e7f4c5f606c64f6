"""Security headers on every response, from one after-request hook.

Why a hook and not Flask-Talisman: the portal needs no nonces (no inline script or style is
left in any template), HTTPS redirects belong to the proxy, and the whole policy is a few
lines that the header test reads against every route in the URL map.
"""
from __future__ import annotations

from flask import Flask, request
from flask.wrappers import Response

# No 'unsafe-inline', no 'unsafe-eval': scripts and styles come from /static only (HTMX runs
# with allowEval false; computed sizes are set through the CSSOM by static/js/app.js).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# The vendored API reference pages (Swagger UI, ReDoc) build their styles at run time as
# <style> elements: on those two read-only pages only, inline styles and blob: workers are allowed.
CSP_API_DOCS = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
                "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
                "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
API_DOCS_PATHS = ("/api/v1/docs/", "/api/v1/redoc/")
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(response: Response, *, production: bool) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CSP_API_DOCS if request.path in API_DOCS_PATHS else CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if production:
        headers["Strict-Transport-Security"] = HSTS
    # Pages show money, grades and personal data, and so does the API: nothing but the static
    # files (fingerprinted, public) may be kept by a browser or a shared cache.
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
        headers.pop("ETag", None)
    return response


def register(app: Flask) -> None:
    production = app.config["RICHWELL_ENV"] == "production"

    @app.after_request
    def _security_headers(response: Response) -> Response:
        return security_headers(response, production=production)
