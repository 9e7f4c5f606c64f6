"""Admin: every document release (the same list, filters and CSV as the head registrar's)."""
from __future__ import annotations

from flask import url_for
from flask_login import current_user

from richwell.services import documents
from richwell.web import documents as document_pages
from richwell.web.admin.blueprint import bp


@bp.get("/documents")
def documents_list():
    return document_pages.releases_page("admin.documents_list", "admin.document")


@bp.get("/documents/<int:release_id>")
def document(release_id: int):
    item = documents.open_release(current_user._get_current_object(), release_id, how="view")
    file_url = url_for("admin.document_file", release_id=item.id)
    return document_pages.document_page(item, pdf_url=file_url, scan_url=file_url,
                                        back_url=url_for("admin.documents_list"), staff_view=True)


@bp.get("/documents/<int:release_id>/file")
def document_file(release_id: int):
    return document_pages.document_file(current_user._get_current_object(), release_id)
