"""Who may reverse a payment alone (the reversal policy, README "Security").

An administrator may reverse any payment. A cashier may reverse alone only a payment they
recorded themselves, on the same Manila day; anything else (another cashier's payment, an
earlier day's) is a request that an administrator approves or rejects. The admin setting
`reversal_needs_approval` switches the rule (on by default); `reversal_reason_min` is the
shortest reason accepted (15 characters, never fewer)."""
from __future__ import annotations

from richwell.models import Payment, Role, User
from richwell.services.platform import clock, settings
from richwell.services.platform.clock import MANILA
from richwell.services.platform.errors import Forbidden, ValidationError
from richwell.services.platform.text import check_text

REASON_MAX = 500


def may_reverse_alone(payment: Payment, actor: User | None) -> bool:
    """True when `actor` may reverse `payment` without a second person (see the module)."""
    if actor is None:
        return False
    if actor.role == Role.ADMIN.value:
        return True
    if actor.role != Role.CASHIER.value:
        return False
    if not settings.get("reversal_needs_approval"):
        return True
    same_day = payment.created_at.astimezone(MANILA).date() == clock.today()
    return payment.cashier_id == actor.id and same_day


def require_reversal_alone(payment: Payment, actor: User) -> None:
    """Refuse (403 `approval_required`) a reversal the policy gives to an administrator."""
    if not may_reverse_alone(payment, actor):
        raise Forbidden("You may reverse alone only your own payments of today. Ask an administrator "
                        "to approve this reversal (send a reversal request).", code="approval_required")


def reversal_reason(reason: object) -> str:
    """The reason for a reversal or a request: single-spaced, at least `reversal_reason_min`
    characters (15 by default), at most 500, no control characters."""
    why = " ".join(str(reason or "").split())
    check_text(why, "reason", "The reason")
    shortest = settings.get("reversal_reason_min")
    if len(why) < shortest:
        raise ValidationError(f"Explain the reversal in at least {shortest} characters "
                              "(what went wrong, e.g. “amount typed 5000 instead of 500”).", field="reason")
    if len(why) > REASON_MAX:
        raise ValidationError(f"Keep the reason under {REASON_MAX} characters.", field="reason")
    return why
