"""HTMX helpers: one URL answers the full page or only its fragment."""
from __future__ import annotations

from flask import make_response, render_template, request


def is_partial_request() -> bool:
    """HX-Request, but neither a boosted navigation nor a history restore."""
    return (request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-Boosted") != "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def render(page_template: str, partial_template: str | None = None, status: int = 200, **context):
    """Render the partial for an HTMX request, else the full page; always Vary: HX-Request."""
    template = partial_template if (partial_template and is_partial_request()) else page_template
    response = make_response(render_template(template, **context), status)
    response.headers["Vary"] = "HX-Request"
    return response


def refusal(message: str, status: int = 422, field: str | None = None):
    """A business refusal as a small swappable partial (HTMX swaps 422 by config)."""
    response = make_response(
        render_template("_refusal.html", message=message, field=field), status)
    response.headers["Vary"] = "HX-Request"
    return response
