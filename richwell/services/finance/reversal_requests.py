"""Reversal requests: the second person of the reversal policy.

A cashier who may not reverse a payment alone (`reversal_policy`) asks for it with a reason;
an administrator approves (the reversal is made in the same transaction, by the approver, with
the cashier's reason) or rejects with a note. One request waits per payment at a time; every
step is audited and the requesting cashier is told the decision."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import Payment, ReversalRequest, ReversalRequestStatus, Role, User
from richwell.services.platform import audit, clock, notifications
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from richwell.services.platform.text import check_text
from richwell.services.platform.unit_of_work import unit_of_work

from . import ledger
from .reversal_policy import reversal_reason

NOTE_MAX = 500
PENDING = ReversalRequestStatus.PENDING.value


@dataclass(frozen=True)
class WaitingRequest:
    """A request as the administrator's list shows it."""

    id: int
    receipt_number: str
    amount: Decimal
    paid_at: datetime
    recorded_by: str
    student_number: str
    student_name: str
    requested_by: str
    requested_at: datetime
    reason: str


def request_reversal(payment_id: int, reason: object, actor: User) -> ReversalRequest:
    """A cashier asks an administrator to reverse a payment (reason as for a reversal). Refused
    for a reversal, a payment already reversed, or one with a request already waiting."""
    if actor is None or actor.role != Role.CASHIER.value:
        raise Forbidden("Only cashiers send reversal requests; administrators reverse directly.")
    why = reversal_reason(reason)
    try:
        with unit_of_work():
            payment = db.session.get(Payment, payment_id)
            if payment is None:
                raise NotFound("That payment does not exist.")
            if payment.is_reversal:
                raise DomainError("A reversal cannot itself be reversed.", code="reversal_of_reversal")
            if payment.reversal is not None:
                raise Conflict(f"Receipt {payment.receipt_number} was already reversed.", code="already_reversed")
            request = ReversalRequest(payment_id=payment.id, requested_by_id=actor.id, reason=why,
                                      status=PENDING, created_at=clock.now())
            db.session.add(request)
            db.session.flush()  # the partial unique index: one waiting request per payment
            audit.record(actor, "payment.reversal_request", payment, reason=why,
                         after={"request_id": request.id, "receipt_number": payment.receipt_number,
                                "amount": payment.amount})
            admins = db.session.scalars(select(User.id).where(User.role == Role.ADMIN.value,
                                                              User.is_active_account.is_(True)))
            for admin_id in admins:
                notifications.notify(admin_id, "reversal_request",
                                     f"{actor.full_name} asks to reverse receipt {payment.receipt_number} "
                                     f"(PHP {payment.amount:,.2f}): {why}", "/admin/reversals")
    except IntegrityError:
        raise Conflict("A reversal request for this receipt is already waiting for an administrator.",
                       code="request_waiting") from None
    return request


def waiting_requests(viewer: User) -> list[WaitingRequest]:
    """The requests waiting for a decision, oldest first (administrators only)."""
    _require_admin(viewer)
    rows = db.session.scalars(select(ReversalRequest).where(ReversalRequest.status == PENDING)
                              .order_by(ReversalRequest.created_at, ReversalRequest.id)).all()
    out = []
    for r in rows:
        payment = r.payment
        student = payment.enrollment.student
        out.append(WaitingRequest(r.id, payment.receipt_number or "", payment.amount, payment.created_at,
                                  payment.cashier.full_name if payment.cashier else "", student.student_number,
                                  student.user.full_name, r.requested_by.full_name, r.created_at, r.reason))
    return out


def decide_reversal(request_id: int, approve: bool, note: object, actor: User) -> ReversalRequest:
    """An administrator approves (the payment is reversed now, with the cashier's reason) or
    rejects (a note is required) a waiting request. The request row is locked, so two
    administrators deciding at once decide once; the reversal itself is once per payment."""
    _require_admin(actor)
    text = " ".join(str(note or "").split())
    check_text(text, "note", "The note")
    if len(text) > NOTE_MAX:
        raise ValidationError(f"Keep the note under {NOTE_MAX} characters.", field="note")
    if not approve and len(text) < 5:
        raise ValidationError("Say why the reversal is refused (a note of at least 5 characters).", field="note")
    with unit_of_work():
        request = db.session.scalar(select(ReversalRequest).where(ReversalRequest.id == request_id)
                                    .with_for_update().execution_options(populate_existing=True))
        if request is None:
            raise NotFound("That reversal request does not exist.")
        if request.status != PENDING:
            raise Conflict(f"That request was already {request.status.lower()}.", code="already_decided")
        receipt = request.payment.receipt_number
        request.status = (ReversalRequestStatus.APPROVED if approve else ReversalRequestStatus.REJECTED).value
        request.decided_by_id, request.decided_at, request.decision_note = actor.id, clock.now(), text or None
        if approve:
            reversal = ledger.reverse_payment(request.payment_id, request.reason, actor)
            request.reversal_id = reversal.id
        audit.record(actor, "payment.reversal_approve" if approve else "payment.reversal_reject", request.payment,
                     reason=text or None, after={"request_id": request.id, "requested_by": request.requested_by_id})
        notifications.notify(request.requested_by_id, "reversal_request",
                             f"Your request to reverse receipt {receipt} was "
                             f"{'approved: the payment is reversed' if approve else 'rejected'}"
                             f"{': ' + text if text else ''}.", f"/receipts/{receipt}")
    return request


def _require_admin(actor: User | None) -> None:
    if actor is None or actor.role != Role.ADMIN.value:
        raise Forbidden("Only an administrator decides reversal requests.")
