"""Public API (no credentials): the active programs and their curricula, the online
application, and the verification of printed codes (permits, transcripts)."""
from __future__ import annotations

import marshmallow as ma

from richwell.api.common import MAX_ID, Blueprint, Id, Money, PageArgsSchema, Text, UTCDateTime, page_schema, paginate
from richwell.models import Semester
from richwell.services import academics, admissions, documents
from richwell.services.platform.errors import NotFound

bp = Blueprint("api_public", __name__, tag="Public", url_prefix="/api/v1/public",
               description="Open to anyone: programs, the online application, verification.")


class ProgramSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True, metadata={"example": "BSIT"})
    name = ma.fields.String(required=True)
    years = ma.fields.Integer(required=True)


class _CodeSchema(ma.Schema):
    code = ma.fields.String()


class CurriculumSubjectSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    units = ma.fields.Integer(required=True)
    year_level = ma.fields.Integer(required=True)
    semester = ma.fields.String(required=True, validate=ma.validate.OneOf([s.value for s in Semester]))
    is_major = ma.fields.Boolean(required=True)
    prerequisites = ma.fields.List(ma.fields.Pluck(_CodeSchema, "code"), required=True,
                                   metadata={"description": "codes of the prerequisite subjects"})


@bp.route("/programs/")
@bp.arguments(PageArgsSchema, location="query")
@bp.response(200, page_schema(ProgramSchema))
def programs(args):
    """Active programs

    The programs the school offers now, by code; 20 per page.
    """
    return paginate(academics.active_programs(), args["page"])


@bp.route(f"/programs/<int(min=1, max={MAX_ID}):program_id>/subjects/")
@bp.arguments(PageArgsSchema, location="query")
@bp.response(200, page_schema(CurriculumSubjectSchema))
@bp.alt_response(404, response="NOT_FOUND")
def program_subjects(args, program_id: int):
    """Subjects of an active program

    The curriculum in order: year level, semester, code; each with its prerequisites' codes.
    """
    program = academics.active_program(program_id)
    return paginate(academics.curriculum_subjects(program), args["page"])


# ---------------------------------------------------------------- the online application

def _text(max_length: int, *, required: bool = True, **kwargs) -> Text:
    if required:
        return Text(required=True, validate=ma.validate.Length(max=max_length), **kwargs)
    return Text(load_default=None, allow_none=True, validate=ma.validate.Length(max=max_length), **kwargs)


class NewStudentSchema(ma.Schema):
    """The application's fields; their rules (names, age, mobile, commitment, password
    strength, transferee's previous school) are the admissions service's, refused at the field."""

    first_name = _text(100)
    middle_name = _text(100, required=False)
    last_name = _text(100)
    email = _text(254, metadata={"format": "email"})
    birthdate = ma.fields.Date(required=True, metadata={"example": "2007-06-15"})
    sex = ma.fields.String(required=True, validate=ma.validate.OneOf(["M", "F"]))
    mobile = _text(20, metadata={"example": "09171234567"})
    address = _text(admissions.ADDRESS_MAX)
    program_id = Id(required=True)
    admission_type = ma.fields.String(required=True, validate=ma.validate.OneOf(["FRESHMAN", "TRANSFEREE"]))
    previous_school = _text(admissions.SCHOOL_MAX, required=False,
                            metadata={"description": "required for a transferee"})
    previous_course = _text(admissions.SCHOOL_MAX, required=False,
                            metadata={"description": "required for a transferee"})
    password = _text(200)
    monthly_commitment = Money(required=True, metadata={"example": "2500.00"})


class AdmittedSchema(ma.Schema):
    student_number = ma.fields.String(required=True, metadata={"example": "2026-00042"})
    enrollment_id = ma.fields.Integer(required=True, attribute="enrollment.id")


@bp.route("/enrollment/new_student/", methods=["POST"])
@bp.arguments(NewStudentSchema)
@bp.response(201, AdmittedSchema)
@bp.alt_response(403, response="DEFAULT_ERROR", description="`enrollment_closed`: the online application is off.")
@bp.alt_response(409, response="DEFAULT_ERROR", description="An account with this email (any case) exists.")
@bp.alt_response(422, response="DEFAULT_ERROR", description="`no_current_term`: admissions need a current term.")
def new_student(body):
    """Apply online

    Creates the account, the student with the next student number and the term enrollment in
    the current term with its six monthly buckets, at once (no approval). Sign in afterwards
    with the student number or email. Documents are uploaded later on the website.
    """
    return admissions.submit_application(**body)


# ---------------------------------------------------------------- verification

class VerificationSchema(ma.Schema):
    """Only what the printed document says: never grades, GPA or money."""

    valid = ma.fields.Boolean(required=True)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(["PERMIT", "DOCUMENT"]),
                            attribute="verify_kind")
    status = ma.fields.String(required=True, metadata={"example": "Valid"})
    code = ma.fields.String(required=True)
    student_name = ma.fields.String(required=True)
    student_number = ma.fields.String(required=True)
    exam = ma.fields.String(metadata={"description": "PERMIT only", "example": "Prelim"})
    term = ma.fields.String(metadata={"description": "PERMIT only"})
    document = ma.fields.String(attribute="kind", metadata={"description": "what carries the code, in words",
                                                            "example": "Transcript of records (Official)"})
    program = ma.fields.String(metadata={"description": "DOCUMENT only"})
    issued_at = UTCDateTime(metadata={"description": "DOCUMENT only: when it was issued or released"})
    revoked_at = UTCDateTime(allow_none=True, metadata={"description": "DOCUMENT only: when a released document "
                                                                      "was revoked (then `valid` is false)"})


@bp.route("/verify/<string(maxlength=64):code>/")
@bp.response(200, VerificationSchema)
@bp.alt_response(404, response="NOT_FOUND")
def verify(code: str):
    """Verify a printed code

    An exam permit's, an issued transcript's or a released document's code (TOR, COE, good
    moral, honorable dismissal, diploma): whether it is valid (or revoked, and when) and the
    few facts printed on it. Unknown codes are 404.
    """
    result = documents.verify(code)
    if result is None:
        raise NotFound("No permit or document carries this code.")
    return result
