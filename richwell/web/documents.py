"""Document pages shared by the registrar, admin and student blueprints: the printable page,
the PDF and the signed scan of a release. Opening any of them is audited by the service."""
from __future__ import annotations

from flask import flash, make_response, render_template, request
from flask_login import current_user

from richwell.extensions import db
from richwell.models import RELEASE_KIND_LABELS, DocumentRelease
from richwell.services import documents, grades
from richwell.services.platform.errors import DomainError
from richwell.services.platform.limits import STAFF_PAGE_SIZE
from richwell.web.transcripts import verify_url

KIND_CHOICES = [(kind.value, label) for kind, label in RELEASE_KIND_LABELS.items()]


def document_page(item: DocumentRelease, *, pdf_url: str, scan_url: str, back_url: str, **extra):
    url = verify_url(item.code)
    return render_template("documents/view.html", item=item, snap=item.snapshot or {}, verify_url=url,
                           qr=grades.qr_svg(url), pdf_url=pdf_url, scan_url=scan_url, back_url=back_url, **extra)


def _file(body: bytes, content_type: str, filename: str):
    response = make_response(body)
    response.headers["Content-Type"] = content_type
    disposition = "attachment" if request.args.get("download") == "1" else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def document_file(viewer, release_id: int):
    """The release's file: the PDF of a generated document, or the signed scan as uploaded."""
    item = documents.open_release(viewer, release_id, how="download")
    if item.scan_name:
        extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(
            item.scan_content_type or "", "bin")
        return _file(documents.scan_bytes(item), item.scan_content_type or "application/octet-stream",
                     f"{item.number}.{extension}")
    return _file(documents.release_pdf(item, verify_url(item.code)), "application/pdf", f"{item.number}.pdf")


def releases_page(list_endpoint: str, view_endpoint: str):
    """The releases list for the registrar and the admin (same filters and CSV)."""
    viewer = current_user._get_current_object()
    try:
        chosen = documents.parse_filter(request.args)
    except DomainError as error:
        flash(error.message, "error")
        chosen = documents.ReleaseFilter()
    statement = documents.releases(viewer, chosen)
    if request.args.get("format") == "csv":
        response = make_response(documents.releases_csv(viewer, chosen))
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
        response.headers["Content-Disposition"] = 'attachment; filename="document-releases.csv"'
        return response
    page = db.paginate(statement, page=request.args.get("page", 1, type=int), per_page=STAFF_PAGE_SIZE,
                       error_out=False)
    return render_template("documents/list.html", page=page, chosen=chosen, kinds=KIND_CHOICES,
                           all_releases=documents.sees_all_releases(viewer), registrars=documents.registrars(),
                           list_endpoint=list_endpoint, view_endpoint=view_endpoint)
