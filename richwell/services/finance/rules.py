"""The cashier's rules, pure (no database): what a valid amount, method, reference and one-time
key look like, and where money goes when it is paid or taken back.

Money is Decimal built from strings, never floats. A payment fills the earliest month not yet
fully paid, then the next, and whatever is left becomes credit balance; a reversal takes its
amount back out of the credit balance first, then the months from the latest backwards.
"""
from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple, Protocol

from richwell.models import PaymentMethod
from richwell.services.platform import wording
from richwell.services.platform.errors import DomainError, ValidationError
from richwell.services.platform.limits import AMOUNT_TEXT_MAX, IDEMPOTENCY_KEY_RE, MAX_PAYMENT

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# Plain decimal strings only (optionally with thousands commas): no exponents, no NaN/Infinity.
_AMOUNT_RE = re.compile(r"^(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?$")
_REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-_/#.]{0,59}$")
AMOUNT_HELP = "Enter the amount in pesos, like 1500 or 1500.50."


# --------------------------------------------------------------------------- due dates


def month_due_date(term_start: date, month: int, due_day: int) -> date:
    """When installment `month` of a term starting `term_start` falls due.

    Month 1 is due on the term's first day (it is paid to enroll). Month N (N >= 2) falls in
    the calendar month N-1 months after the term's start month (the month payment reminders
    name, README "Background jobs") and is due on its `due_day` (the `installment_due_day`
    setting), or on that month's last day when it is shorter.
    """
    if month < 1:
        raise ValueError("installment months count from 1")
    if month == 1:
        return term_start
    index = term_start.year * 12 + term_start.month - 1 + (month - 1)
    year, month_of_year = divmod(index, 12)
    last_day = calendar.monthrange(year, month_of_year + 1)[1]
    return date(year, month_of_year + 1, min(due_day, last_day))


def days_overdue(due: date, today: date) -> int:
    """Whole days past `due` on `today` (0 when not yet due)."""
    return max((today - due).days, 0)


# --------------------------------------------------------------------------- validation


def _amount_text(raw: object, field_name: str) -> str:
    """The amount as typed text; a float is a programming error (money is never a float)."""
    if isinstance(raw, float):
        raise TypeError("money must be a Decimal or str, never a float")
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise ValidationError(AMOUNT_HELP, field=field_name)
        return format(raw, "f")
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    return str(raw if raw is not None else "").strip()


def parse_amount(raw: object, field_name: str = "amount") -> Decimal:
    """A payment amount: more than zero, at most 2 decimals, at most MAX_PAYMENT, written as a
    plain decimal (text like `1e6`, `NaN` or `Infinity` is refused)."""
    text = _amount_text(raw, field_name)
    if not text:
        raise ValidationError("Enter the amount received.", field=field_name)
    if len(text) > AMOUNT_TEXT_MAX:
        raise ValidationError(f"The amount may be at most {wording.peso(MAX_PAYMENT)}.", field=field_name)
    negative = text.startswith("-")
    if negative:
        text = text[1:].strip()
    if not _AMOUNT_RE.match(text):
        raise ValidationError(AMOUNT_HELP, field=field_name)
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern already guarantees a number
        raise ValidationError(AMOUNT_HELP, field=field_name) from None
    if negative or value <= 0:
        raise ValidationError("The amount must be more than zero.", field=field_name)
    if value != value.quantize(CENT):
        raise ValidationError("The amount may have at most 2 decimals (centavos).", field=field_name)
    if value > MAX_PAYMENT:
        raise ValidationError(f"The amount may be at most {wording.peso(MAX_PAYMENT)} per payment.",
                              field=field_name)
    return value.quantize(CENT)


def parse_method(raw: object) -> PaymentMethod:
    """One of the school's payment methods: CASH, GCASH, MAYA, BANK_TRANSFER, CHECK."""
    try:
        return PaymentMethod(str(raw or "").strip().upper())
    except ValueError:
        names = ", ".join(m.label for m in PaymentMethod)
        raise ValidationError(f"Choose a payment method: {names}.", field="method") from None


def check_reference(method: PaymentMethod, raw: object) -> str | None:
    """A reference number is required for every method but cash (and ignored for cash)."""
    text = " ".join(str(raw or "").split())
    if not method.needs_reference:
        return None
    if not text:
        raise ValidationError(f"Enter the {method.label} reference number.", field="reference_number")
    if not _REFERENCE_RE.match(text):
        raise ValidationError("A reference number has up to 60 letters, digits, spaces or - _ / # .",
                              field="reference_number")
    return text


def check_idempotency_key(raw: object) -> str:
    """A payment form's one-time key: 8-100 letters, digits and _ - : . (a second submit of the
    same form replays the first payment instead of recording another)."""
    key = str(raw or "").strip()
    if not IDEMPOTENCY_KEY_RE.match(key):
        raise ValidationError("This payment form has no valid one-time key. Reload the page and try again.",
                              field="idempotency_key")
    return key


def fingerprint_of(enrollment_id: int, amount: Decimal, method: PaymentMethod, reference: str | None) -> str:
    """The request's identity for idempotency: same key + another fingerprint is refused."""
    body = f"{enrollment_id}|{amount}|{method.value}|{reference or ''}"
    return hashlib.sha256(body.encode()).hexdigest()


# --------------------------------------------------------------------------- allocation


class BucketLike(Protocol):
    """A month bucket as the allocation reads it (a MonthBucket row or plain values)."""

    @property
    def month(self) -> int: ...

    @property
    def required(self) -> Decimal: ...

    @property
    def paid(self) -> Decimal: ...


@dataclass(frozen=True)
class BucketState:
    """A month bucket as plain values (what pages and results show)."""

    month: int
    required: Decimal
    paid: Decimal
    due: date | None = None  # when it falls due (month_due_date), where the term is known
    days_overdue: int = 0  # whole days past `due` while not fully paid

    @property
    def remaining(self) -> Decimal:
        return max(self.required - self.paid, ZERO)

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue > 0

    @property
    def is_fully_paid(self) -> bool:
        return self.paid >= self.required

    @property
    def progress_percent(self) -> int:
        if not self.required:
            return 100
        return min(100, int(self.paid * 100 / self.required))


def buckets_state(buckets: Iterable[BucketLike]) -> list[BucketState]:
    """Buckets as plain values, in the order given."""
    return [BucketState(b.month, b.required, b.paid) for b in buckets]


def dated_buckets(buckets: Iterable[BucketLike], term_start: date, due_day: int, today: date) -> list[BucketState]:
    """Buckets as plain values with their due dates; a month not fully paid is overdue from
    the day after its due date (README "Installment due dates")."""
    dated = []
    for b in buckets:
        due = month_due_date(term_start, b.month, due_day)
        late = days_overdue(due, today) if b.paid < b.required else 0
        dated.append(BucketState(b.month, b.required, b.paid, due, late))
    return dated


@dataclass(frozen=True)
class AllocationPlan:
    """Where an amount goes: (month, amount) parts in month order, and the credit balance change.

    For a payment every part is positive; for a reversal every part is negative."""

    parts: tuple[tuple[int, Decimal], ...]
    credit: Decimal
    buckets_after: tuple[BucketState, ...] = ()

    @property
    def total(self) -> Decimal:
        return sum((a for _, a in self.parts), ZERO) + self.credit

    def months_completed(self, before: Sequence[BucketLike]) -> list[int]:
        """Months that were not fully paid before and are after."""
        was = {b.month: b.paid >= b.required for b in before}
        return [b.month for b in self.buckets_after if b.is_fully_paid and not was.get(b.month, False)]

    def months_uncompleted(self, before: Sequence[BucketLike]) -> list[int]:
        """Months that were fully paid before and are not after (a reversal reopened them)."""
        was = {b.month: b.paid >= b.required for b in before}
        return [b.month for b in self.buckets_after if not b.is_fully_paid and was.get(b.month, False)]


def allocate_sequentially(buckets: Iterable[BucketLike], amount: Decimal) -> AllocationPlan:
    """Money goes to the earliest bucket not yet fully paid, then the next, in month order;
    whatever is left after the last bucket becomes credit balance. Pure."""
    amount = Decimal(amount)
    if amount <= 0:
        raise ValueError("allocate a positive amount")
    left = amount
    parts: list[tuple[int, Decimal]] = []
    after: list[BucketState] = []
    for b in sorted(buckets, key=lambda b: b.month):
        take = min(max(b.required - b.paid, ZERO), left)
        if take > 0:
            parts.append((b.month, take))
            left -= take
        after.append(BucketState(b.month, b.required, b.paid + take))
    return AllocationPlan(tuple(parts), left, tuple(after))


def deallocate_latest_first(buckets: Iterable[BucketLike], credit_balance: Decimal,
                            amount: Decimal) -> AllocationPlan:
    """A reversal takes its amount back out of the credit balance first, then out of the
    buckets from the latest month backwards. Pure; parts and credit come back negative."""
    amount = Decimal(amount)
    if amount <= 0:
        raise ValueError("deallocate a positive amount")
    from_credit = min(credit_balance, amount)
    left = amount - from_credit
    ordered = sorted(buckets, key=lambda b: b.month)
    taken: dict[int, Decimal] = {}
    for b in reversed(ordered):
        if left <= 0:
            break
        take = min(b.paid, left)
        if take > 0:
            taken[b.month] = take
            left -= take
    if left > 0:
        raise DomainError("This enrollment holds less money than the payment being reversed; "
                          "the ledger needs the registrar's attention.", code="ledger_inconsistent")
    parts = tuple((m, -taken[m]) for m in sorted(taken))
    after = tuple(BucketState(b.month, b.required, b.paid - taken.get(b.month, ZERO)) for b in ordered)
    return AllocationPlan(parts, -from_credit, after)


# --------------------------------------------------------------------------- results


@dataclass
class PaymentResult:
    """What a recorded (or replayed) payment produced, as plain values: pages render it
    without touching the database again."""

    payment_id: int
    receipt_number: str
    enrollment_id: int
    student_id: int
    amount: Decimal
    method: str
    reference_number: str | None
    created_at: datetime
    allocations: list[tuple[int, Decimal]]
    credit_added: Decimal
    buckets: list[BucketState]
    credit_balance: Decimal
    permits_issued: list[str] = field(default_factory=list)
    replayed: bool = False

    @property
    def balance(self) -> Decimal:
        return sum((b.remaining for b in self.buckets), ZERO)

    @property
    def method_label(self) -> str:
        return PaymentMethod(self.method).label

    def as_response(self) -> dict[str, Any]:
        """The JSON-able body stored with the idempotency key (the API replays it)."""
        return {
            "payment_id": self.payment_id, "receipt_number": self.receipt_number,
            "enrollment_id": self.enrollment_id, "amount": str(self.amount), "method": self.method,
            "reference_number": self.reference_number, "created_at": self.created_at.isoformat(),
            "allocations": [{"month": m, "amount": str(a)} for m, a in self.allocations],
            "credit_added": str(self.credit_added), "credit_balance": str(self.credit_balance),
            "permits_issued": list(self.permits_issued),
        }

    #: what `as_response` stores that `replayed_from` needs back
    RESPONSE_FIELDS = frozenset({"payment_id", "receipt_number", "enrollment_id", "amount", "method",
                                 "reference_number", "created_at", "allocations", "credit_added",
                                 "credit_balance", "permits_issued"})

    @classmethod
    def replayed_from(cls, stored: dict[str, Any], student_id: int, buckets: Sequence[BucketState]) -> PaymentResult:
        """The first result again, from the body `as_response` stored with its key; `buckets`
        are the months as they stand now (what a replay shows beside the first receipt)."""
        return cls(
            payment_id=stored["payment_id"], receipt_number=stored["receipt_number"],
            enrollment_id=stored["enrollment_id"], student_id=student_id, amount=Decimal(stored["amount"]),
            method=stored["method"], reference_number=stored["reference_number"],
            created_at=datetime.fromisoformat(stored["created_at"]),
            allocations=[(a["month"], Decimal(a["amount"])) for a in stored["allocations"]],
            credit_added=Decimal(stored["credit_added"]), buckets=list(buckets),
            credit_balance=Decimal(stored["credit_balance"]), permits_issued=list(stored["permits_issued"]),
            replayed=True)


class MonthAmount(NamedTuple):
    """Money put into (positive) or taken out of (negative) one installment month."""

    month: int
    amount: Decimal


@dataclass
class ReversalResult:
    """A recorded reversal as plain values. It has no receipt number of its own (it voids the
    original's); its allocations are negative, in month order."""

    id: int
    reverses_id: int
    amount: Decimal
    method: str
    credit_change: Decimal
    reason: str
    created_at: datetime
    allocations: list[MonthAmount]
    permits_revoked: list[str]
    receipt_number: str | None = None


@dataclass(frozen=True)
class Preview:
    """Where an amount would go if recorded now (nothing is written)."""

    amount: Decimal
    plan: AllocationPlan
    credit_balance_after: Decimal
    months_completed: list[int]
    exams_unlocked: list[str]

    @property
    def balance_after(self) -> Decimal:
        return sum((b.remaining for b in self.plan.buckets_after), ZERO)
