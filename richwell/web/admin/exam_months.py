"""Admin: the exam→month mapping of each term, and finding a receipt by its number."""
from __future__ import annotations

from collections.abc import Mapping

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from richwell.extensions import db
from richwell.models import Exam, Term
from richwell.services import finance
from richwell.services.platform import settings
from richwell.services.platform.errors import DomainError
from richwell.web.admin.blueprint import bp
from richwell.web.forms import PortalForm, search_text


class MappingForm(PortalForm):
    """CSRF only; the four month fields are read from the request."""


@bp.route("/exam-months", methods=["GET", "POST"])
def exam_months():
    terms = list(db.session.scalars(select(Term).order_by(Term.is_current.desc(), Term.start_date.desc())))
    term_id = request.values.get("term", type=int) or (terms[0].id if terms else None)
    term = next((t for t in terms if t.id == term_id), None)
    if term_id and term is None:
        abort(404)
    form = MappingForm()
    errors: dict[str, list[str]] = {}
    values: Mapping[str, object] = finance.exam_months(term.id) if term else {}
    status = 200
    if term and request.method == "POST":
        if not form.validate_on_submit():
            flash("The form expired; try again.", "error")
            return redirect(url_for("admin.exam_months", term=term.id))
        submitted: dict[str, object] = {e.value: request.form.get(e.value.lower(), "") for e in Exam}
        try:
            finance.set_exam_months(term.id, submitted, current_user)
        except DomainError as error:
            errors, values, status = error.fields, submitted, error.status
        else:
            flash(f"Exam months for {term.name} saved. Permits already issued stay valid.", "success")
            return redirect(url_for("admin.exam_months", term=term.id))
    return render_template("admin/exam_months.html", terms=terms, term=term, values=values, errors=errors,
                           form=form, exams=list(Exam), months=range(1, settings.get("installment_months") + 1)), status


@bp.get("/receipts")
def find_receipt():
    """Open a receipt by its number (to reprint or reverse it)."""
    number = search_text("number", 20).upper()
    missing = False
    if number:
        try:
            finance.receipt_for(number, current_user)
        except DomainError:
            missing = True
        else:
            return redirect(url_for("receipts.show", receipt_number=number))
    return render_template("admin/find_receipt.html", number=number, missing=missing), (404 if missing else 200)
