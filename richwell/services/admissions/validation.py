"""The application checked as a whole (DOMAIN.md "Admissions"): every field rule, the two
that read the school's data (an active program, the minimum monthly commitment), and the
documents judged by their content. Nothing here writes."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypedDict, Unpack

from richwell.extensions import db
from richwell.models import AdmissionType, DocumentKind, Program
from richwell.services.enrollment import check_monthly_commitment
from richwell.services.platform import accounts
from richwell.services.platform.errors import ValidationError
from richwell.services.platform.limits import AMOUNT_TEXT_MAX, MAX_ID, MAX_PAYMENT

from . import uploads
from .rules import (
    ADDRESS_MAX,
    DOCUMENT_FIELDS,
    SCHOOL_MAX,
    Problems,
    checked,
    parse_admission_type,
    parse_birthdate,
    parse_mobile,
    parse_sex,
    parse_text,
)

# One attached document as the forms hand it over: (kind, original file name, bytes or stream).
Upload = tuple[str, str | None, uploads.UploadSource]


class ApplicationValues(TypedDict, total=False):
    """The application's fields as a form or the API sends them (checked by `validate_applicant`)."""

    first_name: str | None
    middle_name: str | None
    last_name: str | None
    email: str | None
    birthdate: date | str | None
    sex: str | None
    mobile: str | None
    address: str | None
    program_id: int | str | None
    admission_type: str | None
    previous_school: str | None
    previous_course: str | None
    password: str | None
    monthly_commitment: Decimal | str | None


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
    """One document that passed the checks, ready to be staged and recorded."""

    kind: str
    original_name: str
    data: bytes
    content_type: str
    extension: str


def parse_program(raw: object, field: str = "program_id") -> Program:
    """An active program, by id."""
    try:
        program_id = int(str(raw).strip())
    except (TypeError, ValueError):
        raise ValidationError("Choose a program.", field=field) from None
    # An id beyond any key cannot exist (and must not reach PostgreSQL as an out-of-range integer).
    program = db.session.get(Program, program_id) if 0 < program_id <= MAX_ID else None
    if program is None or not program.is_active:
        raise ValidationError("Choose a program that is accepting students.", field=field)
    return program


def parse_commitment(raw: object, field: str = "monthly_commitment") -> Decimal:
    """The monthly installment: an amount ≥ the minimum setting, at most 2 decimals."""
    if isinstance(raw, float):
        raise ValidationError("Enter the monthly commitment as an amount, like 2500.00.", field=field)
    text = str(raw if raw is not None else "").strip().replace(",", "")
    if text.startswith("₱"):
        text = text[1:].strip()
    if not text:
        raise ValidationError("Enter the monthly commitment.", field=field)
    try:
        amount = Decimal(text) if len(text) <= AMOUNT_TEXT_MAX and text.isascii() else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise ValidationError("Enter the monthly commitment as an amount, like 2500.00.", field=field)
    if amount > MAX_PAYMENT:
        raise ValidationError("The monthly commitment is larger than any real installment.", field=field)
    try:
        return check_monthly_commitment(amount)
    except ValidationError as error:
        if field != "monthly_commitment":
            raise ValidationError(error.message, field=field) from None
        raise


def validate_applicant(*, first_name: str | None = None, last_name: str | None = None, email: str | None = None,
                       birthdate: date | str | None = None, sex: str | None = None, mobile: str | None = None,
                       address: str | None = None, program_id: int | str | None = None,
                       admission_type: str | None = None, monthly_commitment: Decimal | str | None = None,
                       middle_name: str | None = None, previous_school: str | None = None,
                       previous_course: str | None = None, password: str | None = None,
                       password_confirmation: str | None = None, check_password: bool = True) -> Applicant:
    """Every field rule of DOMAIN.md "Admissions" at once; raises one ValidationError naming
    each field at fault. Transferees must give their previous school and course."""
    p = Problems()
    first = p.check(accounts.check_name, first_name, "first_name", "first name")
    middle = p.check(accounts.check_name, middle_name, "middle_name", "middle name", required=False)
    last = p.check(accounts.check_name, last_name, "last_name", "last name")
    normalized_email = p.check(accounts.normalize_email, email or "")
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
    return Applicant(first_name=checked(first), middle_name=middle, last_name=checked(last),
                     email=checked(normalized_email), birthdate=checked(born), sex=checked(sex_value),
                     mobile=checked(mobile_value), address=checked(address_value), program=checked(program),
                     admission_type=checked(kind),
                     previous_school=school if transferee else None,
                     previous_course=course if transferee else None,
                     monthly_commitment=checked(commitment))


def check_documents(documents: Iterable[Upload] | None) -> list[CheckedDocument]:
    """Each upload judged by its content: PDF, JPEG or PNG, ≤ 5 MB, one per kind.

    `documents` is an iterable of (kind, original file name, bytes or a readable stream).
    """
    p = Problems()
    accepted: list[CheckedDocument] = []
    seen: set[str] = set()
    for kind, filename, content in documents or ():
        kind_value = str(kind or "").upper()
        if kind_value not in DOCUMENT_FIELDS:
            p.add("documents", f"Unknown document kind {str(kind)[:30]!r}.")
            continue
        field = DOCUMENT_FIELDS[kind_value]
        label = DocumentKind(kind_value).label
        if kind_value in seen:
            p.add(field, f"Attach only one {label}.")
            continue
        seen.add(kind_value)
        result = p.check(uploads.check_file, content, field, label)
        if result is not None:
            accepted.append(CheckedDocument(kind_value, uploads.clean_original_name(filename), result.data,
                                            result.content_type, result.extension))
    p.raise_if_any()
    return accepted


def validate_application(*, documents: Iterable[Upload] | None = (), password_confirmation: str | None = None,
                         **values: Unpack[ApplicationValues]) -> Applicant:
    """The whole application (fields and documents) checked without writing anything."""
    p = Problems()
    applicant = p.check(validate_applicant, password_confirmation=password_confirmation, **values)
    p.check(check_documents, documents)
    p.raise_if_any()
    return checked(applicant)
