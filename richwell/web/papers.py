"""What the pages of official papers share: the papers' words and the school's details in
every template (`papers.*`, `school()`), and a PDF answer."""
from __future__ import annotations

from flask import make_response

from richwell.services.platform import papers, school
from richwell.web.downloads import as_attachment


def pdf_response(body: bytes, filename: str):
    """A paper's PDF, downloaded under the portal's own (safe) name, never cached."""
    response = make_response(body)
    response.headers["Cache-Control"] = "private, no-store"
    return as_attachment(response, filename, "application/pdf")


def register(app) -> None:
    from richwell.web import confirm

    confirm.register(app)
    app.add_template_global(papers, "papers")
    app.add_template_global(school.details, "school")
