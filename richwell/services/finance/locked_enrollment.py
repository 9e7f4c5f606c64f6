"""The term enrollment as the ledger's writes see it: read with its months under a row lock
(what a payment allocates from and a reversal takes back from), and the months' and credit
balance's changes written back relative to what is stored, so no change is ever lost."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, Select, Update, and_, bindparam, case, select, update

from richwell.extensions import db
from richwell.models import (
    Exam,
    ExamMonthMapping,
    IdempotencyRecord,
    Money,
    MonthBucket,
    PaymentAllocation,
    Student,
    TermEnrollment,
)
from richwell.services.platform.errors import NotFound
from richwell.services.platform.sql import cached_statement, insert_rows

from . import permits
from .rules import AllocationPlan

_ENROLLMENTS = TermEnrollment.__table__
_BUCKETS = MonthBucket.__table__
_ALLOCATIONS = PaymentAllocation.__table__
_KEYS = IdempotencyRecord.__table__
_MAPPINGS = ExamMonthMapping.__table__
_STUDENTS = Student.__table__


@dataclass(frozen=True)
class Bucket:
    id: int
    month: int
    required: Decimal
    paid: Decimal


@dataclass(frozen=True)
class Locked:
    """The enrollment as a payment or a reversal sees it under its lock."""

    enrollment_id: int
    student_id: int
    status: str
    credit_balance: Decimal
    buckets: list[Bucket]
    student_user_id: int
    student_number: str
    exam_months: dict[str, int]
    key_fingerprint: str | None = None
    key_response: dict[str, Any] | None = None  # the first result's body (PaymentResult.as_response)
    key_used: bool = False

    def bucket_ids(self, plan: AllocationPlan) -> list[int]:
        """The bucket of each month the plan moves money in or out of, in the plan's order."""
        by_month = {bk.month: bk.id for bk in self.buckets}
        return [by_month[month] for month, _ in plan.parts]


def _lock_statement(with_key: bool) -> Select[Any]:
    e, b, s, m = _ENROLLMENTS.c, _BUCKETS.c, _STUDENTS.c, _MAPPINGS.c
    columns: list[Any] = [
        e.id.label("enrollment_id"), e.student_id, e.status, e.credit_balance,
        b.id.label("bucket_id"), b.month, b.required, b.paid,
        s.user_id.label("student_user_id"), s.student_number,
        m.prelim_month, m.midterm_month, m.prefinal_month, m.final_month]
    joined = (_ENROLLMENTS.join(_BUCKETS, b.term_enrollment_id == e.id).join(_STUDENTS, s.id == e.student_id)
              .outerjoin(_MAPPINGS, m.term_id == e.term_id))
    if with_key:
        k = _KEYS.c
        columns += [k.id.label("key_id"), k.fingerprint.label("key_fingerprint"), k.response.label("key_response")]
        joined = joined.outerjoin(_KEYS, and_(k.scope == bindparam("scope"), k.key == bindparam("key")))
    return (select(*columns).select_from(joined).where(e.id == bindparam("enrollment_id")).order_by(b.month)
            .with_for_update(of=[_ENROLLMENTS, _BUCKETS]))


def lock_enrollment(enrollment_id: int, scope: str | None = None, key: str | None = None) -> Locked | None:
    """One statement: the enrollment and its buckets locked FOR UPDATE (so the allocation reads
    the latest committed amounts; PostgreSQL re-reads locked rows after waiting), with the
    student's ids, the term's exam mapping and any earlier use of the idempotency key joined in.
    A same-key request still in flight is not visible here; the unique key is the final guard."""
    with_key = key is not None
    params = {"enrollment_id": enrollment_id, **({"scope": scope, "key": key} if with_key else {})}
    rows = db.session.execute(cached_statement("finance.lock", _lock_statement, with_key), params).all()
    if not rows:
        return None
    first = rows[0]
    if first.prelim_month is None:  # the term has no mapping row: the defaults
        mapping = permits.default_exam_months()
    else:
        mapping = {Exam.PRELIM.value: first.prelim_month, Exam.MIDTERM.value: first.midterm_month,
                   Exam.PREFINAL.value: first.prefinal_month, Exam.FINAL.value: first.final_month}
    used = with_key and first.key_id is not None
    return Locked(first.enrollment_id, first.student_id, first.status, first.credit_balance,
                  [Bucket(r.bucket_id, r.month, r.required, r.paid) for r in rows],
                  first.student_user_id, first.student_number, mapping,
                  key_fingerprint=first.key_fingerprint if used else None,
                  key_response=first.key_response if used else None, key_used=used)


def locked_or_missing(enrollment_id: int) -> Locked:
    locked = lock_enrollment(enrollment_id)
    if locked is None:
        raise NotFound("That enrollment does not exist.")
    return locked


def _bucket_update_statement(parts: int) -> Update:
    b = _BUCKETS.c
    ids: list[BindParameter[Any]] = [bindparam(f"id{i}") for i in range(parts)]
    delta = case({ids[i]: bindparam(f"delta{i}", type_=Money()) for i in range(parts)}, value=b.id)
    return update(_BUCKETS).where(b.id.in_(ids)).values(paid=b.paid + delta)


def _credit_update_statement(bucket_parts: int) -> Update:
    e = _ENROLLMENTS.c
    stmt = (update(_ENROLLMENTS).where(e.id == bindparam("enrollment_id"))
            .values(credit_balance=e.credit_balance + bindparam("delta", type_=Money())))
    if bucket_parts:
        # PostgreSQL: the buckets' UPDATE rides along as a data-modifying WITH (one statement).
        stmt = stmt.add_cte(_bucket_update_statement(bucket_parts).cte("touched_buckets"))
    return stmt


def apply_to_buckets(locked: Locked, plan: AllocationPlan) -> None:
    """One UPDATE for every touched bucket (paid = paid + its part, relative so it can never
    lose a change) and the credit balance when it moves (on PostgreSQL both in one statement)."""
    params: dict[str, object] = {"enrollment_id": locked.enrollment_id, "delta": plan.credit}
    for i, (bucket_id, (_, amount)) in enumerate(zip(locked.bucket_ids(plan), plan.parts)):
        params[f"id{i}"], params[f"delta{i}"] = bucket_id, amount
    parts = len(plan.parts)
    together = bool(parts and plan.credit) and db.session.get_bind().dialect.name == "postgresql"
    if parts and not together:
        db.session.execute(cached_statement("finance.buckets", _bucket_update_statement, parts), params)
    if plan.credit:
        statement = cached_statement("finance.credit", _credit_update_statement, parts if together else 0)
        db.session.execute(statement, params)


def insert_allocations(payment_id: int, locked: Locked, plan: AllocationPlan) -> None:
    """All of a payment's allocations in one INSERT."""
    insert_rows(_ALLOCATIONS, [{"payment_id": payment_id, "month_bucket_id": bucket_id, "month": m, "amount": a}
                               for bucket_id, (m, a) in zip(locked.bucket_ids(plan), plan.parts)])
