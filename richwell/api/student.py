"""Student API (role student; only their own records). Read-only views of rows that exist
today; enrolling, dropping, payments, permits and the transcript call their services once
those land (README "API")."""
from __future__ import annotations

import marshmallow as ma
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from richwell.api.common import MAX_ID, Blueprint, Money, PageArgsSchema, api_user, page_schema, paginate
from richwell.extensions import db
from richwell.models import Offering, Role, Student, Subject, SubjectEnrollment, Term, TermEnrollment
from richwell.services.errors import NotFound

bp = Blueprint("api_student", __name__, tag="Student", url_prefix="/api/v1/student", roles=(Role.STUDENT,),
               description="A student's own records (role student).")

ENROLLMENT_ID = f"<int(min=1, max={MAX_ID}):enrollment_id>"


def own_student() -> Student:
    """The calling student's record; a student account without one has nothing to show."""
    student = db.session.scalar(select(Student).where(Student.user_id == api_user().id))
    if student is None:
        raise NotFound("There is no student record for this account.")
    return student


def own_enrollment(enrollment_id: int) -> TermEnrollment:
    """A term enrollment of the calling student; anyone else's does not exist for them."""
    enrollment = db.session.get(TermEnrollment, enrollment_id)
    if enrollment is None or enrollment.student_id != own_student().id:
        raise NotFound("That enrollment does not exist.")
    return enrollment


class ProgramBriefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class ProfileSchema(ma.Schema):
    student_number = ma.fields.String(required=True, metadata={"example": "2026-00042"})
    first_name = ma.fields.String(required=True, attribute="user.first_name")
    last_name = ma.fields.String(required=True, attribute="user.last_name")
    email = ma.fields.Email(required=True, attribute="user.email")
    program = ma.fields.Nested(ProgramBriefSchema, required=True)
    status = ma.fields.String(required=True, metadata={"example": "ACTIVE"})
    year_level = ma.fields.Integer(required=True)
    admission_type = ma.fields.String(required=True, metadata={"example": "FRESHMAN"})
    cumulative_gpa = ma.fields.Decimal(required=True, allow_none=True, as_string=True, places=2,
                                       metadata={"description": "null until a numeric final grade exists",
                                                 "example": "1.75"})


class TermBriefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True, metadata={"example": "1st semester 2026-2027"})
    academic_year = ma.fields.String(required=True, metadata={"example": "2026-2027"})
    semester = ma.fields.String(required=True, metadata={"example": "FIRST"})
    is_current = ma.fields.Boolean(required=True)


class TermEnrollmentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    term = ma.fields.Nested(TermBriefSchema, required=True)
    status = ma.fields.String(required=True, metadata={"example": "ACTIVE"})
    monthly_commitment = Money(required=True)
    first_month_paid = ma.fields.Boolean(required=True)
    enrolled_units = ma.fields.Integer(required=True)


class SubjectBriefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    units = ma.fields.Integer(required=True)


class SectionBriefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True, metadata={"example": "BSIT-2A"})


class _SectionField(ma.fields.Nested):
    """The offering's section, or null when the subject is not in a section (e.g. credited)."""

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        return obj.offering.section if obj.offering is not None else None


class SubjectEnrollmentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    subject = ma.fields.Nested(SubjectBriefSchema, required=True)
    section = _SectionField(SectionBriefSchema, required=True, allow_none=True)
    status = ma.fields.String(required=True, metadata={"example": "ENROLLED"})
    grade = ma.fields.String(required=True, allow_none=True, metadata={"example": "1.75"})
    is_retake = ma.fields.Boolean(required=True)
    is_irregular = ma.fields.Boolean(required=True)


@bp.route("/profile/me/")
@bp.response(200, ProfileSchema)
@bp.alt_response(404, response="NOT_FOUND")
def profile():
    """My profile"""
    return own_student()


@bp.route("/enrollment/")
@bp.arguments(PageArgsSchema, location="query")
@bp.response(200, page_schema(TermEnrollmentSchema))
@bp.alt_response(404, response="NOT_FOUND")
def enrollments(args):
    """My term enrollments

    Newest term first, 20 per page.
    """
    statement = (select(TermEnrollment).join(Term, Term.id == TermEnrollment.term_id)
                 .where(TermEnrollment.student_id == own_student().id)
                 .options(selectinload(TermEnrollment.term), selectinload(TermEnrollment.buckets))
                 .order_by(Term.start_date.desc(), TermEnrollment.id.desc()))
    return paginate(statement, args["page"])


@bp.route(f"/enrollment/{ENROLLMENT_ID}/subjects/")
@bp.response(200, SubjectEnrollmentSchema(many=True))
@bp.alt_response(404, response="NOT_FOUND")
def enrollment_subjects(enrollment_id: int):
    """Subjects of one of my term enrollments

    Every subject of that term, dropped ones included, by subject code.
    """
    enrollment = own_enrollment(enrollment_id)
    return list(db.session.scalars(
        select(SubjectEnrollment).join(Subject, Subject.id == SubjectEnrollment.subject_id)
        .where(SubjectEnrollment.term_enrollment_id == enrollment.id)
        .options(selectinload(SubjectEnrollment.subject),
                 selectinload(SubjectEnrollment.offering).selectinload(Offering.section))
        .order_by(Subject.code, SubjectEnrollment.id)))
