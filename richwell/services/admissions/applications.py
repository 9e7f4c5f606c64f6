"""Admissions: the online application (account, student number, term enrollment and its
installment plan in one transaction), the applicant's documents, and their review."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import (
    AdmissionReview,
    AdmissionType,
    ApplicationDocument,
    DocumentKind,
    DocumentsStatus,
    Program,
    Role,
    Student,
    StudentNumberCounter,
    StudentStatus,
    StudentStatusChange,
    TermEnrollment,
    User,
)
from richwell.services.academics import current_term
from richwell.services.enrollment import check_monthly_commitment, open_term_enrollment
from richwell.services.platform import accounts, audit, notifications, settings
from richwell.services.platform.clock import MANILA, now, today
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError

from . import uploads

MOBILE_RE = re.compile(r"^(09\d{9}|\+639\d{9})$")
MIN_AGE = 14
ADDRESS_MAX = 500
SCHOOL_MAX = 200
NOTE_MAX = 2000
# The form field each document's problems are reported at (the web form uses these names).
DOCUMENT_FIELDS = {
    DocumentKind.ID.value: "id_document",
    DocumentKind.FORM138_OR_TOR.value: "form138_document",
    DocumentKind.GOOD_MORAL.value: "good_moral_document",
}
# Who may open an applicant's documents besides the student: admission staff and registrars.
DOCUMENT_STAFF = {Role.ADMISSION.value, Role.REGISTRAR.value, Role.HEAD_REGISTRAR.value}


@dataclass(frozen=True)
class Applicant:
    """An application's values after validation (what gets stored)."""

    first_name: str
    middle_name: str | None
    last_name: str
    email: str
    birthdate: date
    sex: str
    mobile: str
    address: str
    program: Program
    admission_type: str
    previous_school: str | None
    previous_course: str | None
    monthly_commitment: Decimal


@dataclass(frozen=True)
class CheckedDocument:
    kind: str
    original_name: str
    data: bytes
    content_type: str
    extension: str


@dataclass(frozen=True)
class Admitted:
    student: Student
    enrollment: TermEnrollment | None
    # Only for registrar-created students: the generated first password, shown once.
    password: str | None = None

    @property
    def student_number(self) -> str:
        return self.student.student_number


class _Problems:
    """Collects field problems so the applicant sees every one of them at once."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def check(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ValidationError as error:
            for name, messages in (error.fields or {"form": [error.message]}).items():
                self.fields.setdefault(name, []).extend(messages)
            return None

    def raise_if_any(self) -> None:
        if self.fields:
            messages = [m for ms in self.fields.values() for m in ms]
            raise ValidationError(" ".join(messages), fields=self.fields)


# --- field rules -------------------------------------------------------------------------

def parse_birthdate(raw, field: str = "birthdate") -> date:
    """A birthdate (date or YYYY-MM-DD) that is not in the future and makes the person at
    least 14 years old on the school's clock."""
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, date):
        value = raw
    else:
        text = str(raw or "").strip()
        if not text:
            raise ValidationError("Enter the birthdate.", field=field)
        try:
            value = date.fromisoformat(text[:10]) if len(text) == 10 else None
        except ValueError:
            value = None
        if value is None:
            raise ValidationError("Enter the birthdate as a date, like 2007-06-15.", field=field)
    current = today()
    if value > current:
        raise ValidationError("The birthdate cannot be in the future.", field=field)
    if value.year < 1900:
        raise ValidationError("Enter a real birthdate.", field=field)
    age = current.year - value.year - ((current.month, current.day) < (value.month, value.day))
    if age < MIN_AGE:
        raise ValidationError(f"An applicant must be at least {MIN_AGE} years old.", field=field)
    return value


def parse_sex(raw, field: str = "sex") -> str:
    value = str(raw or "").strip().upper()
    if value not in ("M", "F"):
        raise ValidationError("Choose M or F.", field=field)
    return value


def parse_mobile(raw, field: str = "mobile") -> str:
    """A Philippine mobile number: 09XXXXXXXXX or +639XXXXXXXXX (spaces and dashes ignored)."""
    value = re.sub(r"[\s-]", "", str(raw or ""))
    if not value:
        raise ValidationError("Enter a mobile number.", field=field)
    if not MOBILE_RE.match(value):
        raise ValidationError("Enter a Philippine mobile number: 09XXXXXXXXX or +639XXXXXXXXX.", field=field)
    return value


def parse_text(raw, field: str, label: str, limit: int, required: bool = True) -> str | None:
    value = str(raw or "").strip()
    if not value:
        if required:
            raise ValidationError(f"Enter the {label}.", field=field)
        return None
    if len(value) > limit:
        raise ValidationError(f"The {label} may be at most {limit} characters.", field=field)
    return value


def parse_program(raw, field: str = "program_id") -> Program:
    """An active program, by id."""
    try:
        program_id = int(str(raw).strip())
    except (TypeError, ValueError):
        raise ValidationError("Choose a program.", field=field) from None
    program = db.session.get(Program, program_id)
    if program is None or not program.is_active:
        raise ValidationError("Choose a program that is accepting students.", field=field)
    return program


def parse_admission_type(raw, field: str = "admission_type") -> str:
    value = str(raw or "").strip().upper()
    if value not in (AdmissionType.FRESHMAN.value, AdmissionType.TRANSFEREE.value):
        raise ValidationError("Choose freshman or transferee.", field=field)
    return value


def parse_commitment(raw, field: str = "monthly_commitment") -> Decimal:
    """The monthly installment: an amount ≥ the minimum setting, at most 2 decimals."""
    if isinstance(raw, float):
        raise ValidationError("Enter the monthly commitment as an amount, like 2500.00.", field=field)
    text = str(raw if raw is not None else "").strip().replace(",", "")
    if text.startswith("₱"):
        text = text[1:].strip()
    if not text:
        raise ValidationError("Enter the monthly commitment.", field=field)
    try:
        amount = Decimal(text) if len(text) <= 20 else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise ValidationError("Enter the monthly commitment as an amount, like 2500.00.", field=field)
    if amount > settings.MAX_MONEY:
        raise ValidationError("The monthly commitment is larger than any real installment.", field=field)
    try:
        return check_monthly_commitment(amount)
    except ValidationError as error:
        if field != "monthly_commitment":
            raise ValidationError(error.message, field=field) from None
        raise


def validate_applicant(*, first_name=None, last_name=None, email=None, birthdate=None, sex=None, mobile=None,
                       address=None, program_id=None, admission_type=None, monthly_commitment=None,
                       middle_name=None, previous_school=None, previous_course=None, password: str | None = None,
                       password_confirmation: str | None = None, check_password: bool = True) -> Applicant:
    """Every field rule of DOMAIN.md "Admissions" at once; raises one ValidationError naming
    each field at fault. Transferees must give their previous school and course."""
    p = _Problems()
    first = p.check(accounts.check_name, first_name, "first_name", "first name")
    middle = p.check(accounts.check_name, middle_name, "middle_name", "middle name", required=False)
    last = p.check(accounts.check_name, last_name, "last_name", "last name")
    normalized_email = p.check(accounts.normalize_email, email)
    born = p.check(parse_birthdate, birthdate)
    sex_value = p.check(parse_sex, sex)
    mobile_value = p.check(parse_mobile, mobile)
    address_value = p.check(parse_text, address, "address", "address", ADDRESS_MAX)
    program = p.check(parse_program, program_id)
    kind = p.check(parse_admission_type, admission_type)
    transferee = kind == AdmissionType.TRANSFEREE.value
    school = p.check(parse_text, previous_school, "previous_school", "previous school", SCHOOL_MAX,
                     required=transferee)
    course = p.check(parse_text, previous_course, "previous_course", "previous course", SCHOOL_MAX,
                     required=transferee)
    if check_password:
        p.check(accounts.check_password_strength, password or "", field="password")
        if password_confirmation is not None and password_confirmation != password:
            p.add("confirm_password", "The two passwords do not match.")
    commitment = p.check(parse_commitment, monthly_commitment)
    p.raise_if_any()
    return Applicant(first_name=first, middle_name=middle, last_name=last, email=normalized_email,
                     birthdate=born, sex=sex_value, mobile=mobile_value, address=address_value,
                     program=program, admission_type=kind,
                     previous_school=school if transferee else None,
                     previous_course=course if transferee else None,
                     monthly_commitment=commitment)


def check_documents(documents) -> list[CheckedDocument]:
    """Each upload judged by its content: PDF, JPEG or PNG, ≤ 5 MB, one per kind.

    `documents` is an iterable of (kind, original file name, bytes or a readable stream).
    """
    p = _Problems()
    checked: list[CheckedDocument] = []
    seen: set[str] = set()
    for kind, filename, content in documents or ():
        kind_value = str(kind or "").upper()
        if kind_value not in DOCUMENT_FIELDS:
            p.add("documents", f"Unknown document kind {str(kind)[:30]!r}.")
            continue
        field = DOCUMENT_FIELDS[kind_value]
        if kind_value in seen:
            p.add(field, f"Attach only one {DocumentKind(kind_value).label}.")
            continue
        seen.add(kind_value)
        label = DocumentKind(kind_value).label
        result = p.check(uploads.check_file, content, field, label)
        if result is not None:
            data, content_type, extension = result
            checked.append(CheckedDocument(kind_value, uploads.clean_original_name(filename), data,
                                           content_type, extension))
    p.raise_if_any()
    return checked


def validate_application(*, documents=(), **values) -> Applicant:
    """The whole application (fields and documents) checked without writing anything."""
    p = _Problems()
    applicant = p.check(validate_applicant, **values)
    p.check(check_documents, documents)
    p.raise_if_any()
    return applicant


# --- the student number --------------------------------------------------------------------

def next_student_number(year: int) -> str:
    """The next `YYYY-NNNNN` for an admission year: sequential, never reused, without gaps.

    One upsert increments the year's counter row and returns the value; the row stays locked
    until the caller's transaction ends, so concurrent applications queue here and a rolled
    back application gives its number back.
    """
    table = StudentNumberCounter.__table__
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # A year's first number continues after any student already numbered for that year
    # (records imported by hand), so the counter never hands out a taken number.
    prefix = f"{year}-"
    first = (select(func.coalesce(func.max(cast(func.substr(Student.student_number, 6), Integer)), 0) + 1)
             .where(Student.student_number.like(prefix + "%")).scalar_subquery())
    statement = (insert(table).values(year=year, last_value=first)
                 .on_conflict_do_update(index_elements=[table.c.year],
                                        set_={"last_value": table.c.last_value + 1})
                 .returning(table.c.last_value))
    value = db.session.execute(statement).scalar_one()
    if value > 99999:
        raise DomainError(f"Student numbers for {year} are used up (99999 reached).", code="numbers_exhausted")
    return f"{year}-{value:05d}"


# --- admitting a student -------------------------------------------------------------------

def admit(applicant: Applicant, *, password: str, actor: User | None, created_via: str,
          must_change_password: bool = False, documents: list[CheckedDocument] = (),
          open_enrollment: bool = True) -> Admitted:
    """Create, in ONE transaction, the account, the student with its number, the status
    history's first line, the admission review, the documents, the term enrollment in the
    current term with its month buckets, the welcome notification and the audit entry.

    Any failure rolls everything back and deletes the staged files. `actor` None means the
    applicant acted for themselves (online application).
    """
    term = current_term()
    if open_enrollment and term is None:
        raise DomainError("Admissions need a current term, and none is set yet. Please try again later.",
                          code="no_current_term")
    if db.session.scalar(select(func.count(User.id)).where(User.email == applicant.email)):
        raise Conflict("An account with this email already exists. Sign in instead, or use another email.",
                       field="email")
    staged = uploads.StagedFiles()
    try:
        stored = [(doc, staged.write(doc.data, doc.extension)) for doc in documents]
        user = accounts.create_user(email=applicant.email, first_name=applicant.first_name,
                                    middle_name=applicant.middle_name, last_name=applicant.last_name,
                                    role=Role.STUDENT, password=password,
                                    must_change_password=must_change_password, actor=actor)
        acting = actor or user
        admitted_on = today()
        # Taken late on purpose: the counter row stays locked until the commit just below.
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
        if open_enrollment:
            enrollment = open_term_enrollment(student, term, applicant.monthly_commitment, acting)
        notifications.notify(
            user.id, "welcome",
            f"Welcome to Richwell Colleges, {applicant.first_name}! Your student number is {number}. "
            "Sign in with it (or your email) and your password.", link="/student/")
        audit.record(acting, "student.admit", student,
                     after={"student_number": number, "program": applicant.program.code,
                            "admission_type": applicant.admission_type, "created_via": created_via,
                            "documents": [d.kind for d in documents]})
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        staged.discard()
        raise Conflict("The application could not be saved because a record it needs was taken at the "
                       "same moment. Nothing was created; please submit it again.") from None
    except BaseException:
        db.session.rollback()
        staged.discard()
        raise
    staged.promote()
    return Admitted(student, enrollment)


def submit_application(*, documents=(), password_confirmation: str | None = None, **values) -> Admitted:
    """The public online application (DOMAIN.md "Admissions"): open only while the setting
    `enrollment_link_enabled` is on; every field rule; documents judged by content. Creates
    everything in one transaction with no manual approval; a duplicate email creates nothing.

    `values`: first_name, middle_name, last_name, email, birthdate, sex, mobile, address,
    program_id, admission_type, previous_school, previous_course, password, monthly_commitment.
    Documents are optional here (the JSON API has none); the web form requires them.
    """
    if not settings.get("enrollment_link_enabled"):
        raise Forbidden("The online application is closed right now.", code="enrollment_closed")
    p = _Problems()
    applicant = p.check(validate_applicant, password_confirmation=password_confirmation, **values)
    checked = p.check(check_documents, documents)
    p.raise_if_any()
    return admit(applicant, password=values.get("password") or "", actor=None, created_via="ONLINE",
                 documents=checked)


# --- documents after admission ---------------------------------------------------------------

def replace_documents(student_user: User, documents) -> list[ApplicationDocument]:
    """A student hands in missing or better documents: each replaces the one of its kind, and a
    review marked INCOMPLETE goes back to PENDING for admission staff."""
    student = student_user.student
    if student is None:
        raise NotFound("Your student record does not exist.")
    checked = check_documents(documents)
    if not checked:
        raise ValidationError("Attach at least one document.", field="documents")
    staged = uploads.StagedFiles()
    saved: list[ApplicationDocument] = []
    try:
        for doc in checked:
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
                     after={"documents": [d.kind for d in checked]})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        staged.discard()
        raise
    staged.promote()
    return saved


def document_for_viewer(viewer: User | None, document_id: int) -> tuple[ApplicationDocument, Path]:
    """An uploaded document and its file, for the owning student, admission staff and
    registrars only; for anyone else it does not exist."""
    document = db.session.get(ApplicationDocument, document_id)
    if document is None or viewer is None:
        raise NotFound("That document does not exist.")
    owner = viewer.role == Role.STUDENT.value and document.student.user_id == viewer.id
    if not owner and viewer.role not in DOCUMENT_STAFF:
        raise NotFound("That document does not exist.")
    path = uploads.path_of(document.stored_name)
    if not path.is_file():
        raise NotFound("That document's file is missing; ask the student to upload it again.")
    return document, path


def documents_of(student_id: int) -> list[ApplicationDocument]:
    rows = db.session.scalars(select(ApplicationDocument).where(ApplicationDocument.student_id == student_id)).all()
    order = list(DOCUMENT_FIELDS)
    return sorted(rows, key=lambda d: order.index(d.kind))


# --- the admission review ----------------------------------------------------------------------

def _review_for(student_id: int) -> AdmissionReview:
    review = db.session.scalar(select(AdmissionReview).where(AdmissionReview.student_id == student_id))
    if review is None:  # students created before reviews existed (or by hand) get one on demand
        review = AdmissionReview(student_id=student_id, created_at=now())
        db.session.add(review)
        db.session.flush()
    return review


def review_of(student_id: int) -> AdmissionReview | None:
    return db.session.scalar(select(AdmissionReview).where(AdmissionReview.student_id == student_id))


def review_documents(actor: User, student_id: int, status: str, note: str | None) -> AdmissionReview:
    """Admission staff mark a student's documents COMPLETE or INCOMPLETE. INCOMPLETE needs a
    note saying what is missing; the student sees the note and is notified."""
    if actor.role != Role.ADMISSION.value:
        raise Forbidden("Only admission staff review application documents.")
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
    db.session.commit()
    return review


def _manila_start(day: date) -> datetime:
    return datetime.combine(day, time.min, MANILA)


def list_applications(*, program_id: int | None = None, admission_type: str | None = None,
                      date_from: date | None = None, date_to: date | None = None,
                      documents_status: str | None = None, page: int = 1, per_page: int = 25):
    """Recent applications, newest first, filtered by program, admission type, application
    date (school clock) and documents status. Returns (page of students, review per student id)."""
    query = (select(Student)
             .join(AdmissionReview, AdmissionReview.student_id == Student.id)
             .order_by(Student.created_at.desc(), Student.id.desc()))
    if program_id:
        query = query.where(Student.program_id == program_id)
    if admission_type in (AdmissionType.FRESHMAN.value, AdmissionType.TRANSFEREE.value):
        query = query.where(Student.admission_type == admission_type)
    if date_from:
        query = query.where(Student.created_at >= _manila_start(date_from))
    if date_to:
        query = query.where(Student.created_at < _manila_start(date_to + timedelta(days=1)))
    if documents_status in {s.value for s in DocumentsStatus}:
        query = query.where(AdmissionReview.documents_status == documents_status)
    result = db.paginate(query, page=page, per_page=per_page, error_out=False)
    ids = [s.id for s in result.items]
    reviews = {r.student_id: r for r in db.session.scalars(
        select(AdmissionReview).where(AdmissionReview.student_id.in_(ids)))} if ids else {}
    return result, reviews


def get_application(student_id: int) -> Student:
    student = db.session.get(Student, student_id)
    if student is None:
        raise NotFound("That application does not exist.")
    return student


def active_programs() -> list[Program]:
    return list(db.session.scalars(select(Program).where(Program.is_active.is_(True)).order_by(Program.code)))
