"""Term enrollments and their installment plan (subject enrollment builds on this)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from richwell.extensions import db
from richwell.models import MonthBucket, Student, StudentStatus, Term, TermEnrollment, User
from richwell.services import audit, settings
from richwell.services.clock import now
from richwell.services.errors import Conflict, DomainError, ValidationError


def check_monthly_commitment(amount: Decimal) -> Decimal:
    """The installment must be at least the configured minimum, with at most 2 decimals."""
    if not amount.is_finite():
        raise ValidationError("Enter the monthly commitment as an amount.", field="monthly_commitment")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError("The monthly commitment may have at most 2 decimals.", field="monthly_commitment")
    minimum = settings.get("min_monthly_commitment")
    if amount < minimum:
        raise ValidationError(f"The monthly commitment must be at least PHP {minimum:,.2f}.",
                              field="monthly_commitment")
    if amount > settings.MAX_MONEY:
        raise ValidationError("The monthly commitment is larger than any real installment.",
                              field="monthly_commitment")
    return amount.quantize(Decimal("0.01"))


def current_term() -> Term | None:
    return db.session.scalar(select(Term).where(Term.is_current.is_(True)))


def open_term_enrollment(student: Student, term: Term, monthly_commitment: Decimal,
                         actor: User | None, *, commit: bool = True) -> TermEnrollment:
    """Open a student's enrollment for a term with `installment_months` buckets, each
    requiring the monthly commitment. Only ACTIVE students; one per student per term."""
    if student.status != StudentStatus.ACTIVE.value:
        raise DomainError(f"A student who is {student.status} cannot open a term enrollment.",
                          code="student_not_active")
    commitment = check_monthly_commitment(monthly_commitment)
    exists = db.session.scalar(select(TermEnrollment.id).where(
        TermEnrollment.student_id == student.id, TermEnrollment.term_id == term.id))
    if exists:
        raise Conflict(f"{student.student_number} already has an enrollment for {term.name}.")
    months = settings.get("installment_months")
    enrollment = TermEnrollment(student_id=student.id, term_id=term.id,
                                monthly_commitment=commitment, created_at=now())
    enrollment.buckets = [MonthBucket(month=m, required=commitment) for m in range(1, months + 1)]
    db.session.add(enrollment)
    db.session.flush()
    audit.record(actor, "enrollment.open", enrollment,
                 after={"student": student.student_number, "term": term.name,
                        "monthly_commitment": commitment, "months": months})
    if commit:
        db.session.commit()
    return enrollment
