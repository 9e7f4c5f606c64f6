"""Cashier API (role cashier): find a student, record a payment (with an Idempotency-Key, the
same one-time key mechanism as the counter's form), reverse one, and the accepted methods."""
from __future__ import annotations

import marshmallow as ma

from richwell.api.common import MAX_ID, Blueprint, Id, Money, Text, api_user
from richwell.models import Role
from richwell.models.finance import Exam, PaymentMethod
from richwell.services import finance
from richwell.services.platform.errors import Conflict
from richwell.services.platform.limits import IDEMPOTENCY_KEY_PATTERN

bp = Blueprint("api_cashier", __name__, tag="Cashier", url_prefix="/api/v1/cashier", roles=(Role.CASHIER,),
               description="The cashier's counter (role cashier).")



class PaymentMethodSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=ma.validate.OneOf([m.value for m in PaymentMethod]))
    label = ma.fields.String(required=True)
    needs_reference = ma.fields.Boolean(required=True)


@bp.route("/payment/payment_methods/")
@bp.response(200, PaymentMethodSchema(many=True))
def payment_methods():
    """Payment methods

    What the counter accepts, and which methods need a reference number.
    """
    return [{"code": m.value, "label": m.label, "needs_reference": m.needs_reference} for m in PaymentMethod]


# ---------------------------------------------------------------- search

class SearchArgsSchema(ma.Schema):
    q = Text(load_default="", validate=ma.validate.Length(max=200),
             metadata={"description": "a student number prefix, or parts of a name (case-insensitive)"})


class StudentHitSchema(ma.Schema):
    student_number = ma.fields.String(required=True, metadata={"example": "2026-00042"})
    name = ma.fields.String(required=True, metadata={"example": "Santos, Maria Luna"})
    program = ma.fields.String(required=True, metadata={"example": "BSIT"})
    current_enrollment_id = ma.fields.Integer(required=True, allow_none=True, attribute="enrollment_id",
                                              metadata={"description": "null when not enrolled this term"})
    balance = Money(required=True, allow_none=True,
                    metadata={"description": "unpaid this term; null when not enrolled this term"})


@bp.route("/search/search/")
@bp.arguments(SearchArgsSchema, location="query")
@bp.response(200, StudentHitSchema(many=True))
def search(args):
    """Find a student

    Up to 20 students whose number starts with `q` or whose names have parts starting with
    each word of `q`, with the current term's enrollment and balance. An empty `q` finds nobody.
    """
    return finance.search_students(args["q"])


# ---------------------------------------------------------------- recording and reversing

class RecordPaymentSchema(ma.Schema):
    enrollment_id = Id(required=True)
    amount = Money(required=True, metadata={"description": "more than 0, at most 1000000.00"})
    method = ma.fields.String(required=True, validate=ma.validate.OneOf([m.value for m in PaymentMethod]))
    reference_number = Text(load_default=None, allow_none=True, validate=ma.validate.Length(max=60),
                            metadata={"description": "required for every method but CASH"})


class IdempotencyHeaderSchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    idempotency_key = ma.fields.String(
        required=True, data_key="Idempotency-Key", validate=ma.validate.Regexp(IDEMPOTENCY_KEY_PATTERN),
        metadata={"description": "A one-time key per payment (8–100 letters, digits, _ - : .). Sending "
                                 "the same key and body again answers 200 with the first result and "
                                 "records nothing; the same key with another body is 409."})


class AllocationSchema(ma.Schema):
    month = ma.fields.Integer(required=True)
    amount = Money(required=True)


class RecordedPaymentSchema(ma.Schema):
    payment_id = ma.fields.Integer(required=True)
    receipt_number = ma.fields.String(required=True, metadata={"example": "OR-2026-000001"})
    amount = Money(required=True)
    allocations = ma.fields.List(ma.fields.Nested(AllocationSchema), required=True,
                                 metadata={"description": "where the money went, earliest unpaid month first"})
    credit_balance = Money(required=True)
    permits_issued = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf([e.value for e in Exam])),
                                    required=True)


def _recorded(result: finance.PaymentResult) -> dict:
    return {"payment_id": result.payment_id, "receipt_number": result.receipt_number, "amount": result.amount,
            "allocations": [{"month": m, "amount": a} for m, a in result.allocations],
            "credit_balance": result.credit_balance, "permits_issued": result.permits_issued}


@bp.route("/payment/record_payment/", methods=["POST"])
@bp.arguments(RecordPaymentSchema)
@bp.arguments(IdempotencyHeaderSchema, location="headers")
@bp.response(201, RecordedPaymentSchema)
@bp.alt_response(200, schema=RecordedPaymentSchema, description="A replay: this key and body were already "
                                                                "recorded; the first result, nothing new.")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="DEFAULT_ERROR", description="The key was already used with another body.")
@bp.alt_response(422, response="DEFAULT_ERROR", description="`enrollment_withdrawn`: the student withdrew.")
def record_payment(body, headers):
    """Record a payment

    Allocated to the earliest unpaid month first, the rest to credit balance; the official
    receipt number is the next of the year; permits of months that became fully paid are issued.
    """
    try:
        result = finance.record_payment(body["enrollment_id"], body["amount"], body["method"],
                                         body["reference_number"], api_user(), headers["idempotency_key"])
    except Conflict as refusal:
        if refusal.code != "idempotency_mismatch":
            raise
        raise Conflict("This Idempotency-Key was already used for a different payment; send a new key "
                       "for a new payment.", fields={"Idempotency-Key": ["Already used for another payment."]}
                       ) from None
    return _recorded(result), 200 if result.replayed else 201


class ReverseSchema(ma.Schema):
    reason = Text(required=True, validate=ma.validate.Length(max=500),
                  metadata={"description": "why the payment is voided (at least 5 characters)"})


class ReversalSchema(ma.Schema):
    payment_id = ma.fields.Integer(required=True, metadata={"description": "the reversal's own id"})
    reverses = ma.fields.Integer(required=True, metadata={"description": "the id of the payment voided"})
    amount = Money(required=True, metadata={"description": "negative: money taken back", "example": "-5000.00"})
    deallocations = ma.fields.List(ma.fields.Nested(AllocationSchema), required=True,
                                   metadata={"description": "negative amounts, latest month first emptied"})
    permits_revoked = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf([e.value for e in Exam])),
                                     required=True)


@bp.route(f"/payment/<int(min=1, max={MAX_ID}):payment_id>/reverse/", methods=["POST"])
@bp.arguments(ReverseSchema)
@bp.response(201, ReversalSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="DEFAULT_ERROR", description="The payment was already reversed.")
@bp.alt_response(422, response="DEFAULT_ERROR", description="`reversal_of_reversal`: a reversal is final.")
def reverse(body, payment_id: int):
    """Reverse a payment

    Its money comes back out of the credit balance first, then the months from the latest
    backwards; permits whose month is no longer fully paid are revoked. A payment is reversed
    at most once; the original stays in the ledger.
    """
    try:
        reversal = finance.reverse_payment(payment_id, body["reason"], api_user())
    except Conflict as refusal:
        raise Conflict(refusal.message) from None  # the contract's one 409 code
    return {"payment_id": reversal.id, "reverses": reversal.reverses_id, "amount": reversal.amount,
            "deallocations": [{"month": a.month, "amount": a.amount}
                              for a in sorted(reversal.allocations, key=lambda a: a.month)],
            "permits_revoked": reversal.permits_revoked}
