"""What the pages of official papers share: the papers' words and the school's details in
every template (`papers.*`, `school()`), and a PDF answer."""
from __future__ import annotations

from flask import make_response

from richwell.services.platform import papers, school


def pdf_response(body: bytes, filename: str):
    """A PDF shown in the browser (its own name when saved)."""
    response = make_response(body)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def register(app) -> None:
    from richwell.web import confirm

    confirm.register(app)
    app.add_template_global(papers, "papers")
    app.add_template_global(school.details, "school")
