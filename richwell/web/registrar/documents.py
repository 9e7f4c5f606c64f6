"""Registrar: release a document (with a preview first), the releases list with CSV, one
release with its revocation, and the queue of students' requests."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField

from richwell.services import admissions, documents
from richwell.services.platform.errors import DomainError
from richwell.web import documents as document_pages
from richwell.web.forms import PortalForm, apply_errors
from richwell.web.registrar.blueprint import bp

KIND_CHOICES = document_pages.KIND_CHOICES


class ReleaseForm(PortalForm):
    kind = SelectField("Document", choices=KIND_CHOICES, validate_choice=False)
    title = StringField("Title (other documents only)", render_kw={"maxlength": 120})
    purpose = StringField("Purpose", render_kw={"maxlength": 120, "list": "purposes"})
    copies = StringField("Copies", default="1", render_kw={"inputmode": "numeric", "maxlength": 2})
    notes = TextAreaField("Notes (for the registrar's record)", render_kw={"rows": 2, "maxlength": 1000})
    scan = FileField("Signed scan (optional; PDF, JPEG or PNG, at most 5 MB)",
                     render_kw={"accept": "application/pdf,image/jpeg,image/png"})
    override_reason = TextAreaField("Head registrar's override of an unpaid balance (reason)",
                                    render_kw={"rows": 2, "maxlength": 1000})
    request_id = HiddenField()


class RevokeForm(PortalForm):
    reason = TextAreaField("Reason for revoking", render_kw={"rows": 2, "maxlength": 1000})


class DeclineForm(PortalForm):
    note = StringField("Note for the student", render_kw={"maxlength": 1000})


def _me():
    return current_user._get_current_object()


def _fields(form: ReleaseForm) -> dict:
    return {"kind": form.kind.data, "purpose": form.purpose.data, "notes": form.notes.data,
            "copies": form.copies.data, "title": form.title.data, "scan": form.scan.data,
            "override_reason": form.override_reason.data}


def _release_page(student_id: int, form: ReleaseForm, preview=None, status: int = 200):
    student = admissions.get_student(_me(), student_id)
    return render_template("registrar/release_document.html", student=student, form=form, preview=preview,
                           purposes=documents.PURPOSES, is_head=documents.is_head(_me()),
                           balance=documents.past_terms_balance(student.id),
                           released=documents.releases_of_student(_me(), student.id)), status


@bp.get("/students/<int:student_id>/documents/release")
def release_document(student_id: int):
    """The release form, prefilled from a student's request when it answers one."""
    values = {name: request.args.get(name) for name in ("kind", "purpose", "copies", "request_id")
              if request.args.get(name)}
    return _release_page(student_id, ReleaseForm(formdata=None, **values))


@bp.post("/students/<int:student_id>/documents/release")
def release_document_post(student_id: int):
    """Preview (checks every rule and shows the document) or release."""
    form = ReleaseForm()
    form.validate()
    request_id = form.request_id.data
    try:
        if request.form.get("action") != "release":
            return _release_page(student_id, form, documents.preview(_me(), student_id, **_fields(form)))
        item = documents.release(_me(), student_id, **_fields(form),
                                 request_id=int(request_id) if _is_id(request_id) else None)
    except DomainError as error:
        if error.status == 403 or (error.status == 404 and not error.fields):
            raise
        if not apply_errors(form, error):
            flash(error.message, "error")
        return _release_page(student_id, form, status=422)
    flash(f"{item.kind_label} {item.number} released. The student has been notified.", "success")
    return redirect(url_for("registrar.document", release_id=item.id))


@bp.get("/documents")
def documents_list():
    """Releases: a registrar's own; the head registrar all. Filter, page, or export as CSV."""
    return document_pages.releases_page("registrar.documents_list", "registrar.document")


@bp.get("/documents/<int:release_id>")
def document(release_id: int, revoke_form: RevokeForm | None = None, status: int = 200):
    item = documents.open_release(_me(), release_id, how="view")
    return document_pages.document_page(
        item, pdf_url=url_for("registrar.document_file", release_id=item.id),
        scan_url=url_for("registrar.document_file", release_id=item.id),
        back_url=url_for("registrar.documents_list"), staff_view=True,
        revoke_form=revoke_form or RevokeForm(formdata=None),
        revoke_url=url_for("registrar.revoke_document", release_id=item.id)), status


@bp.get("/documents/<int:release_id>/file")
def document_file(release_id: int):
    return document_pages.document_file(_me(), release_id)


@bp.post("/documents/<int:release_id>/revoke")
def revoke_document(release_id: int):
    form = RevokeForm()
    form.validate()
    try:
        item = documents.revoke(_me(), release_id, form.reason.data)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        form.reason.errors = [error.message]
        return document(release_id, revoke_form=form, status=409 if error.status == 409 else 422)
    flash(f"{item.number} revoked. The student has been notified.", "success")
    return redirect(url_for("registrar.document", release_id=item.id))


@bp.get("/documents/requests")
def document_requests():
    return render_template("registrar/document_requests.html", requests=documents.pending_requests(_me()),
                           form=DeclineForm(formdata=None))


@bp.post("/documents/requests/<int:request_id>/decline")
def decline_document_request(request_id: int):
    form = DeclineForm()
    form.validate()
    try:
        documents.decline_request(_me(), request_id, form.note.data)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        flash(error.message, "error")
        return render_template("registrar/document_requests.html", requests=documents.pending_requests(_me()),
                               form=form), 422
    flash("Request declined. The student has been notified.", "success")
    return redirect(url_for("registrar.document_requests"))


def _is_id(text: str | None) -> bool:
    """ASCII digits only: `str.isdigit` also takes other scripts' digits (and "²", which int() refuses)."""
    return text is not None and text.isascii() and text.isdigit() and len(text) < 12
