"""Student records (the registrar's): search, the record, profile edits, the dated status
history and program changes. Reads and writes take the acting user; only registrars pass."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TypedDict, Unpack

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import (
    AdmissionReview,
    AdmissionType,
    ApplicationDocument,
    Student,
    StudentStatus,
    StudentStatusChange,
    Term,
    TermEnrollment,
    TermEnrollmentStatus,
    TransferCredit,
    User,
)
from richwell.services.academics import current_term
from richwell.services.platform import accounts, audit
from richwell.services.platform.clock import now, today
from richwell.services.platform.errors import Conflict, DomainError, NotFound, ValidationError
from richwell.services.platform.limits import STAFF_PAGE_SIZE
from richwell.services.platform.unit_of_work import unit_of_work

from .queries import documents_of, review_of
from .rules import (
    ADDRESS_MAX,
    REASON_MAX,
    SCHOOL_MAX,
    Problems,
    parse_birthdate,
    parse_date,
    parse_mobile,
    parse_required_text,
    parse_sex,
    parse_text,
    require_registrar,
)
from .validation import parse_program

# What a student's term enrollment in the current term becomes when the student's status changes.
TERM_STATUS_FOR = {
    StudentStatus.LOA.value: TermEnrollmentStatus.LOA.value,
    StudentStatus.WITHDRAWN.value: TermEnrollmentStatus.WITHDRAWN.value,
}
PROFILE_FIELDS = ("first_name", "middle_name", "last_name", "email", "birthdate", "sex", "mobile",
                  "address", "previous_school", "previous_course")
# The profile fields kept on the account rather than on the student.
ACCOUNT_FIELDS = ("first_name", "middle_name", "last_name", "email")

ProfileValue = str | date | None


class ProfileChanges(TypedDict, total=False):
    """The profile fields a registrar may edit, as the form sends them."""

    first_name: str | None
    middle_name: str | None
    last_name: str | None
    email: str | None
    birthdate: date | str | None
    sex: str | None
    mobile: str | None
    address: str | None
    previous_school: str | None
    previous_course: str | None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def get_student(actor: User | None, student_id: int) -> Student:
    """One student, for a registrar."""
    require_registrar(actor, to="see")
    student = db.session.get(Student, student_id)
    if student is None:
        raise NotFound("That student does not exist.")
    return student


def locked_student(student_id: int) -> Student:
    """The student row, locked until the unit of work ends (status, program and term
    openings change one at a time), with fresh values."""
    student: Student | None = db.session.scalar(
        select(Student).where(Student.id == student_id).with_for_update()
        .execution_options(populate_existing=True))
    if student is None:
        raise NotFound("That student does not exist.")
    return student


def search(actor: User | None, query: str | None, *, program_id: int | None = None, status: str | None = None,
           page: int = 1, per_page: int = STAFF_PAGE_SIZE) -> Pagination:
    """Students whose number starts with the query, or whose names (every word) or email
    contain it, case-insensitive; optionally of one program and status. Registrars only."""
    require_registrar(actor, to="see")
    text = (query or "").strip()[:100]
    statement = select(Student).join(User, User.id == Student.user_id)
    if text:
        words = text.lower().split()
        name_match = and_(*[or_(func.lower(User.first_name).like(_like(w), escape="\\"),
                                func.lower(User.middle_name).like(_like(w), escape="\\"),
                                func.lower(User.last_name).like(_like(w), escape="\\")) for w in words])
        statement = statement.where(or_(
            Student.student_number.like(_like(text)[1:], escape="\\"),
            User.email.like(_like(text.lower()), escape="\\"),
            name_match,
        ))
    if program_id:
        statement = statement.where(Student.program_id == program_id)
    if status in {s.value for s in StudentStatus}:
        statement = statement.where(Student.status == status)
    statement = statement.order_by(User.last_name, User.first_name, Student.student_number)
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


@dataclass
class StudentRecord:
    """Everything the registrar's profile page shows about one student."""

    student: Student
    enrollments: list[TermEnrollment]
    credits: list[TransferCredit]
    history: list[StudentStatusChange]
    review: AdmissionReview | None
    documents: list[ApplicationDocument]
    current_enrollment: TermEnrollment | None


def record_of(actor: User | None, student_id: int) -> StudentRecord:
    """A student's record for a registrar: profile, term enrollments, credits, status
    history, documents."""
    student = get_student(actor, student_id)
    enrollments = list(db.session.scalars(
        select(TermEnrollment).join(Term, Term.id == TermEnrollment.term_id)
        .where(TermEnrollment.student_id == student.id).order_by(Term.start_date.desc())))
    credits = list(db.session.scalars(
        select(TransferCredit).where(TransferCredit.student_id == student.id).order_by(TransferCredit.id)))
    history = list(db.session.scalars(
        select(StudentStatusChange).where(StudentStatusChange.student_id == student.id)
        .order_by(StudentStatusChange.effective_date, StudentStatusChange.id)))
    current = next((e for e in enrollments if e.term.is_current), None)
    return StudentRecord(student, enrollments, credits, history, review_of(student.id), documents_of(student.id),
                         current)


# --- profile --------------------------------------------------------------------------------

def profile_values(student: Student) -> dict[str, ProfileValue]:
    """The editable profile as stored (the edit form's starting values)."""
    user = student.user
    return {"first_name": user.first_name, "middle_name": user.middle_name, "last_name": user.last_name,
            "email": user.email, "birthdate": student.birthdate, "sex": student.sex, "mobile": student.mobile,
            "address": student.address, "previous_school": student.previous_school,
            "previous_course": student.previous_course}


def _parse_profile(merged: dict[str, object], transferee: bool) -> dict[str, ProfileValue]:
    """The application's field rules over a whole profile; every problem at once."""
    p = Problems()

    def name(key: str, label: str, required: bool = True) -> str | None:
        value = merged[key]
        return p.check(accounts.check_name, value if isinstance(value, str) else None, key, label,
                       required=required)

    def previous(key: str, label: str) -> str | None:
        return p.check(parse_text, merged[key], key, label, SCHOOL_MAX, required=transferee)

    email = merged["email"]
    parsed: dict[str, ProfileValue] = {
        "first_name": name("first_name", "first name"),
        "middle_name": name("middle_name", "middle name", required=False),
        "last_name": name("last_name", "last name"),
        "email": p.check(accounts.normalize_email, email if isinstance(email, str) else ""),
        "birthdate": p.check(parse_birthdate, merged["birthdate"]),
        "sex": p.check(parse_sex, merged["sex"]),
        "mobile": p.check(parse_mobile, merged["mobile"]),
        "address": p.check(parse_text, merged["address"], "address", "address", ADDRESS_MAX),
        "previous_school": previous("previous_school", "previous school"),
        "previous_course": previous("previous_course", "previous course"),
    }
    p.raise_if_any()
    return parsed


def update_profile(actor: User, student_id: int, **changes: Unpack[ProfileChanges]) -> Student:
    """The registrar edits a student's profile with the application's field rules; only the
    fields that really changed are written and audited with their before and after."""
    require_registrar(actor)
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be edited here: {', '.join(sorted(unknown))}.")
    try:
        with unit_of_work():
            student = locked_student(student_id)
            current = profile_values(student)
            parsed = _parse_profile({**current, **changes}, student.admission_type == AdmissionType.TRANSFEREE.value)
            changed = {k: v for k, v in parsed.items() if v != current[k]}
            if not changed:
                return student
            if "email" in changed and db.session.scalar(select(func.count(User.id)).where(
                    User.email == changed["email"], User.id != student.user_id)):
                raise Conflict("Another account already uses this email.", field="email")
            for key, value in changed.items():
                setattr(student.user if key in ACCOUNT_FIELDS else student, key, value)
            audit.record(actor, "student.profile_edit", student, before={k: current[k] for k in changed},
                         after=changed)
    except IntegrityError:  # the email was taken at the same moment
        raise Conflict("Another account already uses this email.", field="email") from None
    return student


# --- status --------------------------------------------------------------------------------

def change_status(actor: User, student_id: int, to_status: str | None, effective_date: date | str | None,
                  reason: str | None) -> StudentStatusChange:
    """The registrar moves a student between ACTIVE, LOA, WITHDRAWN and GRADUATED with an
    effective date and a reason. The dated history stays in order (a date may not be in the
    future nor before the previous change), because LOA periods pause the INC clock. The
    current term's enrollment follows: LOA/WITHDRAWN there too, ACTIVE again on return."""
    require_registrar(actor)
    value = str(to_status or "").strip().upper()
    if value not in {s.value for s in StudentStatus}:
        raise ValidationError("Choose a status: active, leave of absence, withdrawn or graduated.",
                              field="to_status")
    effective = parse_date(effective_date, "effective_date")
    text = parse_required_text(reason, "reason", "reason", REASON_MAX)
    with unit_of_work():
        student = locked_student(student_id)
        if student.status == value:
            raise DomainError(f"{student.student_number} is already {value}.", code="same_status",
                              field="to_status")
        if effective > today():
            raise ValidationError("The effective date cannot be in the future; record the change when it happens.",
                                  field="effective_date")
        last = db.session.scalar(select(func.max(StudentStatusChange.effective_date))
                                 .where(StudentStatusChange.student_id == student.id))
        if last is not None and effective < last:
            raise ValidationError(f"The effective date cannot be before the previous status change "
                                  f"({last:%b %d, %Y}).", field="effective_date")
        before = student.status
        student.status = value
        change = StudentStatusChange(student_id=student.id, from_status=before, to_status=value,
                                     effective_date=effective, reason=text, actor_id=actor.id, created_at=now())
        db.session.add(change)
        _follow_in_current_term(student.id, value)
        audit.record(actor, "student.status_change", student, before={"status": before},
                     after={"status": value, "effective_date": effective}, reason=text)
    return change


def _follow_in_current_term(student_id: int, status: str) -> None:
    """The current term's enrollment takes the student's new status (LOA, WITHDRAWN), and
    becomes ACTIVE again when the student returns."""
    term = current_term()
    if term is None:
        return
    enrollment = db.session.scalar(select(TermEnrollment).where(
        TermEnrollment.student_id == student_id, TermEnrollment.term_id == term.id))
    if enrollment is None:
        return
    if status in TERM_STATUS_FOR:
        enrollment.status = TERM_STATUS_FOR[status]
    elif status == StudentStatus.ACTIVE.value and enrollment.status in TERM_STATUS_FOR.values():
        enrollment.status = TermEnrollmentStatus.ACTIVE.value


def loa_periods(student_id: int) -> list[tuple[date, date | None]]:
    """The student's leave-of-absence periods from the dated history: (start, end), end None
    while the leave continues. The INC clock does not count these days."""
    periods: list[tuple[date, date | None]] = []
    start: date | None = None
    for change in db.session.scalars(select(StudentStatusChange).where(StudentStatusChange.student_id == student_id)
                                     .order_by(StudentStatusChange.effective_date, StudentStatusChange.id)):
        if change.to_status == StudentStatus.LOA.value and start is None:
            start = change.effective_date
        elif change.to_status != StudentStatus.LOA.value and start is not None:
            periods.append((start, change.effective_date))
            start = None
    if start is not None:
        periods.append((start, None))
    return periods


def change_program(actor: User, student_id: int, program_id: int | str | None, reason: str | None) -> Student:
    """The registrar moves a student to another active program (one program per student),
    with a reason; audited. Credits against the old program's subjects stay on the record."""
    require_registrar(actor)
    with unit_of_work():
        program = parse_program(program_id)
        text = parse_required_text(reason, "reason", "reason", REASON_MAX)
        student = locked_student(student_id)
        if student.program_id == program.id:
            raise DomainError(f"{student.student_number} is already in {program.code}.", code="same_program",
                              field="program_id")
        before = student.program.code
        student.program = program
        if student.year_level > program.years:
            student.year_level = program.years
        audit.record(actor, "student.program_change", student, before={"program": before},
                     after={"program": program.code}, reason=text)
    return student
