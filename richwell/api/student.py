"""Student API (role student; only their own records): profile, term enrollments, subjects,
advising, enrolling and dropping, payment status, exam permits and the transcript. Each route
calls the service the pages use with the caller (the service decides what the caller may see)
and dumps the result."""
from __future__ import annotations

import marshmallow as ma

from richwell.api.common import (
    MAX_ID,
    Blueprint,
    Id,
    Money,
    PageArgsSchema,
    UTCDateTime,
    api_user,
    page_schema,
    paginate,
)
from richwell.models import Role, Semester, SubjectEnrollmentStatus
from richwell.models.finance import Exam, PaymentKind, PaymentMethod
from richwell.services import enrollment as enrollment_service
from richwell.services import finance, grades
from richwell.services.platform.errors import NotFound

bp = Blueprint("api_student", __name__, tag="Student", url_prefix="/api/v1/student", roles=(Role.STUDENT,),
               description="A student's own records (role student).")

ENROLLMENT_ID = f"<int(min=1, max={MAX_ID}):enrollment_id>"


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
        if isinstance(obj, dict):  # an answer built from what the service returned
            return obj["section"]
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
    return enrollment_service.student_of(api_user())


@bp.route("/enrollment/")
@bp.arguments(PageArgsSchema, location="query")
@bp.response(200, page_schema(TermEnrollmentSchema))
@bp.alt_response(404, response="NOT_FOUND")
def enrollments(args):
    """My term enrollments

    Newest term first, 20 per page.
    """
    return paginate(enrollment_service.term_enrollments_of(api_user()), args["page"])


@bp.route(f"/enrollment/{ENROLLMENT_ID}/subjects/")
@bp.response(200, SubjectEnrollmentSchema(many=True))
@bp.alt_response(404, response="NOT_FOUND")
def enrollment_subjects(enrollment_id: int):
    """Subjects of one of my term enrollments

    Every subject of that term, dropped ones included, by subject code.
    """
    return enrollment_service.subjects_of(enrollment_id, api_user())


def _subject_answer(done: enrollment_service.Enrolled | enrollment_service.Dropped) -> dict:
    """The subject-enrollment object of an add or a drop, from what the service returned
    (the service read it all under its locks; nothing is read again)."""
    dropped = isinstance(done, enrollment_service.Dropped)
    return {"id": done.subject_enrollment_id,
            "subject": {"id": done.subject_id, "code": done.subject_code, "title": done.subject_title,
                        "units": done.units},
            "section": None if done.section_id is None else {"id": done.section_id, "code": done.section_code},
            "status": (SubjectEnrollmentStatus.DROPPED if dropped else SubjectEnrollmentStatus.ENROLLED).value,
            "grade": done.grade if isinstance(done, enrollment_service.Dropped) else None, "is_retake": done.is_retake,
            "is_irregular": done.is_irregular}


# ---------------------------------------------------------------- advising, enrolling, dropping

class CurriculumSubjectBriefSchema(SubjectBriefSchema):
    year_level = ma.fields.Integer(required=True)
    semester = ma.fields.String(required=True, validate=ma.validate.OneOf([s.value for s in Semester]))


class MeetingSchema(ma.Schema):
    day = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0, max=6),
                            metadata={"description": "0 = Monday … 6 = Sunday"})
    start = ma.fields.Time(required=True, format="%H:%M", metadata={"example": "08:00"})
    end = ma.fields.Time(required=True, format="%H:%M", metadata={"example": "09:30"})
    room = ma.fields.String(required=True, allow_none=True)


class SectionChoiceSchema(ma.Schema):
    id = ma.fields.Integer(required=True, attribute="section_id")
    code = ma.fields.String(required=True, attribute="section_code")
    capacity = ma.fields.Integer(required=True)
    enrolled = ma.fields.Integer(required=True, attribute="enrolled_count")
    professor = ma.fields.String(required=True, metadata={"example": "TBA"})
    schedule = ma.fields.List(ma.fields.Nested(MeetingSchema), required=True, attribute="meetings")


class AvailableSubjectSchema(ma.Schema):
    subject = ma.fields.Nested(CurriculumSubjectBriefSchema, required=True)
    is_recommended = ma.fields.Boolean(required=True)
    is_retake = ma.fields.Boolean(required=True)
    can_enroll = ma.fields.Boolean(required=True)
    reasons = ma.fields.List(ma.fields.String(), required=True,
                             metadata={"description": "why the subject cannot be added now (empty when it can)"})
    sections = ma.fields.List(ma.fields.Nested(SectionChoiceSchema), required=True)


def _reasons(choice: enrollment_service.SubjectChoice) -> list[str]:
    """The subject's own refusals; when none, what stops each of its sections (full, clash)."""
    reasons = [r.message for r in choice.refusals]
    if not reasons and not choice.can_enroll:
        for section in choice.sections:
            reasons.extend(r.message for r in section.refusals if r.message not in reasons)
        if not choice.sections:
            reasons.append(f"{choice.code} is not offered in any section this term.")
    return reasons


@bp.route(f"/enrollment/{ENROLLMENT_ID}/available_subjects/")
@bp.response(200, AvailableSubjectSchema(many=True))
@bp.alt_response(404, response="NOT_FOUND")
def available_subjects(enrollment_id: int):
    """Subjects I may add this term

    The recommended subjects (my year level and semester, back subjects, retakes) first, then
    the other offered subjects of my program (irregular); each with its sections, whether it
    can be added now and, if not, why — the same checks as enrolling.
    """
    advice = enrollment_service.advise(enrollment_id, api_user())
    return [{"subject": {"id": c.subject_id, "code": c.code, "title": c.title, "units": c.units,
                         "year_level": c.year_level, "semester": c.semester},
             "is_recommended": recommended, "is_retake": c.is_retake, "can_enroll": c.can_enroll,
             "reasons": _reasons(c), "sections": c.sections}
            for recommended, choices in ((True, advice.recommended), (False, advice.irregular)) for c in choices]


class EnrollSubjectSchema(ma.Schema):
    subject_id = Id(required=True)
    section_id = Id(required=True)


RULE_REFUSAL = {"description": "A business rule said no; `error.code` names it (`first_month_unpaid`, "
                               "`unit_cap`, `prerequisite`, `section_full`, `schedule_conflict`, "
                               "`already_enrolled`, `already_passed`, `enrollment_closed`, ...)."}


@bp.route(f"/enrollment/{ENROLLMENT_ID}/enroll_subject/", methods=["POST"])
@bp.arguments(EnrollSubjectSchema)
@bp.response(201, SubjectEnrollmentSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="DEFAULT_ERROR", description=RULE_REFUSAL["description"])
def enroll_subject(body, enrollment_id: int):
    """Add a subject in a section

    Every enrollment rule applies in order (window, first month paid, not taken, prerequisites,
    unit cap, seats, schedule); a refusal is 422 with the rule's code.
    """
    added = enrollment_service.enroll_in_subject(enrollment_id, body["subject_id"], body["section_id"], api_user())
    return _subject_answer(added)


class DropSubjectSchema(ma.Schema):
    subject_enrollment_id = Id(required=True)


@bp.route(f"/enrollment/{ENROLLMENT_ID}/drop_subject/", methods=["POST"])
@bp.arguments(DropSubjectSchema)
@bp.response(200, SubjectEnrollmentSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(422, response="DEFAULT_ERROR",
                 description="`drop_deadline_passed` after the term's drop deadline; `not_enrolled` for a "
                             "subject that is not enrolled.")
def drop_subject(body, enrollment_id: int):
    """Drop an enrolled subject

    Before the term's drop deadline; the seat and the units are freed at once.
    """
    dropped = enrollment_service.drop_subject(body["subject_enrollment_id"], api_user(),
                                              term_enrollment_id=enrollment_id)
    return _subject_answer(dropped)


# ---------------------------------------------------------------- payments and permits

class MonthSchema(ma.Schema):
    month = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1))
    required = Money(required=True)
    paid = Money(required=True)
    is_fully_paid = ma.fields.Boolean(required=True)


class LedgerEntrySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    receipt_number = ma.fields.String(required=True, allow_none=True,
                                      metadata={"description": "null for a reversal", "example": "OR-2026-000001"})
    amount = Money(required=True, metadata={"description": "negative for a reversal"})
    method = ma.fields.String(required=True, validate=ma.validate.OneOf([m.value for m in PaymentMethod]))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf([k.value for k in PaymentKind]))
    created_at = UTCDateTime(required=True)


class PaymentStatusSchema(ma.Schema):
    enrollment_id = ma.fields.Integer(required=True)
    monthly_commitment = Money(required=True)
    total_due = Money(required=True)
    total_paid = Money(required=True)
    balance = Money(required=True)
    credit_balance = Money(required=True)
    first_month_paid = ma.fields.Boolean(required=True)
    months = ma.fields.List(ma.fields.Nested(MonthSchema), required=True)
    payments = ma.fields.List(ma.fields.Nested(LedgerEntrySchema), required=True)


@bp.route(f"/enrollment/{ENROLLMENT_ID}/payment_status/")
@bp.response(200, PaymentStatusSchema)
@bp.alt_response(404, response="NOT_FOUND")
def payment_status(enrollment_id: int):
    """My payment plan for a term

    The six monthly buckets, totals, credit balance and every payment and reversal (newest first).
    """
    account = finance.account_for_enrollment(enrollment_id, api_user())
    chosen = account.enrollment
    if chosen is None:  # pragma: no cover - the account of an enrollment always shows it
        raise NotFound("That enrollment does not exist.")
    return {"enrollment_id": chosen.id, "monthly_commitment": chosen.monthly_commitment,
            "total_due": chosen.total_due, "total_paid": chosen.total_paid, "balance": chosen.balance,
            "credit_balance": chosen.credit_balance, "first_month_paid": chosen.first_month_paid,
            "months": account.buckets, "payments": account.ledger}


class PermitSchema(ma.Schema):
    exam = ma.fields.String(required=True, validate=ma.validate.OneOf([e.value for e in Exam]))
    month = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(["LOCKED", "ISSUED", "REVOKED"]))
    code = ma.fields.String(required=True, allow_none=True,
                            metadata={"description": "the printed code, only while ISSUED"})
    issued_at = UTCDateTime(required=True, allow_none=True)


class ExamPermitsSchema(ma.Schema):
    permits = ma.fields.List(ma.fields.Nested(PermitSchema), required=True)


@bp.route(f"/enrollment/{ENROLLMENT_ID}/exam_permit/")
@bp.response(200, ExamPermitsSchema)
@bp.alt_response(404, response="NOT_FOUND")
def exam_permit(enrollment_id: int):
    """My exam permits for a term

    Each exam with its mapped month: LOCKED until that month is fully paid, then ISSUED (with
    its code), REVOKED if a reversal reopened the month.
    """
    return {"permits": [
        {"exam": s.exam, "month": s.month, "status": s.state.upper(),
         "code": s.permit.display_code if s.permit is not None and s.state == "issued" else None,
         "issued_at": s.permit.issued_at if s.permit is not None else None}
        for s in finance.permits_for_enrollment(enrollment_id, api_user())]}


# ---------------------------------------------------------------- transcript

class TranscriptStudentSchema(ma.Schema):
    name = ma.fields.String(required=True)
    student_number = ma.fields.String(required=True, attribute="number")
    program = ma.fields.Nested(ma.Schema.from_dict({"code": ma.fields.String(required=True),
                                                    "name": ma.fields.String(required=True)},
                                                   name="TranscriptProgramSchema"), required=True)
    admission_type = ma.fields.String(required=True)
    year_level = ma.fields.Integer(required=True)


class TranscriptSubjectSchema(ma.Schema):
    code = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    units = ma.fields.Integer(required=True)
    grade = ma.fields.String(required=True, allow_none=True, metadata={"example": "1.75"})
    status = ma.fields.String(required=True, metadata={"example": "PASSED"})


class TranscriptTermSchema(ma.Schema):
    term = ma.fields.String(required=True, attribute="name", metadata={"example": "1st semester 2026-2027"})
    subjects = ma.fields.List(ma.fields.Nested(TranscriptSubjectSchema), required=True)
    gpa = ma.fields.String(required=True, allow_none=True, metadata={"example": "1.75"})


class TranscriptCreditSchema(ma.Schema):
    code = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    units = ma.fields.Integer(required=True)
    school = ma.fields.String(required=True, attribute="source_school")
    original_grade = ma.fields.String(required=True, allow_none=True)
    counted_in_gpa = ma.fields.Boolean(required=True, attribute="in_gpa")


class TranscriptSchema(ma.Schema):
    student = ma.fields.Nested(TranscriptStudentSchema, required=True)
    terms = ma.fields.List(ma.fields.Nested(TranscriptTermSchema), required=True)
    credits = ma.fields.List(ma.fields.Nested(TranscriptCreditSchema), required=True)
    cumulative_gpa = ma.fields.String(required=True, allow_none=True, metadata={"example": "1.75"})
    units_earned = ma.fields.Integer(required=True)


@bp.route(f"/enrollment/{ENROLLMENT_ID}/transcript/")
@bp.response(200, TranscriptSchema)
@bp.alt_response(404, response="NOT_FOUND")
def transcript(enrollment_id: int):
    """My academic record

    Every term (oldest first) with its subjects and GPA, accepted transfer credits, the
    cumulative GPA and units earned: the same record the transcript page shows.
    """
    caller = api_user()
    record = grades.build_record(caller, enrollment_service.term_enrollment_for(enrollment_id, caller).student_id)
    facts = record["student"]
    record["student"] = {**facts, "program": {"code": facts["program_code"], "name": facts["program_name"]}}
    return record
