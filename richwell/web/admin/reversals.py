"""Admin: reversal requests waiting for a decision (the reversal policy's second person)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import TextAreaField

from richwell.services import finance
from richwell.services.platform.errors import DomainError
from richwell.web.admin.blueprint import bp
from richwell.web.forms import PortalForm


class DecisionForm(PortalForm):
    note = TextAreaField("Note (required to reject)")


@bp.get("/reversals")
def reversals():
    return render_template("admin/reversals.html", waiting=finance.waiting_requests(current_user),
                           form=DecisionForm(formdata=None))


@bp.post("/reversals/<int:request_id>")
def decide_reversal(request_id: int):
    form = DecisionForm()
    if not form.validate_on_submit():
        message = " ".join(form.note.errors) or "The form expired; try again."
        flash(message, "error")
        return redirect(url_for("admin.reversals")), 303
    approve = request.form.get("decision") == "approve"
    try:
        decided = finance.decide_reversal(request_id, approve, form.note.data, current_user)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.reversals")), 303
    receipt = decided.payment.receipt_number
    flash(f"Receipt {receipt} reversed." if approve else f"The request for receipt {receipt} was rejected.",
          "success")
    return redirect(url_for("admin.reversals"))
