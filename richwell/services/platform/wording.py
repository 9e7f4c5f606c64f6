"""How amounts and statuses read to people: one money format and one table of status words,
used by the pages (the `peso` and `status_label` filters), notifications and error messages.

Money is "₱ 1,234.00" with a non-breaking space so the sign never wraps away from the
amount, and a negative amount takes a real minus sign (U+2212): "−₱ 1,234.00".
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

PESO = "₱"
NBSP = "\u00a0"
MINUS = "\u2212"


def peso(value: object) -> str:
    """An amount in pesos as people read it; None (no amount) is a dash."""
    if value is None or value == "":
        return "—"
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    amount = amount.quantize(Decimal("0.01"))
    sign = MINUS if amount < 0 else ""
    return f"{sign}{PESO}{NBSP}{abs(amount):,.2f}"


# Every stored status or code word shown to people, in the school's words. Keys are the stored
# values (enums' values); a word missing here reads as its capitalised self with underscores
# turned to spaces, never as the raw upper-case code.
STATUS_LABELS: dict[str, str] = {
    # students and term enrollments
    "ACTIVE": "Active",
    "LOA": "Leave of absence",
    "WITHDRAWN": "Withdrawn",
    "GRADUATED": "Graduated",
    "HOLD": "On hold",
    # subjects taken
    "ENROLLED": "Enrolled",
    "PASSED": "Passed",
    "FAILED": "Failed",
    "INC": "Incomplete (INC)",
    "DROPPED": "Dropped",
    "CREDITED": "Credited",
    # transfer credits, change requests, reviews
    "ACCEPTED": "Accepted",
    "DISPUTED": "Disputed",
    "REJECTED": "Rejected",
    "APPROVED": "Approved",
    "PENDING": "Pending",
    "COMPLETE": "Complete",
    "INCOMPLETE": "Incomplete",
    # grade sheets and INC records
    "OPEN": "Open",
    "SUBMITTED": "Submitted",
    "FINALIZED": "Finalized",
    "RESOLVED": "Resolved",
    "EXPIRED": "Expired",
    # background work, imports, mail
    "QUEUED": "Waiting to start",
    "RUNNING": "In progress",
    "DONE": "Finished",
    "SENT": "Sent",
    "RECORDED": "Recorded",
    "DUPLICATE": "Duplicate",
    "REFUSED": "Refused",
    # permits
    "ISSUED": "Issued",
    "REVOKED": "Revoked",
    # payment methods
    "CASH": "Cash",
    "GCASH": "GCash",
    "MAYA": "Maya",
    "BANK_TRANSFER": "Bank transfer",
    "CHECK": "Check",
    # admission
    "FRESHMAN": "Freshman",
    "TRANSFEREE": "Transferee",
}

# The pill colour a status takes on a page: ok (green), warn (amber), bad (red), plain.
STATUS_KINDS: dict[str, str] = {
    "ACTIVE": "ok", "COMPLETE": "ok", "ACCEPTED": "ok", "DONE": "ok", "PASSED": "ok", "APPROVED": "ok",
    "FINALIZED": "ok", "ISSUED": "ok", "RECORDED": "ok", "SENT": "ok", "RESOLVED": "ok", "GRADUATED": "ok",
    "LOA": "warn", "PENDING": "warn", "HOLD": "warn", "DISPUTED": "warn", "QUEUED": "warn", "RUNNING": "warn",
    "INC": "warn", "SUBMITTED": "warn", "DUPLICATE": "warn", "OPEN": "warn",
    "WITHDRAWN": "bad", "INCOMPLETE": "bad", "REJECTED": "bad", "FAILED": "bad", "REVOKED": "bad",
    "REFUSED": "bad", "EXPIRED": "bad", "DROPPED": "bad",
}


def _key(value: object) -> str:
    raw = getattr(value, "value", value)
    return str(raw) if raw is not None else ""


def status_label(value: object) -> str:
    """The words for a stored status (an enum or its value)."""
    key = _key(value)
    if not key:
        return "—"
    found = STATUS_LABELS.get(key) or STATUS_LABELS.get(key.upper())
    if found:
        return found
    return key.replace("_", " ").capitalize()


def status_kind(value: object) -> str:
    """The pill colour for a status: ok, warn, bad or plain."""
    return STATUS_KINDS.get(_key(value).upper(), "plain")
