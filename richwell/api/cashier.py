"""Cashier API (role cashier). Searching and recording payments arrive with the payments
service; today: the payment methods the counter accepts."""
from __future__ import annotations

import marshmallow as ma

from richwell.api.common import Blueprint
from richwell.models import Role
from richwell.models.finance import PaymentMethod

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
