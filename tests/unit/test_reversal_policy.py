"""Issue 15: the reversal policy. A cashier reverses alone only their own payment of the same
Manila day; anything else is a request an administrator approves (the reversal is made) or
rejects with a note; reasons of at least 15 characters; the student is always told."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import AuditEntry, Notification, Payment, ReversalRequest, Role, User
from richwell.services import finance
from richwell.services.finance import ledger
from richwell.services.platform import clock, settings
from richwell.services.platform.errors import Conflict, Forbidden, ValidationError
from tests.factories import make_cashier, make_enrollment, make_user, pay

REASON = "Amount typed 5000 instead of 500"


def _count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_cashier_reverses_their_own_payment_of_today_alone():
    cashier = make_cashier()
    result = pay(make_enrollment(), "500.00", cashier=cashier)
    assert ledger.reverse_payment(result.payment_id, REASON, cashier).amount == D("-500.00")


def test_another_cashiers_payment_needs_an_approval():
    result = pay(make_enrollment(), "500.00", cashier=make_cashier())
    with pytest.raises(Forbidden) as caught:
        ledger.reverse_payment(result.payment_id, REASON, make_cashier())
    assert caught.value.code == "approval_required"
    assert _count(Payment) == 1


def test_an_earlier_days_payment_needs_an_approval(monkeypatch):
    cashier = make_cashier()
    result = pay(make_enrollment(), "500.00", cashier=cashier)
    tomorrow = clock.today() + timedelta(days=1)
    monkeypatch.setattr(clock, "today", lambda: tomorrow)
    assert not finance.may_reverse_alone(db.session.get(Payment, result.payment_id), cashier)
    with pytest.raises(Forbidden):
        ledger.reverse_payment(result.payment_id, REASON, cashier)


def test_the_setting_switches_the_second_person_off():
    settings.set_value(None, "reversal_needs_approval", False)
    result = pay(make_enrollment(), "500.00", cashier=make_cashier())
    assert ledger.reverse_payment(result.payment_id, REASON, make_cashier()).amount == D("-500.00")


@pytest.mark.parametrize("reason", ["Typo", "Wrong amount.", " " * 20, "x" * 14])
def test_a_reason_needs_at_least_15_characters(reason):
    cashier = make_cashier()
    result = pay(make_enrollment(), "500.00", cashier=cashier)
    with pytest.raises(ValidationError) as caught:
        ledger.reverse_payment(result.payment_id, reason, cashier)
    assert "at least 15 characters" in caught.value.fields["reason"][0]
    with pytest.raises(ValidationError):
        finance.request_reversal(result.payment_id, reason, make_cashier())
    assert _count(Payment) == 1 and _count(ReversalRequest) == 0


def test_the_shortest_reason_is_a_setting_never_below_15():
    with pytest.raises(ValidationError):
        settings.parse("reversal_reason_min", "5")
    settings.set_value(None, "reversal_reason_min", 40)
    cashier = make_cashier()
    result = pay(make_enrollment(), "500.00", cashier=cashier)
    with pytest.raises(ValidationError):
        ledger.reverse_payment(result.payment_id, REASON, cashier)  # 32 characters < 40


def test_the_student_is_always_told_the_amount_and_the_receipt():
    cashier = make_cashier()
    enrollment = make_enrollment()
    result = pay(enrollment, "1234.50", cashier=cashier)
    ledger.reverse_payment(result.payment_id, REASON, cashier)
    note = db.session.scalars(select(Notification).where(Notification.kind == "payment_reversed")).one()
    assert note.user_id == enrollment.student.user_id
    assert "PHP 1,234.50" in note.message and result.receipt_number in note.message and REASON in note.message


def test_a_request_approved_by_an_admin_reverses_the_payment():
    enrollment = make_enrollment()
    result = pay(enrollment, "800.00", cashier=make_cashier())
    asking = make_cashier()
    admin = make_user(Role.ADMIN)
    request = finance.request_reversal(result.payment_id, REASON, asking)
    assert _count(Payment) == 1  # nothing reversed yet
    assert [w.id for w in finance.waiting_requests(admin)] == [request.id]
    admin_note = db.session.scalars(select(Notification).where(Notification.user_id == admin.id)).one()
    assert result.receipt_number in admin_note.message
    finance.decide_reversal(request.id, True, "", admin)
    db.session.expire_all()
    decided = db.session.get(ReversalRequest, request.id)
    assert decided.status == "APPROVED" and decided.decided_by_id == admin.id and decided.reversal_id
    reversal = db.session.get(Payment, decided.reversal_id)
    assert reversal.reverses_id == result.payment_id and reversal.reason == REASON and reversal.cashier_id == admin.id
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"payment.reversal_request", "payment.reverse", "payment.reversal_approve"} <= actions
    kinds = {(n.user_id, n.kind) for n in db.session.scalars(select(Notification))}
    assert (asking.id, "reversal_request") in kinds and (enrollment.student.user_id, "payment_reversed") in kinds
    assert finance.waiting_requests(admin) == []


def test_a_rejection_needs_a_note_and_reverses_nothing():
    result = pay(make_enrollment(), "800.00", cashier=make_cashier())
    request = finance.request_reversal(result.payment_id, REASON, make_cashier())
    admin = make_user(Role.ADMIN)
    with pytest.raises(ValidationError):
        finance.decide_reversal(request.id, False, "", admin)
    finance.decide_reversal(request.id, False, "The slip shows 800.00; it was right.", admin)
    db.session.expire_all()
    assert db.session.get(ReversalRequest, request.id).status == "REJECTED"
    assert _count(Payment) == 1
    with pytest.raises(Conflict):
        finance.decide_reversal(request.id, True, "", admin)  # decided once
    # A new request may follow a rejection.
    assert finance.request_reversal(result.payment_id, REASON + " (second look)", make_cashier()).id


def test_one_request_waits_per_payment_and_only_admins_decide():
    result = pay(make_enrollment(), "800.00", cashier=make_cashier())
    request = finance.request_reversal(result.payment_id, REASON, make_cashier())
    with pytest.raises(Conflict):
        finance.request_reversal(result.payment_id, REASON, make_cashier())
    with pytest.raises(Forbidden):
        finance.decide_reversal(request.id, True, "", make_cashier())
    with pytest.raises(Forbidden):
        finance.waiting_requests(make_user(Role.REGISTRAR))
    with pytest.raises(Forbidden):
        finance.request_reversal(result.payment_id, REASON, make_user(Role.REGISTRAR))


def test_an_admin_reverses_any_payment_directly():
    result = pay(make_enrollment(), "800.00", cashier=make_cashier())
    assert ledger.reverse_payment(result.payment_id, REASON, make_user(Role.ADMIN)).amount == D("-800.00")


def test_the_pages_send_a_request_and_the_admin_approves_it(login, as_role, client):
    enrollment = make_enrollment()
    result = pay(enrollment, "800.00", cashier=make_cashier())
    other, _ = as_role("cashier")
    url = f"/receipts/{result.receipt_number}/reverse"
    assert "Send the request" in other.get(url).get_data(as_text=True)
    sent = other.post(url, data={"reason": REASON})  # a request asks no confirmation: an admin decides
    assert sent.status_code == 302 and _count(ReversalRequest) == 1 and _count(Payment) == 1
    admin = make_user(Role.ADMIN)
    login(admin)
    page = client.get("/admin/reversals").get_data(as_text=True)
    assert result.receipt_number in page and REASON in page
    request_id = db.session.scalar(select(ReversalRequest.id))
    done = client.post(f"/admin/reversals/{request_id}", data={"decision": "approve", "note": ""})
    assert done.status_code == 302
    assert _count(Payment) == 2
    assert db.session.get(User, admin.id) is not None


def test_the_api_refuses_a_reversal_the_policy_keeps_for_an_admin(client):
    from tests.factories import make_api_token, token_headers

    result = pay(make_enrollment(), "800.00", cashier=make_cashier())
    other = make_cashier()
    response = client.post(f"/api/v1/cashier/payment/{result.payment_id}/reverse/", json={"reason": REASON},
                           headers=token_headers(make_api_token(other)))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "approval_required"
    assert _count(Payment) == 1
