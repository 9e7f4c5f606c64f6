"""Cashier: import a CSV of online payments (GCash, bank transfers) and watch it being recorded."""
from __future__ import annotations

from flask import abort, redirect, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import SelectField

from richwell.services import finance
from richwell.services.platform.errors import DomainError, NotFound
from richwell.web import htmx
from richwell.web.cashier.blueprint import bp
from richwell.web.forms import PortalForm, apply_errors


class ImportForm(PortalForm):
    file = FileField("CSV file")
    method = SelectField("Paid by", choices=[("GCASH", "GCash"), ("BANK_TRANSFER", "Bank transfer")],
                         validate_choice=False)


def _page(form, status=200, message=None):
    return htmx.render("cashier/imports.html", status=status, form=form, message=message,
                       imports=finance.recent_imports(current_user))


@bp.route("/imports", methods=["GET", "POST"])
def imports():
    form = ImportForm()
    if not form.is_submitted():
        return _page(form)
    if not form.validate():
        return _page(form, 400)
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        form.file.errors = [*form.file.errors, "Choose the CSV file to import."]
        return _page(form, 400)
    try:
        job = finance.start_import(current_user, upload.filename, upload.read(), form.method.data)
    except DomainError as error:
        placed = apply_errors(form, error)
        return _page(form, 400 if error.status == 400 else 422, None if placed else error.message)
    return redirect(url_for("cashier.import_detail", import_id=job.id))


@bp.get("/imports/<int:import_id>")
def import_detail(import_id: int):
    try:
        state = finance.progress(import_id, current_user)
    except NotFound:
        abort(404)
    refused = finance.refused_rows(import_id) if state.finished else []
    return htmx.render("cashier/import_detail.html", "cashier/_import_progress.html", state=state,
                       refused=refused)
