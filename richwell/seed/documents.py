"""Demo documents: the registrar has released a good moral and a transcript to a student with
grades, and another student has a certificate of enrollment waiting in the registrar's queue.
Runs after the grades seed; idempotent (nothing is added once any release exists)."""
from __future__ import annotations

from sqlalchemy import select

from richwell.extensions import db
from richwell.models import DocumentRelease, Role, Student, StudentStatus, SubjectEnrollment, TermEnrollment, User
from richwell.services import documents
from richwell.services.platform.errors import DomainError


def seed(password: str, *, keep_passwords: bool = False) -> list[tuple[str, str]]:
    """Creates no account, so `password` and `keep_passwords` (the other steps' arguments) are unused."""
    registrar = db.session.scalar(select(User).where(User.role == Role.REGISTRAR.value).order_by(User.id))
    if registrar is None or db.session.scalar(select(DocumentRelease.id).limit(1)) is not None:
        return []
    students = list(db.session.scalars(
        select(Student).where(Student.status == StudentStatus.ACTIVE.value,
                              select(SubjectEnrollment.id).join(TermEnrollment)
                              .where(TermEnrollment.student_id == Student.id).exists())
        .order_by(Student.student_number).limit(2)))
    if not students:
        return []
    for kind, purpose in (("CGM", "Employment"), ("TOR", "Employment")):
        try:  # a demo student may owe from a past term: the TOR is then held back, as it should be
            documents.release(registrar, students[0].id, kind=kind, purpose=purpose)
        except DomainError:
            pass
    if len(students) > 1 and students[1].user is not None:
        try:
            documents.request_document(students[1].user, "COE", "Scholarship")
        except DomainError:
            pass
    return []
