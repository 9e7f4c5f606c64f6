"""Transferees and their credited subjects (DOMAIN.md "Transferee credits").

A credit names the matching subject of our curriculum and what the student passed elsewhere.
While ACCEPTED it counts as CREDITED for prerequisites (academics.latest_results); in the GPA
only when marked "counted in GPA". A registrar may dispute a credit; only the head registrar
settles a dispute.
"""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Unpack

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import (
    AdmissionType,
    CreditStatus,
    Role,
    Student,
    Subject,
    TransferCredit,
    User,
)
from richwell.services.academics import latest_results
from richwell.services.platform import accounts, audit
from richwell.services.platform.clock import now
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from richwell.services.platform.limits import MAX_ID
from richwell.services.platform.unit_of_work import unit_of_work

from .commands import Admitted, admit
from .rules import (
    REASON_MAX,
    SCHOOL_MAX,
    Problems,
    checked,
    parse_required_text,
    parse_text,
    require_registrar,
)
from .validation import ApplicationValues, Upload, check_documents, validate_applicant

# A credit counted in the GPA needs a grade on our scale, and a credit is a passed subject.
PASSING_GRADES = ("1.00", "1.25", "1.50", "1.75", "2.00", "2.25", "2.50", "2.75", "3.00")
CODE_MAX = 30
TITLE_MAX = 200
GRADE_MAX = 10


def create_transferee(actor: User, *, documents: Iterable[Upload] | None = (),
                      **values: Unpack[ApplicationValues]) -> Admitted:
    """The registrar creates a transferee directly, with the application's rules (previous
    school and course required), created via REGISTRAR, and a generated first password the
    student must change at first sign-in. The online application switch does not matter here."""
    require_registrar(actor)
    values["admission_type"] = AdmissionType.TRANSFEREE.value
    values.pop("password", None)
    p = Problems()
    applicant = p.check(validate_applicant, check_password=False, **values)
    accepted = p.check(check_documents, documents)
    p.raise_if_any()
    password = accounts.generate_password()
    # admit is the unit of work: account, student, documents and enrollment, or nothing.
    admitted = admit(checked(applicant), password=password, actor=actor, created_via="REGISTRAR",
                     must_change_password=True, documents=checked(accepted))
    return Admitted(admitted.student, admitted.enrollment, password)


def convert_to_transferee(actor: User, student_id: int, previous_school: str | None,
                          previous_course: str | None) -> Student:
    """The registrar turns a student admitted as a freshman into a transferee (giving the
    previous school and course) so that prior subjects can be credited; audited."""
    require_registrar(actor)
    p = Problems()
    school = p.check(parse_required_text, previous_school, "previous_school", "previous school", SCHOOL_MAX)
    course = p.check(parse_required_text, previous_course, "previous_course", "previous course", SCHOOL_MAX)
    p.raise_if_any()
    with unit_of_work():
        student = db.session.get(Student, student_id)
        if student is None:
            raise NotFound("That student does not exist.")
        if student.admission_type == AdmissionType.TRANSFEREE.value:
            raise DomainError(f"{student.student_number} is already a transferee.", code="already_transferee")
        before = {"admission_type": student.admission_type, "previous_school": student.previous_school,
                  "previous_course": student.previous_course}
        student.admission_type = AdmissionType.TRANSFEREE.value
        student.previous_school = school
        student.previous_course = course
        audit.record(actor, "student.convert_transferee", student, before=before,
                     after={"admission_type": student.admission_type, "previous_school": school,
                            "previous_course": course})
    return student


def _parse_units(raw: object) -> int:
    try:
        units = int(str(raw).strip())
    except (TypeError, ValueError):
        raise ValidationError("Enter the units as a whole number from 1 to 6.", field="units") from None
    if not 1 <= units <= 6:
        raise ValidationError("Units must be a whole number from 1 to 6.", field="units")
    return units


def _parse_grade(raw: object, counted_in_gpa: bool) -> str:
    text = parse_required_text(raw, "original_grade", "original grade", GRADE_MAX)
    if not counted_in_gpa:
        return text  # another school's scale (A, 95, 1.5 …) is recorded as written
    try:
        value = Decimal(text) if text.isascii() else Decimal("NaN")
        grade = f"{value:.2f}" if value.is_finite() and 0 < value < 10 else None
    except (InvalidOperation, ValueError):
        grade = None
    if grade is None or grade not in PASSING_GRADES:
        raise ValidationError("A credit counted in the GPA needs a passing grade on our scale, 1.00 to 3.00.",
                              field="original_grade")
    return grade


def _subject_by_id(raw: object) -> Subject | None:
    try:
        subject_id = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    # An id beyond any key cannot exist (and must not reach PostgreSQL as an out-of-range integer).
    return db.session.get(Subject, subject_id) if 0 < subject_id <= MAX_ID else None


def subjects_for_credit(student: Student) -> list[Subject]:
    """Our curriculum's subjects a student can be credited with: those of their program."""
    return list(db.session.scalars(select(Subject).where(Subject.program_id == student.program_id)
                                   .order_by(Subject.year_level, Subject.semester, Subject.code)))


def _transferee(student_id: int) -> Student:
    student = db.session.get(Student, student_id)
    if student is None:
        raise NotFound("That student does not exist.")
    if student.admission_type != AdmissionType.TRANSFEREE.value:
        raise DomainError("Only transferees receive transfer credits. Mark the student as a transferee first.",
                          code="not_transferee")
    return student


def _refuse_if_passed_or_taking(student: Student, subject: Subject) -> None:
    """A credit is never for a subject already passed or being taken here."""
    result = latest_results(student.id, [subject.id])[subject.id]
    if result == "PASSED":
        raise DomainError(f"{student.student_number} already passed {subject.code} here; it needs no credit.",
                          code="already_passed", field="subject_id")
    if result == "ENROLLED":
        raise DomainError(f"{student.student_number} is taking {subject.code} this term; drop it before "
                          "crediting it.", code="currently_enrolled", field="subject_id")


def add_credit(actor: User, student_id: int, *, subject_id: object, source_school: str | None,
               original_code: str | None, original_title: str | None, original_grade: str | None,
               units: object, counted_in_gpa: bool = False) -> TransferCredit:
    """The registrar credits one prior subject of a transferee against the matching subject of
    the student's own program: source school, original code, title, grade, units, and whether it
    counts in the GPA (default no). One credit per subject; never for a subject already passed
    or being taken here."""
    require_registrar(actor)
    label = ""
    try:
        with unit_of_work():
            student = _transferee(student_id)
            counted = bool(counted_in_gpa)
            p = Problems()
            subject = _subject_by_id(subject_id)
            if subject is None or subject.program_id != student.program_id:
                p.add("subject_id", f"Choose a subject of the {student.program.code} curriculum.")
            school = p.check(parse_required_text, source_school or student.previous_school, "source_school",
                             "source school", SCHOOL_MAX)
            code = p.check(parse_required_text, original_code, "original_code", "original subject code", CODE_MAX)
            title = p.check(parse_required_text, original_title, "original_title", "original subject title",
                            TITLE_MAX)
            grade = p.check(_parse_grade, original_grade, counted)
            unit_count = p.check(_parse_units, units)
            p.raise_if_any()
            subject = checked(subject)
            label = f"{subject.code} is already credited to {student.student_number}"
            existing = db.session.scalar(select(TransferCredit).where(
                TransferCredit.student_id == student.id, TransferCredit.subject_id == subject.id))
            if existing is not None:
                raise Conflict(f"{label} ({existing.status}).", field="subject_id")
            _refuse_if_passed_or_taking(student, subject)
            credit = TransferCredit(student_id=student.id, subject_id=subject.id, source_school=school,
                                    original_code=code, original_title=title, original_grade=grade,
                                    units=unit_count, counted_in_gpa=counted, status=CreditStatus.ACCEPTED.value,
                                    created_by_id=actor.id, created_at=now())
            db.session.add(credit)
            db.session.flush()
            audit.record(actor, "credit.add", credit,
                         after={"student": student.student_number, "subject": subject.code,
                                "source_school": school, "original": f"{code} {title}", "grade": grade,
                                "units": unit_count, "counted_in_gpa": counted})
    except IntegrityError:  # the same subject credited at the same moment
        raise Conflict(f"{label}.", field="subject_id") from None
    return credit


def _locked_credit(credit_id: int) -> TransferCredit:
    credit: TransferCredit | None = db.session.scalar(
        select(TransferCredit).where(TransferCredit.id == credit_id).with_for_update()
        .execution_options(populate_existing=True))
    if credit is None:
        raise NotFound("That credit does not exist.")
    return credit


def dispute_credit(actor: User, credit_id: int, note: str | None) -> TransferCredit:
    """A registrar disputes an accepted credit with a note; until the head registrar settles
    it, it no longer counts (neither for prerequisites nor in the GPA)."""
    require_registrar(actor)
    text = parse_required_text(note, "note", "note", REASON_MAX)
    with unit_of_work():
        credit = _locked_credit(credit_id)
        if credit.status != CreditStatus.ACCEPTED.value:
            raise DomainError(f"Only an accepted credit can be disputed; this one is {credit.status}.",
                              code="not_accepted")
        credit.status = CreditStatus.DISPUTED.value
        credit.dispute_note = text
        audit.record(actor, "credit.dispute", credit, before={"status": CreditStatus.ACCEPTED.value},
                     after={"status": credit.status}, reason=text)
    return credit


def settle_credit(actor: User | None, credit_id: int, decision: str | None, note: str | None = None) -> TransferCredit:
    """Only the head registrar settles a disputed credit: ACCEPT (it counts again) or REJECT
    (final; a note saying why is required). Audited."""
    if actor is None or actor.role != Role.HEAD_REGISTRAR.value:
        raise Forbidden("Only the head registrar settles disputed credits.")
    value = str(decision or "").strip().upper()
    if value not in ("ACCEPT", "REJECT"):
        raise ValidationError("Choose accept or reject.", field="decision")
    text = parse_text(note, "note", "note", REASON_MAX, required=value == "REJECT")
    with unit_of_work():
        credit = _locked_credit(credit_id)
        if credit.status != CreditStatus.DISPUTED.value:
            raise DomainError(f"Only a disputed credit can be settled; this one is {credit.status}.",
                              code="not_disputed")
        credit.status = CreditStatus.ACCEPTED.value if value == "ACCEPT" else CreditStatus.REJECTED.value
        credit.settled_by_id = actor.id
        credit.settled_at = now()
        audit.record(actor, "credit.settle", credit, before={"status": CreditStatus.DISPUTED.value},
                     after={"status": credit.status}, reason=text)
    return credit


def credits_of(student_id: int) -> list[TransferCredit]:
    """A student's credits in the order they were given."""
    return list(db.session.scalars(select(TransferCredit).where(TransferCredit.student_id == student_id)
                                   .order_by(TransferCredit.id)))


def disputed_credits(actor: User | None) -> list[TransferCredit]:
    """The credits waiting for the head registrar, oldest first (registrars see them)."""
    require_registrar(actor, to="see")
    return list(db.session.scalars(select(TransferCredit).where(TransferCredit.status == CreditStatus.DISPUTED.value)
                                   .order_by(TransferCredit.created_at)))


def get_credit(actor: User | None, credit_id: int) -> TransferCredit:
    """One credit, for a registrar."""
    require_registrar(actor, to="see")
    credit = db.session.get(TransferCredit, credit_id)
    if credit is None:
        raise NotFound("That credit does not exist.")
    return credit
