"""The ledger's writes: recording a payment, reversing one, and the gapless official receipt
numbers, each in one unit of work with the term enrollment and its month buckets locked
(PostgreSQL row locks; SQLite serialises writers with BEGIN IMMEDIATE).

The counter handles hundreds of payments a minute, so this hot path speaks to the tables
directly (Core statements built once, rows read by name): the ORM's flush would cost more
than the SQL itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NoReturn

from sqlalchemy import (
    ARRAY,
    JSON,
    Insert,
    Integer,
    String,
    TextualSelect,
    bindparam,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import (
    AuditEntry,
    IdempotencyRecord,
    Money,
    Notification,
    Payment,
    PaymentKind,
    PaymentMethod,
    ReceiptCounter,
    Role,
    TermEnrollmentStatus,
    User,
    UTCDateTime,
)
from richwell.services.platform import audit, clock, notifications, wording
from richwell.services.platform.clock import MANILA
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, NotFound
from richwell.services.platform.sql import cached_statement, hot_sql, returning
from richwell.services.platform.unit_of_work import stage_row, unit_of_work

from . import permits, receipts
from .locked_enrollment import Locked, apply_to_buckets, insert_allocations, lock_enrollment, locked_or_missing
from .queries import result_for
from .reminders import STUDENT_PAYMENTS_PATH
from .reversal_policy import require_reversal_alone, reversal_reason
from .rules import (
    AllocationPlan,
    MonthAmount,
    PaymentResult,
    ReversalResult,
    allocate_sequentially,
    buckets_state,
    check_idempotency_key,
    check_reference,
    deallocate_latest_first,
    fingerprint_of,
    parse_amount,
    parse_method,
)

_PAYMENTS = Payment.__table__
_KEYS = IdempotencyRecord.__table__
_COUNTER = ReceiptCounter.__table__
_NOTIFICATIONS = Notification.__table__
_AUDIT = AuditEntry.__table__

# OR-YYYY-NNNNNN: six digits a year.
RECEIPT_MAX = 999_999


def _require_role(actor: User | None, *roles: Role, doing: str) -> User:
    if actor is None or actor.role not in {r.value for r in roles}:
        raise Forbidden(f"Only {' or '.join(r.label.lower() for r in roles)} staff may {doing}.")
    return actor


def _counter_statement(dialect: str) -> Insert:
    # The same upsert in each engine's spelling: the first number of a year inserts its row.
    from sqlalchemy.dialects import postgresql, sqlite

    year, last_value = _COUNTER.c.year, _COUNTER.c.last_value
    if dialect == "postgresql":
        pg_upsert = postgresql.insert(_COUNTER).values(year=bindparam("year"), last_value=1)
        return pg_upsert.on_conflict_do_update(index_elements=[year], set_={"last_value": last_value + 1}) \
            .returning(last_value)
    lite_upsert = sqlite.insert(_COUNTER).values(year=bindparam("year"), last_value=1)
    return lite_upsert.on_conflict_do_update(index_elements=[year], set_={"last_value": last_value + 1}) \
        .returning(last_value)


def next_receipt_number(year: int) -> str:
    """The next OR-YYYY-NNNNNN of the year. The counter row stays locked until the caller's
    transaction ends, and a rollback gives the number back: numbers are gapless."""
    dialect = db.session.get_bind().dialect.name
    value: int = db.session.execute(cached_statement("finance.counter", _counter_statement, dialect),
                                    {"year": year}).scalar_one()
    if value > RECEIPT_MAX:
        _refuse_exhausted(year)
    return f"OR-{year}-{value:06d}"


def _refuse_exhausted(year: int) -> NoReturn:
    raise DomainError(f"Receipt numbers for {year} are exhausted.", code="receipts_exhausted")


# --------------------------------------------------------------------------- recording a payment


def record_payment(enrollment_id: int, amount: object, method: object, reference_number: object, cashier: User,
                   idempotency_key: object, fingerprint: str | None = None) -> PaymentResult:
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
            locked = lock_enrollment(enrollment_id, scope, key)
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
        if locked is not None and _answers_replay(locked):
            return _replay_from_lock(locked, fingerprint)
        return _replay_or_refuse(scope, key, fingerprint, missing=locked is None)
    return result


def _record(locked: Locked, value: Decimal, how: PaymentMethod, reference: str | None, cashier: User,
            scope: str, key: str, fingerprint: str) -> PaymentResult:
    """The writes of one payment, in the caller's unit of work (record_payment's rule)."""
    if locked.status == TermEnrollmentStatus.WITHDRAWN.value:
        raise DomainError(f"{locked.student_number} has withdrawn from this term; "
                          "no payment can be recorded.", code="enrollment_withdrawn")

    plan = allocate_sequentially(locked.buckets, value)
    created = clock.now()
    # The id, the receipt number and the permits issued come from the write below.
    result = PaymentResult(
        payment_id=0, receipt_number="", enrollment_id=locked.enrollment_id,
        student_id=locked.student_id, amount=value, method=how.value, reference_number=reference,
        created_at=created, allocations=list(plan.parts), credit_added=plan.credit,
        buckets=list(plan.buckets_after), credit_balance=locked.credit_balance + plan.credit)
    rows = _Unnumbered(
        year=clock.today().year,
        payment={"term_enrollment_id": locked.enrollment_id, "amount": value, "method": how.value,
                 "reference_number": reference, "cashier_id": cashier.id, "created_at": created,
                 "credit_change": plan.credit},
        permit_exams=permits.exams_for_months(plan.months_completed(locked.buckets), locked.exam_months),
        key={"scope": scope, "key": key, "fingerprint": fingerprint, "response": result.as_response(),
             "created_at": created},
        receipt_notice=notifications.row_for(
            locked.student_user_id, "payment_received",
            f"Payment of {wording.peso(value)} received ({how.label}). Official receipt "),
        audit=audit.entry(cashier, "payment.record", target_type="Payment",
                          before={"buckets_paid": {b.month: b.paid for b in locked.buckets},
                                  "credit_balance": locked.credit_balance},
                          after={"student": locked.student_number, "amount": value, "method": how.value,
                                 "reference_number": reference, "allocations": {m: a for m, a in plan.parts},
                                 "credit_added": plan.credit}))
    write = _write_at_once if db.session.get_bind().dialect.name == "postgresql" else _write_in_steps
    result.payment_id, result.receipt_number, result.permits_issued = write(locked, plan, rows)
    receipts.queue_pdf(result.payment_id)
    return result


@dataclass(frozen=True)
class _Unnumbered:
    """A payment's rows before it has its receipt number: everything the number does not
    decide, so the counter is taken last and held for as short a time as possible. The
    number completes the payment row, the receipt notice (its text ends with the number,
    its link is the receipt's page), the key's stored answer and the audit entry; those two
    also get the permits the payment issued (of `permit_exams`, those not already issued)."""

    year: int
    payment: dict[str, Any]
    permit_exams: list[str]
    key: dict[str, Any]
    receipt_notice: dict[str, Any]
    audit: dict[str, Any]


def _write_in_steps(locked: Locked, plan: AllocationPlan, rows: _Unnumbered) -> tuple[int, str, list[str]]:
    """The payment's writes one statement at a time, the counter taken last (SQLite, whose
    writers are serialised anyway). Returns (payment id, receipt number, permits issued)."""
    issued = permits.issue_for_months(locked.enrollment_id, plan.months_completed(locked.buckets),
                                      locked.exam_months)
    exams = [exam for exam, _ in issued]
    apply_to_buckets(locked, plan)
    number = next_receipt_number(rows.year)
    payment_id: int = db.session.execute(
        cached_statement("finance.payment", lambda: insert(_PAYMENTS).returning(_PAYMENTS.c.id)),
        {**rows.payment, "kind": PaymentKind.PAYMENT.value, "receipt_number": number}).scalar_one()
    insert_allocations(payment_id, locked, plan)
    db.session.execute(cached_statement("finance.key", lambda: insert(_KEYS)), {
        **rows.key, "payment_id": payment_id,
        "response": {**rows.key["response"], "payment_id": payment_id, "receipt_number": number,
                     "permits_issued": exams}})
    notice = rows.receipt_notice
    stage_row(_NOTIFICATIONS, {**notice, "message": notice["message"] + number + ".",
                               "link": receipts.receipt_path(number)})
    permits.notify_issued(locked.student_user_id, issued)
    stage_row(_AUDIT, {**rows.audit, "target_id": str(payment_id),
                       "after": {"receipt_number": number, **rows.audit["after"], "permits_issued": exams}})
    return payment_id, number, exams


# PostgreSQL: the payment in one statement. Each data-modifying WITH runs once, all under one
# snapshot; foreign keys are checked at the statement's end, so the allocations, the key and
# the audit entry may point at the payment inserted beside them. The counter row's lock is
# taken in this statement and held only until the COMMIT that follows it.
_AT_ONCE = f"""
WITH buckets_paid AS (
    UPDATE month_buckets AS bucket SET paid = bucket.paid + part.amount
    FROM unnest(CAST(:bucket_ids AS BIGINT[]), CAST(:amounts AS BIGINT[])) AS part(bucket_id, amount)
    WHERE bucket.id = part.bucket_id
), credited AS (
    UPDATE term_enrollments SET credit_balance = credit_balance + :credit_change
    WHERE id = :term_enrollment_id AND :credit_change <> 0
), permits AS ({permits.ISSUE_AT_ONCE}
), permits_issued AS (
    SELECT wanted.exam, wanted.message, wanted.position
    FROM unnest(CAST(:permit_exams AS TEXT[]), CAST(:permit_messages AS TEXT[]))
         WITH ORDINALITY AS wanted(exam, message, position)
    WHERE wanted.exam IN (SELECT exam FROM permits)
), permit_list AS (
    SELECT coalesce(jsonb_agg(exam ORDER BY position), '[]') AS exams FROM permits_issued
), counter AS (
    INSERT INTO receipt_counters (year, last_value) VALUES (:year, 1)
    ON CONFLICT (year) DO UPDATE SET last_value = receipt_counters.last_value + 1
    RETURNING last_value
), payment AS (
    INSERT INTO payments (term_enrollment_id, kind, amount, method, reference_number, cashier_id, created_at,
                          receipt_number, credit_change)
    SELECT :term_enrollment_id, 'PAYMENT', :amount, :method, :reference_number, :cashier_id, :created_at,
           'OR-' || CAST(:year AS TEXT) || '-' || lpad(CAST(last_value AS TEXT), 6, '0'), :credit_change
    FROM counter WHERE last_value <= :receipt_max
    RETURNING id, receipt_number
), allocations AS (
    INSERT INTO payment_allocations (payment_id, month_bucket_id, month, amount)
    SELECT payment.id, part.bucket_id, part.month, part.amount
    FROM payment, unnest(CAST(:bucket_ids AS BIGINT[]), CAST(:months AS INTEGER[]), CAST(:amounts AS BIGINT[]))
                  AS part(bucket_id, month, amount)
), idempotency_key AS (
    INSERT INTO idempotency_records (scope, key, fingerprint, payment_id, response, created_at)
    SELECT :key_scope, :key_key, :key_fingerprint, payment.id,
           CAST(CAST(:key_response AS JSONB) || jsonb_build_object(
               'payment_id', payment.id, 'receipt_number', payment.receipt_number,
               'permits_issued', permit_list.exams) AS JSON),
           :key_created_at
    FROM payment, permit_list
), notices AS (
    INSERT INTO notifications (user_id, kind, message, link, created_at)
    SELECT :notice_user_id, :notice_kind, :notice_message || payment.receipt_number || '.',
           :receipts_path || payment.receipt_number, :notice_created_at
    FROM payment
    UNION ALL
    SELECT :notice_user_id, 'permit_issued', permits_issued.message, :permits_link, :notice_created_at
    FROM payment, permits_issued
), audit AS (
    INSERT INTO audit_entries (actor_id, actor_role, impersonator_id, action, target_type, target_id, before,
                               after, reason, ip, created_at)
    SELECT :audit_actor_id, :audit_actor_role, :audit_impersonator_id, :audit_action, :audit_target_type,
           CAST(payment.id AS TEXT), :audit_before,
           CAST(jsonb_build_object('receipt_number', payment.receipt_number) || CAST(:audit_after AS JSONB)
                || jsonb_build_object('permits_issued', permit_list.exams) AS JSON),
           :audit_reason, :audit_ip, :audit_created_at
    FROM payment, permit_list
)
SELECT counter.last_value, payment.id AS payment_id, payment.receipt_number, permit_list.exams AS permits_issued
FROM counter CROSS JOIN permit_list LEFT JOIN payment ON TRUE
"""


def _at_once_statement() -> TextualSelect:
    return returning(hot_sql(_AT_ONCE).bindparams(
        bindparam("amount", type_=Money()), bindparam("credit_change", type_=Money()),
        bindparam("amounts", type_=ARRAY(Money())), bindparam("created_at", type_=UTCDateTime()),
        bindparam("key_response", type_=JSON()), bindparam("key_created_at", type_=UTCDateTime()),
        bindparam("notice_created_at", type_=UTCDateTime()), bindparam("audit_before", type_=JSON()),
        bindparam("audit_after", type_=JSON()), bindparam("audit_created_at", type_=UTCDateTime()),
    ), ("last_value", "payment_id", "receipt_number", "permits_issued"),
        {"last_value": Integer(), "payment_id": Integer(), "receipt_number": String(), "permits_issued": JSON()})


def _write_at_once(locked: Locked, plan: AllocationPlan, rows: _Unnumbered) -> tuple[int, str, list[str]]:
    """The payment's writes in one statement (PostgreSQL): the buckets and credit balance, the
    permits, the next receipt number, the payment, its allocations, the idempotency key, the
    notices and the audit entry. Returns (payment id, receipt number, permits issued)."""
    notice = rows.receipt_notice
    row = db.session.execute(cached_statement("finance.payment_at_once", _at_once_statement), {
        **rows.payment, "year": rows.year, "receipt_max": RECEIPT_MAX, "bucket_ids": locked.bucket_ids(plan),
        "months": [month for month, _ in plan.parts], "amounts": [amount for _, amount in plan.parts],
        "permit_exams": rows.permit_exams, "permit_codes": [permits.new_code() for _ in rows.permit_exams],
        "permit_messages": [permits.issued_message(exam) for exam in rows.permit_exams],
        "permits_link": STUDENT_PAYMENTS_PATH,
        **{f"key_{name}": value for name, value in rows.key.items()},
        "notice_user_id": notice["user_id"], "notice_kind": notice["kind"], "notice_message": notice["message"],
        "notice_created_at": notice["created_at"], "receipts_path": receipts.RECEIPTS_PATH,
        **{f"audit_{name}": value for name, value in rows.audit.items() if name != "target_id"},
    }).one()
    if row.payment_id is None:
        _refuse_exhausted(rows.year)
    return row.payment_id, row.receipt_number, row.permits_issued


def _find_record(scope: str, key: str) -> IdempotencyRecord | None:
    return db.session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.scope == scope,
                                                             IdempotencyRecord.key == key))


def _answers_replay(locked: Locked) -> bool:
    stored = locked.key_response
    return stored is not None and PaymentResult.RESPONSE_FIELDS <= stored.keys()


def _replay_from_lock(locked: Locked, fingerprint: str) -> PaymentResult:
    """A used key answered from what the locked read brought with it (the key's stored first
    result, the months as they stand now): no further statement."""
    if locked.key_fingerprint != fingerprint:
        _refuse_other_payment()
    assert locked.key_response is not None  # _answers_replay checked it
    return PaymentResult.replayed_from(
        locked.key_response, locked.student_id, buckets_state(locked.buckets))


def _refuse_other_payment() -> NoReturn:
    raise Conflict("This payment form was already used for a different payment. "
                   "Reload the page to get a fresh form.", code="idempotency_mismatch")


def _replay_or_refuse(scope: str, key: str, fingerprint: str, *, record: IdempotencyRecord | None = None,
                      missing: bool = False) -> PaymentResult:
    record = record or _find_record(scope, key)
    if record is None:
        if missing:
            raise NotFound("That enrollment does not exist.")
        raise Conflict("This payment could not be matched to its one-time key; reload and try again.")
    if record.fingerprint != fingerprint:
        _refuse_other_payment()
    if record.payment_id is None:  # pragma: no cover - every key is stored with its payment
        raise Conflict("This payment could not be matched to its one-time key; reload and try again.")
    stored = record.response or {}
    result = result_for(record.payment_id, replayed=True, permits_issued=list(stored.get("permits_issued", [])))
    if "credit_balance" in stored:
        # The first result, not the balance as it stands now: a replay answers the same body.
        result.credit_balance = Decimal(stored["credit_balance"])
    return result


# --------------------------------------------------------------------------- reversing a payment


def reverse_payment(payment_id: int, reason: object, actor: User) -> ReversalResult:
    """Void a payment (reason required; who may do it alone: `reversal_policy`): its money comes
    back out of the credit balance first, then the buckets from the latest month backwards; a
    permit whose mapped month is no longer fully paid is revoked. The student is always told
    (amount, receipt number, reason). The original stays in the ledger, marked reversed; a
    payment is reversed at most once. Audited."""
    _require_role(actor, Role.CASHIER, Role.ADMIN, doing="reverse payments")
    why = reversal_reason(reason)
    receipt_number: str | None = None
    try:
        with unit_of_work():
            original = db.session.get(Payment, payment_id)
            if original is None:
                raise NotFound("That payment does not exist.")
            if original.is_reversal:
                raise DomainError("A reversal cannot itself be reversed; record a new payment instead.",
                                  code="reversal_of_reversal")
            receipt_number = original.receipt_number
            require_reversal_alone(original, actor)
            reversal = _reverse(original, why, actor)
    except IntegrityError:
        # Another reversal of this payment committed first (the unique reverses_id said so).
        raise Conflict(f"Receipt {receipt_number} was already reversed.", code="already_reversed") from None
    return reversal


def _reverse(original: Payment, why: str, actor: User) -> ReversalResult:
    """The writes of one reversal, in the caller's unit of work (reverse_payment's rule)."""
    locked = locked_or_missing(original.term_enrollment_id)
    already = db.session.scalar(select(Payment).where(Payment.reverses_id == original.id))
    if already is not None:
        raise Conflict(f"Receipt {original.receipt_number} was already reversed on "
                       f"{already.created_at.astimezone(MANILA):%b %d, %Y}.", code="already_reversed")
    plan = deallocate_latest_first(locked.buckets, locked.credit_balance, original.amount)
    apply_to_buckets(locked, plan)
    reopened = plan.months_uncompleted(locked.buckets)
    revoked = permits.revoke_for_months(locked.enrollment_id, reopened, locked.exam_months)

    created = clock.now()
    reversal = Payment(term_enrollment_id=locked.enrollment_id, kind=PaymentKind.REVERSAL.value,
                       amount=-original.amount, method=original.method, cashier_id=actor.id,
                       created_at=created, credit_change=plan.credit, reverses_id=original.id, reason=why)
    db.session.add(reversal)
    db.session.flush()
    insert_allocations(reversal.id, locked, plan)
    permits.notify_revoked(locked.student_user_id, revoked, original.receipt_number)
    notifications.notify(locked.student_user_id, "payment_reversed",
                         f"Your payment of PHP {original.amount:,.2f} (receipt {original.receipt_number}) "
                         f"was reversed: {why}", STUDENT_PAYMENTS_PATH)
    audit.record(actor, "payment.reverse", original, reason=why,
                 before={"buckets_paid": {b.month: b.paid for b in locked.buckets},
                         "credit_balance": locked.credit_balance},
                 after={"reversal_id": reversal.id, "receipt_number": original.receipt_number,
                        "student": locked.student_number, "amount": original.amount,
                        "deallocations": {m: a for m, a in plan.parts}, "credit_removed": -plan.credit,
                        "permits_revoked": revoked})
    receipts.queue_pdf(original.id)  # after the commit: the receipt's PDF now carries the VOID mark
    return ReversalResult(id=reversal.id, reverses_id=original.id, amount=-original.amount, method=original.method,
                          credit_change=plan.credit, reason=why, created_at=created,
                          allocations=[MonthAmount(m, a) for m, a in plan.parts], permits_revoked=revoked)
