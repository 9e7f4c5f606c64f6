"""A student's own enrollment records as the student API reads them: their student record,
their term enrollments and the subjects of one of them. Who may read is decided here (a
student their own; registrars and administrators any), not in the routes."""
from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from richwell.extensions import db
from richwell.models import Offering, Student, Subject, SubjectEnrollment, Term, TermEnrollment, User
from richwell.services.platform.errors import NotFound

from .queries import require_reader
from .rules import NO_ENROLLMENT

NO_RECORD = "There is no student record for this account."


def student_of(actor: User) -> Student:
    """The signed-in student's own record; a student account without one has nothing to show."""
    student = db.session.scalar(select(Student).where(Student.user_id == actor.id))
    if student is None:
        raise NotFound(NO_RECORD)
    return student


def term_enrollments_of(actor: User) -> Select[TermEnrollment]:
    """The student's own term enrollments, newest term first (a statement to page through)."""
    return (select(TermEnrollment).join(Term, Term.id == TermEnrollment.term_id)
            .where(TermEnrollment.student_id == student_of(actor).id)
            .options(selectinload(TermEnrollment.term), selectinload(TermEnrollment.buckets))
            .order_by(Term.start_date.desc(), TermEnrollment.id.desc()))


def term_enrollment_for(term_enrollment_id: int, actor: User) -> TermEnrollment:
    """One term enrollment the actor may read (a student's own; anyone else's does not exist)."""
    require_reader(actor, term_enrollment_id)
    enrollment = db.session.get(TermEnrollment, term_enrollment_id)
    if enrollment is None:
        raise NotFound(NO_ENROLLMENT)
    return enrollment


def subjects_of(term_enrollment_id: int, actor: User) -> list[SubjectEnrollment]:
    """Every subject of a term enrollment the actor may read, dropped ones included, by code."""
    enrollment = term_enrollment_for(term_enrollment_id, actor)
    return list(db.session.scalars(
        select(SubjectEnrollment).join(Subject, Subject.id == SubjectEnrollment.subject_id)
        .where(SubjectEnrollment.term_enrollment_id == enrollment.id)
        .options(selectinload(SubjectEnrollment.subject),
                 selectinload(SubjectEnrollment.offering).selectinload(Offering.section))
        .order_by(Subject.code, SubjectEnrollment.id)))
