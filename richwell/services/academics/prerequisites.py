"""Prerequisites: a prerequisite is met when its latest result is PASSED or CREDITED."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select

from richwell.extensions import db
from richwell.models import (
    CreditStatus,
    Subject,
    SubjectEnrollment,
    Term,
    TermEnrollment,
    TransferCredit,
)

CREDITED = "CREDITED"
NOT_TAKEN = "NOT_TAKEN"
MET = {"PASSED", CREDITED}

WHY = {
    "INC": "is incomplete (INC)",
    "FAILED": "was failed",
    "DROPPED": "was dropped",
    "ENROLLED": "is still in progress",
    NOT_TAKEN: "has not been taken",
}


class SubjectLike(Protocol):
    code: str
    title: str


@dataclass(frozen=True)
class UnmetPrerequisite:
    subject: Subject | SubjectLike
    result: str

    @property
    def sentence(self) -> str:
        return f"{self.subject.code} {self.subject.title} {WHY.get(self.result, 'is not passed')}"


def latest_results(student_id: int, subject_ids: Iterable[int]) -> dict[int, str]:
    """The latest result per subject for a student: CREDITED for an accepted transfer
    credit, else the status of the most recent subject enrollment, else NOT_TAKEN."""
    ids = set(subject_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(SubjectEnrollment.subject_id, SubjectEnrollment.status)
        .join(TermEnrollment, TermEnrollment.id == SubjectEnrollment.term_enrollment_id)
        .join(Term, Term.id == TermEnrollment.term_id)
        .where(TermEnrollment.student_id == student_id, SubjectEnrollment.subject_id.in_(ids))
        .order_by(Term.start_date, SubjectEnrollment.enrolled_at, SubjectEnrollment.id)
    ).all()
    credited = db.session.scalars(
        select(TransferCredit.subject_id).where(
            TransferCredit.student_id == student_id, TransferCredit.subject_id.in_(ids),
            TransferCredit.status == CreditStatus.ACCEPTED.value)
    ).all()
    return fold_results(ids, [(row.subject_id, row.status) for row in rows], credited)


def fold_results(subject_ids: Iterable[int], rows: Iterable[tuple[int, str]],
                 credited: Iterable[int]) -> dict[int, str]:
    """The latest result per subject from (subject_id, status) pairs ordered oldest first
    and the ids of accepted transfer credits (a credit wins over any attempt)."""
    results = {sid: NOT_TAKEN for sid in subject_ids}
    for subject_id, status in rows:  # ordered oldest first: the last one wins
        if subject_id in results:
            results[subject_id] = status
    for subject_id in credited:
        if subject_id in results:
            results[subject_id] = CREDITED
    return results


def unmet_prerequisites(student_id: int, subject: Subject) -> list[UnmetPrerequisite]:
    """The prerequisites of `subject` the student has not met, each with its latest result."""
    prereqs = list(subject.prerequisites)
    if not prereqs:
        return []
    results = latest_results(student_id, {p.id for p in prereqs})
    return [UnmetPrerequisite(p, results[p.id]) for p in prereqs if results[p.id] not in MET]
