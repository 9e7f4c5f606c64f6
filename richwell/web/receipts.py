"""Official receipts (HTML print view and PDF) and the reversal form.

Shared by several roles, so not a role blueprint: the owning student, cashiers and admins
may open a receipt; cashiers and admins may reverse it; everyone else gets 404.
"""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from wtforms import TextAreaField

from richwell.services import finance
from richwell.services.platform.errors import Conflict, DomainError, NotFound
from richwell.web import confirm
from richwell.web.downloads import as_attachment
from richwell.web.filters import peso
from richwell.web.forms import PortalForm, apply_errors
from richwell.web.guards import require_login

bp = Blueprint("receipts", __name__, url_prefix="/receipts")
bp.before_request(require_login)


class ReversalForm(PortalForm):
    reason = TextAreaField("Reason for the reversal")


def _receipt(receipt_number: str, *, to_reverse: bool = False):
    try:
        if to_reverse:
            return finance.receipt_to_reverse(receipt_number, current_user)
        return finance.receipt_for(receipt_number, current_user)
    except NotFound:
        abort(404)


@bp.get("/<receipt_number>")
def show(receipt_number: str):
    """The printable receipt (fits a half sheet)."""
    payment = _receipt(receipt_number)
    return render_template("receipts/receipt.html", payment=payment, data=finance.receipt_data(payment),
                           can_reverse=finance.can_reverse(payment, current_user))


@bp.get("/<receipt_number>/pdf")
def pdf(receipt_number: str):
    """The receipt as PDF: the stored file, regenerated on the spot when missing."""
    payment = _receipt(receipt_number)
    content = finance.pdf_for(payment)
    response = send_file(io.BytesIO(content), mimetype="application/pdf", max_age=0)
    return as_attachment(response, f"receipt-{payment.receipt_number}.pdf", "application/pdf")


@bp.route("/<receipt_number>/reverse", methods=["GET", "POST"])
def reverse(receipt_number: str):
    """Void a payment with a reason, or, where the reversal policy wants a second person (another
    cashier's payment, an earlier day's), send the request to an administrator."""
    payment = _receipt(receipt_number, to_reverse=True)
    alone = finance.may_reverse_alone(payment, current_user)
    form = ReversalForm()
    status = 200
    # Reversing is irreversible and asks first; a request only asks an administrator to decide.
    if form.validate_on_submit() and alone and not confirm.confirmed("payment.reverse", payment.id):
        return confirm.ask("payment.reverse", payment.id, url_for("receipts.show", receipt_number=receipt_number),
                           receipt=receipt_number, amount=peso(payment.amount))
    if form.validate_on_submit():
        try:
            if alone:
                finance.reverse_payment(payment.id, form.reason.data, current_user)
            else:
                finance.request_reversal(payment.id, form.reason.data, current_user)
        except Conflict as error:
            flash(error.message, "error")
            return redirect(url_for("receipts.show", receipt_number=receipt_number))
        except DomainError as error:
            if not apply_errors(form, error):
                flash(error.message, "error")
            status = error.status
        else:
            flash(f"Receipt {receipt_number} was reversed." if alone else
                  f"Your request to reverse receipt {receipt_number} was sent to an administrator.", "success")
            return redirect(url_for("receipts.show", receipt_number=receipt_number))
    elif form.is_submitted():
        status = 400
    return render_template("receipts/reverse.html", form=form, payment=payment, alone=alone,
                           data=finance.receipt_data(payment)), status
