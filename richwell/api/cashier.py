"""Cashier API (role cashier). Searching and recording payments arrive with the payments
service; today: the payment methods the counter accepts."""
from __future__ import annotations

import marshmallow as ma

from richwell.api.common import Blueprint
from richwell.models import Role

bp = Blueprint("api_cashier", __name__, tag="Cashier", url_prefix="/api/v1/cashier", roles=(Role.CASHIER,),
               description="The cashier's counter (role cashier).")

# (code, label, needs a reference number). DOMAIN.md "Payments": every method but cash
# needs a reference. TODO at the payments merge: read this from richwell.models.finance
# (the payments module defines the methods) and delete this copy.
PAYMENT_METHODS = (
    ("CASH", "Cash", False),
    ("GCASH", "GCash", True),
    ("MAYA", "Maya", True),
    ("BANK_TRANSFER", "Bank transfer", True),
    ("CHECK", "Check", True),
)


class PaymentMethodSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=ma.validate.OneOf([m[0] for m in PAYMENT_METHODS]))
    label = ma.fields.String(required=True)
    needs_reference = ma.fields.Boolean(required=True)


@bp.route("/payment/payment_methods/")
@bp.response(200, PaymentMethodSchema(many=True))
def payment_methods():
    """Payment methods

    What the counter accepts, and which methods need a reference number.
    """
    return [{"code": code, "label": label, "needs_reference": needs} for code, label, needs in PAYMENT_METHODS]
