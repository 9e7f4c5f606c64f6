"""Builders for the cashier's ledger: a cashier, and payments recorded through the service."""
from __future__ import annotations

import secrets
from decimal import Decimal

from richwell.models import Role, TermEnrollment, User
from richwell.services.finance import ledger, rules
from tests.factories.people import make_user

__all__ = ["make_cashier", "new_key", "pay"]


def make_cashier(**kwargs) -> User:
    return make_user(Role.CASHIER, **kwargs)


def new_key() -> str:
    return secrets.token_urlsafe(16)


def pay(enrollment: TermEnrollment | int, amount: str | Decimal, *, cashier: User | None = None,
        method: str = "CASH", reference: str | None = None, key: str | None = None) -> rules.PaymentResult:
    """Record a payment through the service, as the counter would."""
    enrollment_id = enrollment if isinstance(enrollment, int) else enrollment.id
    if method != "CASH" and reference is None:
        reference = "REF-12345"
    return ledger.record_payment(enrollment_id, str(amount), method, reference, cashier or make_cashier(),
                                   key or new_key())
