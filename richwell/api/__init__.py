"""REST API v1 (shared/API.md): flask-smorest on plain Flask blueprints, one module per
audience (auth, public, student, cashier), the same services as the pages.

Docs: /api/v1/schema/ (OpenAPI 3 JSON), /api/v1/docs/ (Swagger UI), /api/v1/redoc/ (ReDoc),
with every asset served from static/vendor/.
"""
from __future__ import annotations

from flask import Flask, make_response, render_template, url_for
from flask_smorest import Api

from richwell.api.common import ErrorSchema, Money

API_DEFAULTS = {
    "API_TITLE": "Richwell Colleges Portal API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "schema/",
    "OPENAPI_SWAGGER_UI_PATH": "docs/",
    "OPENAPI_SWAGGER_UI_URL": "/static/vendor/swagger-ui/",  # only switches the page on; see below
    "OPENAPI_REDOC_PATH": "redoc/",
    "OPENAPI_REDOC_URL": "/static/vendor/redoc/redoc.standalone.js",
    "API_SPEC_OPTIONS": {
        "info": {"description": (
            "JSON API of the Richwell Colleges Portal. Authenticate with `POST /api-token-auth/` "
            "(send `Authorization: Token <token>`) or `POST /api/v1/auth/jwt/` (send "
            "`Authorization: Bearer <access>`). Money is a string with 2 decimals; errors are "
            "`{\"error\": {\"code\", \"message\", \"fields\"}}`.")},
        "components": {"securitySchemes": {
            "tokenAuth": {"type": "apiKey", "in": "header", "name": "Authorization",
                          "description": "`Token <token>` from POST /api-token-auth/"},
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "A JWT access token from POST /api/v1/auth/jwt/, or an API token"},
        }},
    },
}

# The docs pages only load this app's own files, so a strict policy costs nothing and makes
# sure nothing (fonts, logos, validators) is ever fetched from elsewhere.
DOCS_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
            "connect-src 'self'; frame-ancestors 'none'")


class RichwellApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def register_blueprint(self, blp, **options):
        super().register_blueprint(blp, **options)
        # flask-smorest lists the blueprint's name as a tag; show its readable tag instead.
        for tag in self.spec._tags:
            if tag["name"] == blp.name:
                tag["name"] = blp.tag

    def _register_error_handlers(self):
        """richwell.web.errors already answers every error under /api/ in the one shape."""

    def _docs_page(self, template: str):
        response = make_response(render_template(
            template, title=self.spec.title, spec_url=url_for("api-docs.openapi_json")))
        response.headers["Content-Security-Policy"] = DOCS_CSP
        return response

    def _openapi_swagger_ui(self):
        return self._docs_page("api/swagger_ui.html")

    def _openapi_redoc(self):
        return self._docs_page("api/redoc.html")


def init_app(app: Flask) -> RichwellApi:
    """Bind the API to the app: config, docs routes, blueprints, CSRF exemption."""
    from richwell.api import auth, cashier, public, student, student_documents  # noqa: F401 (routes on student.bp)
    from richwell.extensions import csrf

    for key, value in API_DEFAULTS.items():
        app.config.setdefault(key, value)
    api = RichwellApi(app)
    api.register_field(Money, "string", None)
    for module in (auth, public, student, cashier):
        api.register_blueprint(module.bp)
        # Token-authenticated only (session cookies are ignored), so there is nothing to forge.
        csrf.exempt(module.bp)
    return api
