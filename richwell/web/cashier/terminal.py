"""Cashier terminal: the student panel, the live allocation preview and recording a payment."""
from __future__ import annotations

import secrets

from flask import redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField

from richwell.models import PaymentMethod
from richwell.services import payments
from richwell.services.errors import Conflict, DomainError, NotFound
from richwell.web.cashier.blueprint import bp
from richwell.web.forms import apply_errors
from richwell.web.htmx import is_partial_request, render

try:  # WTForms 3.3 deprecates (value, label) tuples
    from wtforms.fields.choices import SelectChoice

    METHOD_CHOICES = [SelectChoice(m.value, m.label) for m in PaymentMethod]
except ImportError:  # pragma: no cover - older WTForms
    METHOD_CHOICES = [(m.value, m.label) for m in PaymentMethod]


class PaymentForm(FlaskForm):
    """The counter's form. The service validates every value (its messages land at the fields);
    the one-time key makes a second submit of the same form a replay, never a second payment."""

    amount = StringField("Amount received (PHP)")
    method = SelectField("Method", choices=METHOD_CHOICES, default="CASH",
                         validate_choice=False)
    reference_number = StringField("Reference number")
    idempotency_key = HiddenField()


def fresh_form() -> PaymentForm:
    form = PaymentForm(formdata=None)
    form.idempotency_key.data = secrets.token_urlsafe(18)
    return form


@bp.get("/students/<int:student_id>")
def student(student_id: int):
    """The student panel: months, balance, credit, permits, history and the payment form."""
    try:
        account = payments.account(student_id, request.args.get("enrollment", type=int))
    except NotFound:
        return render("errors/404.html", status=404)
    return render("cashier/terminal.html", "cashier/_panel.html", q="", hits=[], panel=account,
                  form=fresh_form())


@bp.get("/enrollments/<int:enrollment_id>/preview")
def preview(enrollment_id: int):
    """Where the typed amount would go (HTMX, as the cashier types). Writes nothing."""
    raw = (request.args.get("amount") or "").strip()
    preview = error = None
    if raw:
        try:
            preview = payments.preview_allocation(enrollment_id, raw)
        except NotFound:
            return render("errors/404.html", status=404)
        except DomainError as exc:
            error = exc.message
    return render("cashier/_preview.html", "cashier/_preview.html", preview=preview, error=error)


@bp.post("/enrollments/<int:enrollment_id>/payments")
def record_payment(enrollment_id: int):
    """Record the payment. HTMX gets the confirmation, a fresh form and the updated panel
    pieces; a plain form post is sent on to the receipt."""
    form = PaymentForm()
    if not form.validate_on_submit():
        return _form_again(enrollment_id, form, "Your form expired. Reload the page and try again.", 400)
    cashier_name = current_user.full_name  # read now: the commit expires the loaded user
    try:
        result = payments.record_payment(enrollment_id, form.amount.data, form.method.data,
                                         form.reference_number.data, current_user, form.idempotency_key.data)
    except NotFound:
        return render("errors/404.html", status=404)
    except Conflict as error:
        # The key belongs to another payment: nothing recorded; hand out a fresh form.
        return _form_again(enrollment_id, fresh_form(), error.message, 409, keep=form)
    except DomainError as error:
        placed = apply_errors(form, error)
        return _form_again(enrollment_id, form, None if placed else error.message, error.status)
    if not is_partial_request():
        return redirect(url_for("receipts.show", receipt_number=result.receipt_number), 303)
    return render("cashier/_recorded.html", "cashier/_recorded.html", result=result, form=fresh_form(),
                  cashier_name=cashier_name)


def _form_again(enrollment_id: int, form: PaymentForm, message: str | None, status: int,
                keep: PaymentForm | None = None):
    if keep is not None:  # keep what the cashier typed, under the fresh key
        form.amount.data, form.method.data = keep.amount.data, keep.method.data
        form.reference_number.data = keep.reference_number.data
    if is_partial_request():
        return render("cashier/_payment_form.html", "cashier/_payment_form.html", status=status,
                      form=form, enrollment_id=enrollment_id, message=message)
    try:
        enrollment = payments.get_enrollment(enrollment_id)
        account = payments.account(enrollment.student_id, enrollment_id)
    except NotFound:
        return render("errors/404.html", status=404)
    return render("cashier/terminal.html", status=status, q="", hits=[], panel=account, form=form,
                  message=message)
