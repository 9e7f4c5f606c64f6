"""Admitting a student (the online application, or the registrar for a transferee) and the
documents and their review afterwards; every write in one unit of work."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Unpack

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import (
    AdmissionReview,
    ApplicationDocument,
    DocumentsStatus,
    Role,
    Student,
    StudentNumberCounter,
    StudentStatus,
    StudentStatusChange,
    TermEnrollment,
    User,
)
from richwell.services.academics import current_term
from richwell.services.enrollment import open_term_enrollment
from richwell.services.platform import accounts, audit, notifications, settings
from richwell.services.platform.clock import now, today
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from richwell.services.platform.unit_of_work import unit_of_work

from . import uploads
from .rules import NOTE_MAX, Problems, checked, parse_text, require_admission_staff
from .validation import Applicant, ApplicationValues, CheckedDocument, Upload, check_documents, validate_applicant

RACED = ("The application could not be saved because a record it needs was taken at the same moment. "
         "Nothing was created; please submit it again.")


@dataclass(frozen=True)
class Admitted:
    """What an admission created."""

    student: Student
    enrollment: TermEnrollment | None
    # Only for registrar-created students: the generated first password, shown once.
    password: str | None = None

    @property
    def student_number(self) -> str:
        """The new student's number (YYYY-NNNNN)."""
        return self.student.student_number


def next_student_number(year: int) -> str:
    """The next `YYYY-NNNNN` for an admission year: sequential, never reused, without gaps.

    One upsert increments the year's counter row and returns the value; the row stays locked
    until the caller's unit of work ends, so concurrent applications queue here and a rolled
    back application gives its number back.
    """
    counter = StudentNumberCounter
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # A year's first number continues after any student already numbered for that year
    # (records imported by hand), so the counter never hands out a taken number.
    prefix = f"{year}-"
    first = (select(func.coalesce(func.max(cast(func.substr(Student.student_number, 6), Integer)), 0) + 1)
             .where(Student.student_number.like(prefix + "%")).scalar_subquery())
    statement = (insert(counter).values(year=year, last_value=first)
                 .on_conflict_do_update(index_elements=[counter.year],
                                        set_={"last_value": counter.last_value + 1})
                 .returning(counter.last_value))
    value: int = db.session.execute(statement).scalar_one()
    if value > 99999:
        raise DomainError(f"Student numbers for {year} are used up (99999 reached).", code="numbers_exhausted")
    return f"{year}-{value:05d}"


def admit(applicant: Applicant, *, password: str, actor: User | None, created_via: str,
          must_change_password: bool = False, documents: Sequence[CheckedDocument] = (),
          open_enrollment: bool = True) -> Admitted:
    """Create, in ONE unit of work, the account, the student with its number, the status
    history's first line, the admission review, the documents, the term enrollment in the
    current term with its month buckets, the welcome notification and the audit entry.

    Any failure rolls everything back and deletes the staged files; they are moved into place
    only after the commit. `actor` None means the applicant acted for themselves (online).
    """
    term = current_term()
    if open_enrollment and term is None:
        raise DomainError("Admissions need a current term, and none is set yet. Please try again later.",
                          code="no_current_term")
    if db.session.scalar(select(func.count(User.id)).where(User.email == applicant.email)):
        raise Conflict("An account with this email already exists. Sign in instead, or use another email.",
                       field="email")
    try:
        with unit_of_work():
            staged = uploads.StagedFiles()
            stored = [(doc, staged.write(doc.data, doc.extension)) for doc in documents]
            user = accounts.create_user(email=applicant.email, first_name=applicant.first_name,
                                        middle_name=applicant.middle_name, last_name=applicant.last_name,
                                        role=Role.STUDENT, password=password,
                                        must_change_password=must_change_password, actor=actor)
            acting = actor or user
            admitted_on = today()
            # Taken late on purpose: the counter row stays locked until the commit.
            number = next_student_number(admitted_on.year)
            student = Student(user_id=user.id, student_number=number, program_id=applicant.program.id,
                              status=StudentStatus.ACTIVE.value, admission_type=applicant.admission_type,
                              year_level=1, created_via=created_via, birthdate=applicant.birthdate,
                              sex=applicant.sex, mobile=applicant.mobile, address=applicant.address,
                              previous_school=applicant.previous_school,
                              previous_course=applicant.previous_course, created_at=now())
            db.session.add(student)
            db.session.flush()
            db.session.add(StudentStatusChange(student_id=student.id, from_status=None,
                                               to_status=StudentStatus.ACTIVE.value, effective_date=admitted_on,
                                               reason="Admitted", actor_id=acting.id, created_at=now()))
            db.session.add(AdmissionReview(student_id=student.id, created_at=now()))
            for doc, stored_name in stored:
                db.session.add(ApplicationDocument(student_id=student.id, kind=doc.kind,
                                                   original_name=doc.original_name, stored_name=stored_name,
                                                   content_type=doc.content_type, size=len(doc.data),
                                                   uploaded_at=now()))
            enrollment = None
            if open_enrollment and term is not None:
                enrollment = open_term_enrollment(student, term, applicant.monthly_commitment, acting)
            notifications.notify(
                user.id, "welcome",
                f"Welcome to Richwell Colleges, {applicant.first_name}! Your student number is {number}. "
                "Sign in with it (or your email) and your password.", link="/student/")
            audit.record(acting, "student.admit", student,
                         after={"student_number": number, "program": applicant.program.code,
                                "admission_type": applicant.admission_type, "created_via": created_via,
                                "documents": [d.kind for d in documents]})
    except IntegrityError:
        raise Conflict(RACED) from None
    return Admitted(student, enrollment)


def submit_application(*, documents: Iterable[Upload] | None = (), password_confirmation: str | None = None,
                       **values: Unpack[ApplicationValues]) -> Admitted:
    """The public online application (DOMAIN.md "Admissions"): open only while the setting
    `enrollment_link_enabled` is on; every field rule; documents judged by content. Creates
    everything in one unit of work with no manual approval; a duplicate email creates nothing.

    `values`: first_name, middle_name, last_name, email, birthdate, sex, mobile, address,
    program_id, admission_type, previous_school, previous_course, password, monthly_commitment.
    Documents are optional here (the JSON API has none); the web form requires them.
    """
    if not settings.get("enrollment_link_enabled"):
        raise Forbidden("The online application is closed right now.", code="enrollment_closed")
    p = Problems()
    applicant = p.check(validate_applicant, password_confirmation=password_confirmation, **values)
    accepted = p.check(check_documents, documents)
    p.raise_if_any()
    return admit(checked(applicant), password=values.get("password") or "", actor=None, created_via="ONLINE",
                 documents=checked(accepted))


# --- documents after admission ---------------------------------------------------------------

def replace_documents(student_user: User, documents: Iterable[Upload] | None) -> list[ApplicationDocument]:
    """A student hands in missing or better documents (only their own): each replaces the one
    of its kind, and a review marked INCOMPLETE goes back to PENDING for admission staff."""
    student = student_user.student
    if student is None:
        raise NotFound("Your student record does not exist.")
    accepted = check_documents(documents)
    if not accepted:
        raise ValidationError("Attach at least one document.", field="documents")
    saved: list[ApplicationDocument] = []
    with unit_of_work():
        staged = uploads.StagedFiles()
        for doc in accepted:
            stored_name = staged.write(doc.data, doc.extension)
            row = db.session.scalar(select(ApplicationDocument).where(
                ApplicationDocument.student_id == student.id, ApplicationDocument.kind == doc.kind))
            if row is None:
                row = ApplicationDocument(student_id=student.id, kind=doc.kind)
                db.session.add(row)
            else:
                staged.obsolete.append(row.stored_name)
            row.original_name = doc.original_name
            row.stored_name = stored_name
            row.content_type = doc.content_type
            row.size = len(doc.data)
            row.uploaded_at = now()
            saved.append(row)
        review = _review_for(student.id)
        if review.documents_status == DocumentsStatus.INCOMPLETE.value:
            review.documents_status = DocumentsStatus.PENDING.value
        audit.record(student_user, "admission.documents_upload", student,
                     after={"documents": [d.kind for d in accepted]})
    return saved


def _review_for(student_id: int) -> AdmissionReview:
    review = db.session.scalar(select(AdmissionReview).where(AdmissionReview.student_id == student_id))
    if review is None:  # students created before reviews existed (or by hand) get one on demand
        review = AdmissionReview(student_id=student_id, created_at=now())
        db.session.add(review)
        db.session.flush()
    return review


def review_documents(actor: User, student_id: int, status: str | None, note: str | None) -> AdmissionReview:
    """Admission staff mark a student's documents COMPLETE or INCOMPLETE. INCOMPLETE needs a
    note saying what is missing; the student sees the note and is notified."""
    require_admission_staff(actor)
    with unit_of_work():
        student = db.session.get(Student, student_id)
        if student is None:
            raise NotFound("That application does not exist.")
        value = str(status or "").strip().upper()
        if value not in (DocumentsStatus.COMPLETE.value, DocumentsStatus.INCOMPLETE.value):
            raise ValidationError("Choose complete or incomplete.", field="status")
        text = parse_text(note, "note", "note", NOTE_MAX, required=value == DocumentsStatus.INCOMPLETE.value)
        review = _review_for(student.id)
        before = {"documents_status": review.documents_status, "note": review.note}
        review.documents_status = value
        review.note = text
        review.reviewer_id = actor.id
        review.reviewed_at = now()
        verdict = "complete" if value == DocumentsStatus.COMPLETE.value else "incomplete"
        message = f"Admissions reviewed your documents: {verdict}."
        if text:
            message += f" Note: {text}"
        notifications.notify(student.user_id, "application_reviewed", message, link="/student/")
        audit.record(actor, "admission.review", student, before=before,
                     after={"documents_status": value, "note": text})
    return review
