"""Issue 15 on PostgreSQL: reversal requests under races. Two administrators approving the
same request at once reverse the payment once; cashiers asking at once leave one request."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import Payment, ReversalRequest, Role, User
from richwell.services import finance
from richwell.services.platform.errors import Conflict
from tests.factories import make_cashier, make_enrollment, make_user, pay
from tests.races import run_together
from tests.unit.test_payments_concurrency import assert_books_balance

pytestmark = pytest.mark.postgres

REASON = "Amount typed 5000 instead of 500"


def test_two_admins_approving_one_request_at_once_reverse_once(app):
    enrollment = make_enrollment(commitment="1000.00")
    result = pay(enrollment, "1000.00", cashier=make_cashier())
    request_id = finance.request_reversal(result.payment_id, REASON, make_cashier()).id
    admin_ids = [make_user(Role.ADMIN).id for _ in range(4)]

    def work(i):
        return finance.decide_reversal(request_id, True, "", db.session.get(User, admin_ids[i])).id

    results, errors = run_together(app, 4, work)
    assert len(results) == 1
    assert len(errors) == 3 and all(isinstance(e, Conflict) for e in errors), errors
    count = db.session.scalar(select(func.count()).select_from(Payment).where(Payment.reverses_id == result.payment_id))
    assert count == 1
    assert_books_balance(enrollment.id)


def test_cashiers_asking_at_once_leave_one_waiting_request(app):
    result = pay(make_enrollment(), "700.00", cashier=make_cashier())
    cashier_ids = [make_cashier().id for _ in range(5)]

    def work(i):
        return finance.request_reversal(result.payment_id, f"{REASON} ({i})", db.session.get(User, cashier_ids[i])).id

    results, errors = run_together(app, 5, work)
    assert len(results) == 1 and len(errors) == 4 and all(isinstance(e, Conflict) for e in errors), errors
    assert db.session.scalar(select(func.count()).select_from(ReversalRequest)) == 1


def test_an_approval_racing_a_direct_reversal_reverses_once(app):
    enrollment = make_enrollment(commitment="1000.00")
    cashier = make_cashier()
    result = pay(enrollment, "1000.00", cashier=cashier)
    request_id = finance.request_reversal(result.payment_id, REASON, make_cashier()).id
    admin_id, cashier_id = make_user(Role.ADMIN).id, cashier.id

    def work(i):
        if i == 0:
            return finance.decide_reversal(request_id, True, "", db.session.get(User, admin_id))
        return finance.reverse_payment(result.payment_id, REASON, db.session.get(User, cashier_id))

    results, errors = run_together(app, 2, work)
    assert len(results) == 1 and len(errors) == 1 and isinstance(errors[0], Conflict), errors
    count = db.session.scalar(select(func.count()).select_from(Payment).where(Payment.reverses_id == result.payment_id))
    assert count == 1
    assert_books_balance(enrollment.id)
