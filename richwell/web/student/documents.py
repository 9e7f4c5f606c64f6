"""Student: my documents (view, print, download; every opening audited) and my requests."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectField, StringField

from richwell.extensions import db
from richwell.services import documents
from richwell.services.platform.errors import DomainError
from richwell.web import documents as document_pages
from richwell.web.forms import PortalForm, apply_errors
from richwell.web.student.blueprint import bp


class RequestForm(PortalForm):
    kind = SelectField("Document", choices=[(k.value, k.label) for k in documents.REQUESTABLE], validate_choice=False)
    purpose = StringField("Purpose", render_kw={"maxlength": 120, "list": "purposes"})
    copies = StringField("Copies", default="1", render_kw={"inputmode": "numeric", "maxlength": 2})


def _me():
    return current_user._get_current_object()


def _page(form: RequestForm, status: int = 200):
    return render_template("student/documents.html", form=form, purposes=documents.PURPOSES,
                           items=list(db.session.scalars(documents.student_documents(_me()))),
                           requests=documents.student_requests(_me())), status


@bp.get("/documents")
def documents_page():
    return _page(RequestForm(formdata=None))


@bp.post("/documents/request")
def request_document():
    form = RequestForm()
    form.validate()
    try:
        item = documents.request_document(_me(), form.kind.data, form.purpose.data, form.copies.data)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        if not apply_errors(form, error):
            flash(error.message, "error")
        return _page(form, 422)
    flash(f"Request sent: {item.kind_label}. You will be notified when the registrar answers.", "success")
    return redirect(url_for("student.documents_page"))


@bp.get("/documents/<int:release_id>")
def document(release_id: int):
    item = documents.open_release(_me(), release_id, how="view")
    file_url = url_for("student.document_file", release_id=item.id)
    return document_pages.document_page(item, pdf_url=file_url, scan_url=file_url,
                                        back_url=url_for("student.documents_page"))


@bp.get("/documents/<int:release_id>/file")
def document_file(release_id: int):
    return document_pages.document_file(_me(), release_id)
