"""Who may see or touch what, in one place: a professor only their own classes' sheets, a
student only their own grades and transcripts, the registrars everything; anything else
is answered as not found (no existence leak)."""
from __future__ import annotations

from richwell.extensions import db
from richwell.models import Offering, Role, Student, SubjectEnrollment, User
from richwell.services.platform.errors import Forbidden, NotFound, ValidationError


def require_registrar(actor: User | None) -> User:
    """Only a registrar (or the head registrar) may do this."""
    if actor is None or not actor.is_registrar:
        raise Forbidden("Only a registrar may do this.")
    return actor


def own_offering(actor: User | None, offering_id: int) -> Offering:
    """The offering when the professor teaches it; anyone else's answers not found."""
    offering = db.session.get(Offering, offering_id)
    if offering is None or actor is None or offering.professor_id != actor.id:
        raise NotFound("That class does not exist or is not yours.")
    return offering


def get_offering(offering_id: int) -> Offering:
    """The offering, or not found."""
    offering = db.session.get(Offering, offering_id)
    if offering is None:
        raise NotFound("That class does not exist.")
    return offering


def offering_for(viewer: User | None, offering_id: int) -> Offering:
    """The class whose grade sheet the viewer may see: a registrar any, a professor their own."""
    if viewer is not None and viewer.is_registrar:
        return get_offering(offering_id)
    return own_offering(viewer, offering_id)


def enrollment_in(offering_id: int, subject_enrollment_id: int) -> SubjectEnrollment:
    """The subject enrollment when the student is in that class (not dropped), else refused."""
    se = db.session.get(SubjectEnrollment, subject_enrollment_id)
    if se is None or se.offering_id != offering_id or se.dropped_at is not None:
        raise ValidationError("That student is not enrolled in this class.", field="student")
    return se


def get_student(viewer: User | None, student_id: int) -> Student:
    """The student whose grades and transcripts the viewer may see: a registrar any student,
    a student only themselves; to anyone else the student does not exist."""
    student = db.session.get(Student, student_id)  # usually already in the session: no query
    if student is None:
        raise NotFound("That student does not exist.")
    if viewer is None:
        raise Forbidden("Sign in first.")
    if viewer.is_registrar or (viewer.role == Role.STUDENT.value and student.user_id == viewer.id):
        return student
    raise NotFound("That student does not exist.")
