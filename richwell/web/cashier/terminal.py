"""Cashier terminal: the student panel, the live allocation preview and recording a payment."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from flask import redirect, request, url_for
from flask_login import current_user
from wtforms import HiddenField, StringField

from richwell.models import PaymentMethod
from richwell.services import finance
from richwell.services.platform.errors import Conflict, DomainError, NotFound
from richwell.web.cashier.blueprint import bp
from richwell.web.forms import PortalForm
from richwell.web.htmx import is_partial_request, render

METHODS = [(m.value, m.label) for m in PaymentMethod]
FIELDS = {"amount", "method", "reference_number"}


class PaymentForm(PortalForm):
    """Reads the counter's post (and checks its CSRF token). The service validates every value
    and its messages land at the fields; the one-time key makes a second submit of the same
    form a replay, never a second payment."""

    amount = StringField()
    method = StringField()
    reference_number = StringField()
    idempotency_key = HiddenField()


@dataclass
class PaymentFormState:
    """What the payment form template shows: values, errors and its one-time key."""

    key: str
    amount: str = ""
    method: str = "CASH"
    reference_number: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)


def fresh_form(**values) -> PaymentFormState:
    return PaymentFormState(key=secrets.token_urlsafe(18), **values)


def _typed(form: PaymentForm, key: str | None = None, errors: dict | None = None) -> PaymentFormState:
    """The submitted values again (under `key`, default the submitted one), with errors."""
    return PaymentFormState(key=key or (form.idempotency_key.data or "")[:100],
                            amount=(form.amount.data or "")[:20], method=(form.method.data or "CASH")[:16],
                            reference_number=(form.reference_number.data or "")[:60], errors=dict(errors or {}))


@bp.get("/students/<int:student_id>")
def student(student_id: int):
    """The student panel: months, balance, credit, permits, history and the payment form."""
    try:
        account = finance.account(student_id, request.args.get("enrollment", type=int), viewer=current_user)
    except NotFound:
        return render("errors/404.html", status=404)
    return render("cashier/terminal.html", "cashier/_panel.html", q="", hits=[], panel=account,
                  pay=fresh_form(), methods=METHODS)


@bp.get("/enrollments/<int:enrollment_id>/payment-form")
def payment_form(enrollment_id: int):
    """A blank payment form with a fresh one-time key (HTMX: "record another payment")."""
    if not is_partial_request():
        return redirect(url_for("cashier.home"))
    return render("cashier/_payment_form.html", "cashier/_payment_form.html", pay=fresh_form(),
                  methods=METHODS, enrollment_id=enrollment_id)


@bp.get("/enrollments/<int:enrollment_id>/preview")
def preview(enrollment_id: int):
    """Where the typed amount would go (HTMX, as the cashier types). Writes nothing."""
    raw = (request.args.get("amount") or "").strip()
    preview = error = None
    if raw:
        try:
            preview = finance.preview_allocation(enrollment_id, raw)
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
        return _form_again(enrollment_id, _typed(form), "Your form expired. Reload the page and try again.", 400)
    cashier_name = current_user.full_name  # read now: the commit expires the loaded user
    try:
        result = finance.record_payment(enrollment_id, form.amount.data, form.method.data,
                                         form.reference_number.data, current_user, form.idempotency_key.data)
    except NotFound:
        return render("errors/404.html", status=404)
    except Conflict as error:
        # The key belongs to another payment: nothing recorded; keep what was typed under a fresh key.
        return _form_again(enrollment_id, _typed(form, key=fresh_form().key), error.message, 409)
    except DomainError as error:
        state = _typed(form, errors=error.fields)
        at_a_field = bool(error.fields) and set(error.fields) <= FIELDS
        return _form_again(enrollment_id, state, None if at_a_field else error.message, error.status)
    if not is_partial_request():
        return redirect(url_for("receipts.show", receipt_number=result.receipt_number), 303)
    months = finance.with_due_dates(result.enrollment_id, result.buckets)
    return render("cashier/_recorded.html", "cashier/_recorded.html", result=result, months=months,
                  pay=fresh_form(), methods=METHODS, cashier_name=cashier_name)


def _form_again(enrollment_id: int, state: PaymentFormState, message: str | None, status: int):
    if is_partial_request():
        return render("cashier/_payment_form.html", "cashier/_payment_form.html", status=status,
                      pay=state, methods=METHODS, enrollment_id=enrollment_id, message=message)
    try:
        account = finance.account_for_enrollment(enrollment_id, current_user)
    except NotFound:
        return render("errors/404.html", status=404)
    return render("cashier/terminal.html", status=status, q="", hits=[], panel=account, pay=state,
                  methods=METHODS, message=message)
