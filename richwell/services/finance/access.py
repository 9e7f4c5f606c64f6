"""Who may see a student's money matters, in one place: cashiers and administrators see every
student's account, receipts and permits; a student sees only their own; anyone else sees none.
What a viewer may not see is answered as not found, so nobody learns that it exists."""
from __future__ import annotations

from sqlalchemy import select

from richwell.extensions import db
from richwell.models import Role, Student, TermEnrollment, User
from richwell.services.platform.errors import NotFound

#: The roles that see every student's account and receipts, and may reverse a payment.
FINANCE_STAFF = frozenset({Role.CASHIER.value, Role.ADMIN.value})


def is_finance_staff(viewer: User | None) -> bool:
    """Cashiers and administrators: every student's account, receipts and reversals."""
    return viewer is not None and viewer.role in FINANCE_STAFF


def sees_student(viewer: User | None, student_user_id: int) -> bool:
    """Finance staff see every student; a student only themselves; nobody else anyone."""
    if viewer is None:
        return False
    if viewer.role in FINANCE_STAFF:
        return True
    return viewer.role == Role.STUDENT.value and student_user_id == viewer.id


def own_student_id(user: User) -> int | None:
    """The student record of this account, if it has one."""
    return db.session.scalar(select(Student.id).where(Student.user_id == user.id))


def visible_enrollment(enrollment_id: int, viewer: User) -> TermEnrollment:
    """A term enrollment this viewer may see (one statement); anyone else's is not found."""
    row = db.session.execute(
        select(TermEnrollment, Student.user_id.label("student_user_id"))
        .join(Student, Student.id == TermEnrollment.student_id)
        .where(TermEnrollment.id == enrollment_id)).first()
    if row is None:
        raise NotFound("That enrollment does not exist.")
    if not sees_student(viewer, row.student_user_id):
        if viewer.role == Role.STUDENT.value and own_student_id(viewer) is None:
            raise NotFound("There is no student record for this account.")
        raise NotFound("That enrollment does not exist.")
    enrollment: TermEnrollment = row.TermEnrollment
    return enrollment
