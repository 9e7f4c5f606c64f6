"""Cashier payments: sequential allocation, gapless official receipts, idempotent recording,
reversals, the cashier's student search and the end-of-day report.

Money is Decimal built from strings; every write happens in one transaction with the
term enrollment and its month buckets locked (PostgreSQL row locks; SQLite serialises
writers with BEGIN IMMEDIATE).
"""
from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Protocol

from sqlalchemy import and_, bindparam, case, func, insert, select, type_coerce, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from richwell.extensions import db
from richwell.models import (
    ExamMonthMapping,
    IdempotencyRecord,
    Money,
    MonthBucket,
    Payment,
    PaymentAllocation,
    PaymentKind,
    PaymentMethod,
    ReceiptCounter,
    Role,
    Student,
    Term,
    TermEnrollment,
    TermEnrollmentStatus,
    User,
)
from richwell.models.finance import NAME_WORDS
from richwell.services.platform import audit, clock, notifications
from richwell.services.platform.clock import MANILA
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from richwell.services.platform.limits import AMOUNT_TEXT_MAX, IDEMPOTENCY_KEY_RE, MAX_PAYMENT
from richwell.services.platform.sql import cached_statement, insert_rows
from richwell.services.platform.unit_of_work import unit_of_work

from . import permits, receipts

log = logging.getLogger(__name__)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# Plain decimal strings only (optionally with thousands commas): no exponents, no NaN/Infinity.
_AMOUNT_RE = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-_/#.]{0,59}$")
AMOUNT_HELP = "Enter the amount in pesos, like 1500 or 1500.50."


# --------------------------------------------------------------------------- validation


def parse_amount(raw, field_name: str = "amount") -> Decimal:
    """A payment amount: more than zero, at most 2 decimals, at most MAX_PAYMENT, written as a
    plain decimal (text like `1e6`, `NaN` or `Infinity` is refused)."""
    if isinstance(raw, float):
        raise TypeError("money must be a Decimal or str, never a float")
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise ValidationError(AMOUNT_HELP, field=field_name)
        text = format(raw, "f")
    elif isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw)
    else:
        text = str(raw if raw is not None else "").strip()
    if not text:
        raise ValidationError("Enter the amount received.", field=field_name)
    if len(text) > AMOUNT_TEXT_MAX:
        raise ValidationError(f"The amount may be at most PHP {MAX_PAYMENT:,.2f}.", field=field_name)
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
        raise ValidationError(f"The amount may be at most PHP {MAX_PAYMENT:,.2f} per payment.",
                              field=field_name)
    return value.quantize(CENT)


def parse_method(raw) -> PaymentMethod:
    """One of the school's payment methods: CASH, GCASH, MAYA, BANK_TRANSFER, CHECK."""
    try:
        return PaymentMethod(str(raw or "").strip().upper())
    except ValueError:
        names = ", ".join(m.label for m in PaymentMethod)
        raise ValidationError(f"Choose a payment method: {names}.", field="method") from None


def check_reference(method: PaymentMethod, raw) -> str | None:
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


def check_idempotency_key(raw) -> str:
    key = str(raw or "").strip()
    if not IDEMPOTENCY_KEY_RE.match(key):
        raise ValidationError("This payment form has no valid one-time key. Reload the page and try again.",
                              field="idempotency_key")
    return key


def fingerprint_of(enrollment_id: int, amount: Decimal, method: PaymentMethod, reference: str | None) -> str:
    """The request's identity for idempotency: same key + another fingerprint is refused."""
    body = f"{enrollment_id}|{amount}|{method.value}|{reference or ''}"
    return hashlib.sha256(body.encode()).hexdigest()


def _require_role(actor: User | None, *roles: Role, doing: str) -> User:
    if actor is None or actor.role not in {r.value for r in roles}:
        raise Forbidden(f"Only {' or '.join(r.label.lower() for r in roles)} staff may {doing}.")
    return actor


# --------------------------------------------------------------------------- allocation (pure)


class BucketLike(Protocol):
    month: int
    required: Decimal
    paid: Decimal


@dataclass(frozen=True)
class BucketState:
    """A month bucket as plain values (what pages and results show)."""

    month: int
    required: Decimal
    paid: Decimal

    @property
    def remaining(self) -> Decimal:
        return max(self.required - self.paid, ZERO)

    @property
    def is_fully_paid(self) -> bool:
        return self.paid >= self.required

    @property
    def progress_percent(self) -> int:
        if not self.required:
            return 100
        return min(100, int(self.paid * 100 / self.required))


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

    def as_response(self) -> dict:
        """The JSON-able body stored with the idempotency key (the API replays it)."""
        return {
            "payment_id": self.payment_id, "receipt_number": self.receipt_number,
            "enrollment_id": self.enrollment_id, "amount": str(self.amount), "method": self.method,
            "reference_number": self.reference_number, "created_at": self.created_at.isoformat(),
            "allocations": [{"month": m, "amount": str(a)} for m, a in self.allocations],
            "credit_added": str(self.credit_added), "credit_balance": str(self.credit_balance),
            "permits_issued": list(self.permits_issued),
        }


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


# --------------------------------------------------------------------------- loading

# The hot path speaks to the tables directly (Core): the counter handles hundreds of payments
# a minute and the ORM's unit of work would cost more than the SQL itself.
_ENROLLMENTS = TermEnrollment.__table__
_BUCKETS = MonthBucket.__table__
_PAYMENTS = Payment.__table__
_ALLOCATIONS = PaymentAllocation.__table__
_KEYS = IdempotencyRecord.__table__
_MAPPINGS = ExamMonthMapping.__table__
_STUDENTS = Student.__table__


@dataclass(frozen=True)
class _Bucket:
    id: int
    month: int
    required: Decimal
    paid: Decimal


@dataclass
class _Locked:
    enrollment_id: int
    student_id: int
    status: str
    credit_balance: Decimal
    buckets: list[_Bucket]
    student_user_id: int
    student_number: str
    exam_months: dict[str, int]
    key_payment_id: int | None = None
    key_fingerprint: str | None = None
    key_used: bool = False




_statement = cached_statement


def _lock_statement(with_key: bool):
    e, b, s, m = _ENROLLMENTS.c, _BUCKETS.c, _STUDENTS.c, _MAPPINGS.c
    columns = [e.id, e.student_id, e.status, e.credit_balance, b.id, b.month, b.required, b.paid,
               s.user_id, s.student_number, m.prelim_month, m.midterm_month, m.prefinal_month, m.final_month]
    joined = (_ENROLLMENTS.join(_BUCKETS, b.term_enrollment_id == e.id).join(_STUDENTS, s.id == e.student_id)
              .outerjoin(_MAPPINGS, m.term_id == e.term_id))
    if with_key:
        k = _KEYS.c
        columns += [k.id, k.payment_id, k.fingerprint]
        joined = joined.outerjoin(_KEYS, and_(k.scope == bindparam("scope"), k.key == bindparam("key")))
    return (select(*columns).select_from(joined).where(e.id == bindparam("enrollment_id")).order_by(b.month)
            .with_for_update(of=[_ENROLLMENTS, _BUCKETS]))


def _lock_enrollment(enrollment_id: int, scope: str | None = None, key: str | None = None) -> _Locked | None:
    """One statement: the enrollment and its buckets locked FOR UPDATE (so the allocation reads
    the latest committed amounts; PostgreSQL re-reads locked rows after waiting), with the
    student's ids, the term's exam mapping and any earlier use of the idempotency key joined in.
    A same-key request still in flight is not visible here; the unique key is the final guard."""
    with_key = key is not None
    params = {"enrollment_id": enrollment_id, **({"scope": scope, "key": key} if with_key else {})}
    rows = db.session.execute(_statement("lock", _lock_statement, with_key), params).all()
    if not rows:
        return None
    first = rows[0]
    if first[10] is None:
        mapping = permits.default_exam_months()
    else:
        mapping = dict(zip(permits.EXAM_ORDER, first[10:14]))
    locked = _Locked(first[0], first[1], first[2], first[3], [_Bucket(r[4], r[5], r[6], r[7]) for r in rows],
                     first[8], first[9], mapping)
    if with_key and first[14] is not None:
        locked.key_used, locked.key_payment_id, locked.key_fingerprint = True, first[15], first[16]
    return locked


def _buckets_state(buckets: Iterable[BucketLike]) -> list[BucketState]:
    return [BucketState(b.month, b.required, b.paid) for b in buckets]


def _bucket_update_statement(parts: int):
    b = _BUCKETS.c
    ids = [bindparam(f"id{i}") for i in range(parts)]
    delta = case({ids[i]: bindparam(f"delta{i}", type_=Money()) for i in range(parts)}, value=b.id)
    return update(_BUCKETS).where(b.id.in_(ids)).values(paid=b.paid + delta)


def _credit_update_statement(bucket_parts: int):
    e = _ENROLLMENTS.c
    stmt = (update(_ENROLLMENTS).where(e.id == bindparam("enrollment_id"))
            .values(credit_balance=e.credit_balance + bindparam("delta", type_=Money())))
    if bucket_parts:
        # PostgreSQL: the buckets' UPDATE rides along as a data-modifying WITH (one statement).
        stmt = stmt.add_cte(_bucket_update_statement(bucket_parts).cte("touched_buckets"))
    return stmt


def _apply_to_buckets(locked: _Locked, plan: AllocationPlan) -> None:
    """One UPDATE for every touched bucket (paid = paid + its part, relative so it can never
    lose a change) and the credit balance when it moves (on PostgreSQL both in one statement)."""
    params: dict[str, object] = {"enrollment_id": locked.enrollment_id, "delta": plan.credit}
    by_month = {bk.month: bk.id for bk in locked.buckets}
    for i, (month, amount) in enumerate(plan.parts):
        params[f"id{i}"], params[f"delta{i}"] = by_month[month], amount
    parts = len(plan.parts)
    together = bool(parts and plan.credit) and db.session.get_bind().dialect.name == "postgresql"
    if parts and not together:
        db.session.execute(_statement("buckets", _bucket_update_statement, parts), params)
    if plan.credit:
        db.session.execute(_statement("credit", _credit_update_statement, parts if together else 0), params)


def _insert_allocations(payment_id: int, locked: _Locked, plan: AllocationPlan) -> None:
    """All of a payment's allocations in one INSERT."""
    by_month = {bk.month: bk.id for bk in locked.buckets}
    insert_rows(_ALLOCATIONS, [{"payment_id": payment_id, "month_bucket_id": by_month[m], "month": m, "amount": a}
                               for m, a in plan.parts])


def _counter_statement(dialect: str):
    counter = ReceiptCounter.__table__
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return (dialect_insert(counter).values(year=bindparam("year"), last_value=1)
            .on_conflict_do_update(index_elements=[counter.c.year], set_={"last_value": counter.c.last_value + 1})
            .returning(counter.c.last_value))


def next_receipt_number(year: int) -> str:
    """The next OR-YYYY-NNNNNN of the year. The counter row stays locked until the caller's
    transaction ends, and a rollback gives the number back: numbers are gapless."""
    dialect = db.session.get_bind().dialect.name
    value = db.session.execute(_statement("counter", _counter_statement, dialect), {"year": year}).scalar_one()
    if value > 999_999:
        raise DomainError(f"Receipt numbers for {year} are exhausted.", code="receipts_exhausted")
    return f"OR-{year}-{value:06d}"


# --------------------------------------------------------------------------- services


def preview_allocation(enrollment_id: int, amount) -> Preview:
    """Where `amount` would go if recorded now: earliest unpaid month first, the rest to
    credit balance, and which exam permits it would unlock. Writes nothing."""
    value = parse_amount(amount)
    enrollment = db.session.scalar(
        select(TermEnrollment).options(selectinload(TermEnrollment.buckets))
        .where(TermEnrollment.id == enrollment_id))
    if enrollment is None:
        raise NotFound("That enrollment does not exist.")
    plan = allocate_sequentially(enrollment.buckets, value)
    completed = plan.months_completed(enrollment.buckets)
    mapping = permits.exam_months(enrollment.term_id)
    unlocked = [exam for exam, month in mapping.items() if month in completed]
    return Preview(value, plan, enrollment.credit_balance + plan.credit, completed, unlocked)


def record_payment(enrollment_id: int, amount, method, reference_number, cashier: User,
                   idempotency_key: str, fingerprint: str | None = None) -> PaymentResult:
    """Record money received, in one transaction: lock the enrollment, allocate sequentially
    (earliest unpaid month first, the rest to credit balance), store the allocations, take
    the next gapless official receipt number, issue the permits of every mapped month that
    became fully paid, notify the student and audit. Replaying the same one-time key returns
    the first result and records nothing; the same key with another request is refused."""
    _require_role(cashier, Role.CASHIER, doing="record payments")
    value = parse_amount(amount)
    how = parse_method(method)
    reference = check_reference(how, reference_number)
    key = check_idempotency_key(idempotency_key)
    fingerprint = fingerprint or fingerprint_of(enrollment_id, value, how, reference)
    scope = f"payment:{cashier.id}"

    try:
        with unit_of_work():
            locked = _lock_enrollment(enrollment_id, scope, key)
            if locked is None or locked.key_used:
                result = None
            else:
                result = _record(locked, value, how, reference, cashier, scope, key, fingerprint)
    except IntegrityError:
        # Another request with this key committed while we worked: answer with its result.
        existing = _find_record(scope, key)
        if existing is None:
            raise
        return _replay_or_refuse(scope, key, fingerprint, record=existing)
    if result is None:
        return _replay_or_refuse(scope, key, fingerprint, missing=locked is None)
    return result


def _record(locked: _Locked, value: Decimal, how: PaymentMethod, reference: str | None, cashier: User,
            scope: str, key: str, fingerprint: str) -> PaymentResult:
    """The writes of one payment, in the caller's unit of work (record_payment's rule)."""
    if locked.status == TermEnrollmentStatus.WITHDRAWN.value:
        raise DomainError(f"{locked.student_number} has withdrawn from this term; "
                          "no payment can be recorded.", code="enrollment_withdrawn")

    plan = allocate_sequentially(locked.buckets, value)
    completed = plan.months_completed(locked.buckets)
    _apply_to_buckets(locked, plan)
    issued = permits.issue_for_months(locked.enrollment_id, completed, locked.exam_months)

    # Taken last: the counter row stays locked until commit, so keep that window short.
    receipt_number = next_receipt_number(clock.today().year)
    created = clock.now()
    payment_id = db.session.execute(_statement("payment", lambda: insert(_PAYMENTS).returning(_PAYMENTS.c.id)), {
        "term_enrollment_id": locked.enrollment_id, "kind": PaymentKind.PAYMENT.value, "amount": value,
        "method": how.value, "reference_number": reference, "cashier_id": cashier.id, "created_at": created,
        "receipt_number": receipt_number, "credit_change": plan.credit}).scalar_one()
    _insert_allocations(payment_id, locked, plan)
    result = PaymentResult(
        payment_id=payment_id, receipt_number=receipt_number, enrollment_id=locked.enrollment_id,
        student_id=locked.student_id, amount=value, method=how.value, reference_number=reference,
        created_at=created, allocations=list(plan.parts), credit_added=plan.credit,
        buckets=list(plan.buckets_after), credit_balance=locked.credit_balance + plan.credit,
        permits_issued=[exam for exam, _ in issued])
    db.session.execute(_statement("key", lambda: insert(_KEYS)), {
        "scope": scope, "key": key, "fingerprint": fingerprint, "payment_id": payment_id,
        "response": result.as_response(), "created_at": created})
    notifications.notify(locked.student_user_id, "payment_received",
                         f"Payment of PHP {value:,.2f} received ({how.label}). "
                         f"Official receipt {receipt_number}.", link=receipts.receipt_path(receipt_number))
    permits.notify_issued(locked.student_user_id, issued)
    audit.record(cashier, "payment.record", target_type="Payment", target_id=payment_id,
                 before={"buckets_paid": {b.month: b.paid for b in locked.buckets},
                         "credit_balance": locked.credit_balance},
                 after={"receipt_number": receipt_number, "student": locked.student_number,
                        "amount": value, "method": how.value, "reference_number": reference,
                        "allocations": {m: a for m, a in plan.parts}, "credit_added": plan.credit,
                        "permits_issued": result.permits_issued})
    receipts.queue_pdf(payment_id)
    return result


def _find_record(scope: str, key: str) -> IdempotencyRecord | None:
    return db.session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.scope == scope,
                                                             IdempotencyRecord.key == key))


def _replay_or_refuse(scope: str, key: str, fingerprint: str, *, record: IdempotencyRecord | None = None,
                      missing: bool = False) -> PaymentResult:
    record = record or _find_record(scope, key)
    if record is None:
        if missing:
            raise NotFound("That enrollment does not exist.")
        raise Conflict("This payment could not be matched to its one-time key; reload and try again.")
    if record.fingerprint != fingerprint:
        raise Conflict("This payment form was already used for a different payment. "
                       "Reload the page to get a fresh form.", code="idempotency_mismatch")
    stored = record.response or {}
    result = result_for(record.payment_id, replayed=True, permits_issued=list(stored.get("permits_issued", [])))
    if "credit_balance" in stored:
        # The first result, not the balance as it stands now: a replay answers the same body.
        result.credit_balance = Decimal(stored["credit_balance"])
    return result


def result_for(payment_id: int, *, replayed: bool = False, permits_issued: Sequence[str] = ()) -> PaymentResult:
    """A recorded payment as a PaymentResult, with the enrollment as it stands now."""
    payment = db.session.scalar(select(Payment).options(selectinload(Payment.allocations))
                                .where(Payment.id == payment_id))
    if payment is None or payment.is_reversal:
        raise NotFound("That payment does not exist.")
    enrollment = db.session.scalar(select(TermEnrollment).options(selectinload(TermEnrollment.buckets))
                                   .where(TermEnrollment.id == payment.term_enrollment_id))
    return PaymentResult(
        payment_id=payment.id, receipt_number=payment.receipt_number, enrollment_id=enrollment.id,
        student_id=enrollment.student_id, amount=payment.amount, method=payment.method,
        reference_number=payment.reference_number, created_at=payment.created_at,
        allocations=[(a.month, a.amount) for a in payment.allocations], credit_added=payment.credit_change,
        buckets=_buckets_state(enrollment.buckets), credit_balance=enrollment.credit_balance,
        permits_issued=list(permits_issued), replayed=replayed)


def reverse_payment(payment_id: int, reason: str, actor: User) -> Payment:
    """Void a payment (cashier or admin, reason required): its money comes back out of the
    credit balance first, then the buckets from the latest month backwards; a permit whose
    mapped month is no longer fully paid is revoked (student notified). The original stays in
    the ledger, marked reversed; a payment is reversed at most once. Audited. Returns the
    reversal; its `permits_revoked` (not a column) lists the exams whose permits were revoked."""
    _require_role(actor, Role.CASHIER, Role.ADMIN, doing="reverse payments")
    why = " ".join(str(reason or "").split())
    if len(why) < 5:
        raise ValidationError("Give the reason for the reversal (at least 5 characters).", field="reason")
    if len(why) > 500:
        raise ValidationError("Keep the reason under 500 characters.", field="reason")
    original = db.session.get(Payment, payment_id)
    if original is None:
        raise NotFound("That payment does not exist.")
    if original.is_reversal:
        raise DomainError("A reversal cannot itself be reversed; record a new payment instead.",
                          code="reversal_of_reversal")
    try:
        locked = _lock_enrollment(original.term_enrollment_id)
        already = db.session.scalar(select(Payment).where(Payment.reverses_id == original.id))
        if already is not None:
            raise Conflict(f"Receipt {original.receipt_number} was already reversed on "
                           f"{already.created_at.astimezone(MANILA):%b %d, %Y}.", code="already_reversed")
        plan = deallocate_latest_first(locked.buckets, locked.credit_balance, original.amount)
        _apply_to_buckets(locked, plan)
        reopened = plan.months_uncompleted(locked.buckets)
        revoked = permits.revoke_for_months(locked.enrollment_id, reopened, locked.exam_months)

        reversal = Payment(term_enrollment_id=locked.enrollment_id, kind=PaymentKind.REVERSAL.value,
                           amount=-original.amount, method=original.method, cashier_id=actor.id,
                           created_at=clock.now(), credit_change=plan.credit, reverses_id=original.id, reason=why)
        db.session.add(reversal)
        db.session.flush()
        _insert_allocations(reversal.id, locked, plan)
        permits.notify_revoked(locked.student_user_id, revoked, original.receipt_number)
        audit.record(actor, "payment.reverse", original, reason=why,
                     before={"buckets_paid": {b.month: b.paid for b in locked.buckets},
                             "credit_balance": locked.credit_balance},
                     after={"reversal_id": reversal.id, "receipt_number": original.receipt_number,
                            "student": locked.student_number, "amount": original.amount,
                            "deallocations": {m: a for m, a in plan.parts}, "credit_removed": -plan.credit,
                            "permits_revoked": revoked})
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"Receipt {original.receipt_number} was already reversed.", code="already_reversed") from None
    except BaseException:
        db.session.rollback()
        raise
    receipts.queue_pdf(original.id)  # the receipt's PDF now carries the VOID mark
    reversal.permits_revoked = revoked
    return reversal


# --------------------------------------------------------------------------- reading


def get_enrollment(enrollment_id: int) -> TermEnrollment:
    enrollment = db.session.scalar(
        select(TermEnrollment).options(selectinload(TermEnrollment.buckets), selectinload(TermEnrollment.term))
        .where(TermEnrollment.id == enrollment_id))
    if enrollment is None:
        raise NotFound("That enrollment does not exist.")
    return enrollment


def enrollments_of(student_id: int) -> list[TermEnrollment]:
    """A student's term enrollments, newest term first, with buckets and term loaded."""
    return list(db.session.scalars(
        select(TermEnrollment).join(Term, Term.id == TermEnrollment.term_id)
        .options(selectinload(TermEnrollment.buckets), contains_eager(TermEnrollment.term))
        .where(TermEnrollment.student_id == student_id)
        .order_by(Term.is_current.desc(), Term.start_date.desc())))


def history(enrollment_id: int) -> list[Payment]:
    """The enrollment's ledger, newest first (payments and reversals, with allocations)."""
    return list(db.session.scalars(
        select(Payment).options(selectinload(Payment.allocations), selectinload(Payment.reversal),
                                selectinload(Payment.cashier))
        .where(Payment.term_enrollment_id == enrollment_id)
        .order_by(Payment.created_at.desc(), Payment.id.desc())))


def get_payment(payment_id: int) -> Payment:
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("That payment does not exist.")
    return payment


@dataclass(frozen=True)
class StudentHit:
    student_id: int
    student_number: str
    name: str
    program: str
    status: str
    enrollment_id: int | None
    balance: Decimal | None
    credit_balance: Decimal | None


SEARCH_LIMIT = 20


def search_students(q: str, limit: int = SEARCH_LIMIT) -> list[StudentHit]:
    """Students whose number starts with `q`, or whose names have a part starting with every
    word of `q` (case-insensitive); at most 20, with the current term's balance."""
    from richwell.models import Program

    text = " ".join(str(q or "").split())[:60].lower()
    if not text:
        return []
    limit = max(1, min(limit, SEARCH_LIMIT))
    stmt = (select(Student.id, Student.student_number, User.first_name, User.middle_name, User.last_name,
                   Program.code, Student.status)
            .join(User, User.id == Student.user_id).join(Program, Program.id == Student.program_id))
    if re.fullmatch(r"[0-9][0-9\-]*", text):
        stmt = stmt.where(Student.student_number.like(_escape(text) + "%", escape="\\"))
    else:
        # Every typed word starts some word of the name: "cruz" finds Dela Cruz, "ma san" Maria Santos.
        for word in text.split(" ")[:4]:
            stmt = stmt.where(NAME_WORDS.like(f"% {_escape(word)}%", escape="\\"))
    rows = db.session.execute(stmt.order_by(User.last_name, User.first_name, Student.student_number)
                              .limit(limit)).all()
    if not rows:
        return []
    balances = _current_balances([r[0] for r in rows])
    hits = []
    for sid, number, first, middle, last, program, status in rows:
        enrollment_id, balance, credit = balances.get(sid, (None, None, None))
        name = f"{last}, {first}" + (f" {middle}" if middle else "")
        hits.append(StudentHit(sid, number, name, program, status, enrollment_id, balance, credit))
    return hits


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _current_balances(student_ids: list[int]) -> dict[int, tuple[int, Decimal, Decimal]]:
    """student id → (current term enrollment id, balance, credit balance), one query."""
    rows = db.session.execute(
        select(TermEnrollment.student_id, TermEnrollment.id, TermEnrollment.credit_balance,
               type_coerce(func.sum(MonthBucket.required - MonthBucket.paid), Money()))
        .join(Term, and_(Term.id == TermEnrollment.term_id, Term.is_current.is_(True)))
        .join(MonthBucket, MonthBucket.term_enrollment_id == TermEnrollment.id)
        .where(TermEnrollment.student_id.in_(student_ids))
        .group_by(TermEnrollment.student_id, TermEnrollment.id, TermEnrollment.credit_balance)).all()
    return {sid: (eid, due if due is not None else ZERO, credit) for sid, eid, credit, due in rows}


# --------------------------------------------------------------------------- end of day


@dataclass
class DayTotals:
    count: int = 0
    payments: Decimal = ZERO
    reversals: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.payments + self.reversals


@dataclass
class DaySummary:
    day: date
    rows: list[Payment]
    by_method: dict[str, DayTotals]
    by_cashier: dict[str, DayTotals]
    total: DayTotals


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A school-clock day as a UTC [start, end) range."""
    start = datetime.combine(day, time.min, tzinfo=MANILA)
    return start, start + timedelta(days=1)


def end_of_day(day: date | None = None, cashier_id: int | None = None) -> DaySummary:
    """The day's payments and reversals (school clock), by method and by cashier, with totals."""
    day = day or clock.today()
    start, end = day_bounds(day)
    stmt = (select(Payment).options(selectinload(Payment.cashier), selectinload(Payment.reverses),
                                    selectinload(Payment.enrollment).selectinload(TermEnrollment.student)
                                    .selectinload(Student.user))
            .where(Payment.created_at >= start, Payment.created_at < end)
            .order_by(Payment.created_at, Payment.id))
    if cashier_id is not None:
        stmt = stmt.where(Payment.cashier_id == cashier_id)
    rows = list(db.session.scalars(stmt))
    by_method: dict[str, DayTotals] = {}
    by_cashier: dict[str, DayTotals] = {}
    total = DayTotals()
    for p in rows:
        for bucket in (by_method.setdefault(p.method_label, DayTotals()),
                       by_cashier.setdefault(p.cashier.full_name, DayTotals()), total):
            bucket.count += 1
            if p.is_reversal:
                bucket.reversals += p.amount
            else:
                bucket.payments += p.amount
    return DaySummary(day, rows, dict(sorted(by_method.items())), dict(sorted(by_cashier.items())), total)


# --------------------------------------------------------------------------- the student's account


@dataclass
class Account:
    """A student's standing with the cashier for one term: buckets, balance, permits, ledger."""

    student: Student
    enrollments: list[TermEnrollment]
    enrollment: TermEnrollment | None
    exam_states: list = field(default_factory=list)
    ledger: list[Payment] = field(default_factory=list)

    @property
    def buckets(self) -> list[BucketState]:
        return _buckets_state(self.enrollment.buckets) if self.enrollment else []

    @property
    def can_pay(self) -> bool:
        return self.enrollment is not None and self.enrollment.status != TermEnrollmentStatus.WITHDRAWN.value


def account(student_id: int, enrollment_id: int | None = None) -> Account:
    """The student's account for the chosen term enrollment (default: the current term's,
    else the latest)."""
    student = db.session.scalar(select(Student).options(selectinload(Student.user), selectinload(Student.program))
                                .where(Student.id == student_id))
    if student is None:
        raise NotFound("That student does not exist.")
    enrollments = enrollments_of(student_id)
    chosen = next((e for e in enrollments if e.id == enrollment_id), None) if enrollment_id else None
    chosen = chosen or (enrollments[0] if enrollments else None)
    if chosen is None:
        return Account(student, enrollments, None)
    return Account(student, enrollments, chosen, permits.exam_states(chosen), history(chosen.id))


def account_for_user(user: User, enrollment_id: int | None = None) -> Account:
    """The signed-in student's own account."""
    student_id = db.session.scalar(select(Student.id).where(Student.user_id == user.id))
    if student_id is None:
        raise NotFound("No student record is linked to this account.")
    return account(student_id, enrollment_id)
