"""The field rules of admissions and student records, pure (no database): each one turns
what a form or the API sent into the value stored, or refuses it at its field."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import ParamSpec, TypeVar

from richwell.models import AdmissionType, DocumentKind, Role, User
from richwell.services.platform.clock import today
from richwell.services.platform.errors import Forbidden, ValidationError
from richwell.services.platform.text import check_text

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

MOBILE_RE = re.compile(r"^(09[0-9]{9}|\+639[0-9]{9})$")
MIN_AGE = 14
ADDRESS_MAX = 500
SCHOOL_MAX = 200
NOTE_MAX = 2000
REASON_MAX = 1000
# The form field each document's problems are reported at (the web form uses these names).
DOCUMENT_FIELDS = {
    DocumentKind.ID.value: "id_document",
    DocumentKind.FORM138_OR_TOR.value: "form138_document",
    DocumentKind.GOOD_MORAL.value: "good_moral_document",
}
# Who may open an applicant's documents besides the student: admission staff and registrars.
DOCUMENT_STAFF = {Role.ADMISSION.value, Role.REGISTRAR.value, Role.HEAD_REGISTRAR.value}


class Problems:
    """Collects field problems so the applicant sees every one of them at once."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        """Note one problem at a field."""
        self.fields.setdefault(field, []).append(message)

    def check(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R | None:
        """Run one rule; its refusal is noted (at its fields) and None returned instead."""
        try:
            return fn(*args, **kwargs)
        except ValidationError as error:
            for name, messages in (error.fields or {"form": [error.message]}).items():
                self.fields.setdefault(name, []).extend(messages)
            return None

    def raise_if_any(self) -> None:
        """Refuse with every problem noted, in one ValidationError."""
        if self.fields:
            messages = [m for ms in self.fields.values() for m in ms]
            raise ValidationError(" ".join(messages), fields=self.fields)


def checked(value: T | None) -> T:
    """A value a rule accepted, once `raise_if_any` has passed (a rule that refused left None)."""
    if value is None:
        raise RuntimeError("a refused value was used after raise_if_any()")
    return value


def parse_birthdate(raw: object, field: str = "birthdate") -> date:
    """A birthdate (date or YYYY-MM-DD) that is not in the future and makes the person at
    least 14 years old on the school's clock."""
    if isinstance(raw, datetime):
        raw = raw.date()
    value: date | None
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


def parse_sex(raw: object, field: str = "sex") -> str:
    """M or F."""
    value = str(raw or "").strip().upper()
    if value not in ("M", "F"):
        raise ValidationError("Choose M or F.", field=field)
    return value


def parse_mobile(raw: object, field: str = "mobile") -> str:
    """A Philippine mobile number: 09XXXXXXXXX or +639XXXXXXXXX (spaces and dashes ignored)."""
    value = re.sub(r"[\s-]", "", str(raw or ""))
    if not value:
        raise ValidationError("Enter a mobile number.", field=field)
    if not MOBILE_RE.match(value):
        raise ValidationError("Enter a Philippine mobile number: 09XXXXXXXXX or +639XXXXXXXXX.", field=field)
    return value


def parse_text(raw: object, field: str, label: str, limit: int, required: bool = True) -> str | None:
    """Free text, trimmed, at most `limit` characters; None when empty and not required."""
    value = str(raw or "").strip()
    if not value:
        if required:
            raise ValidationError(f"Enter the {label}.", field=field)
        return None
    check_text(value, field, f"The {label}")
    if len(value) > limit:
        raise ValidationError(f"The {label} may be at most {limit} characters.", field=field)
    return value


def parse_required_text(raw: object, field: str, label: str, limit: int) -> str:
    """Free text that must be given (see `parse_text`)."""
    return checked(parse_text(raw, field, label, limit))


def parse_admission_type(raw: object, field: str = "admission_type") -> str:
    """FRESHMAN or TRANSFEREE."""
    value = str(raw or "").strip().upper()
    if value not in (AdmissionType.FRESHMAN.value, AdmissionType.TRANSFEREE.value):
        raise ValidationError("Choose freshman or transferee.", field=field)
    return value


def parse_date(raw: object, field: str) -> date:
    """A date, or its YYYY-MM-DD text."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw or "").strip()
    if not text:
        raise ValidationError("Enter the date.", field=field)
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError("Enter the date as YYYY-MM-DD.", field=field) from None


def require_registrar(actor: User | None, *, to: str = "change") -> None:
    """Only registrars (the head registrar included) work on student records."""
    if actor is None or not actor.is_registrar:
        raise Forbidden(f"Only the registrar may {to} student records.")


def require_admission_staff(actor: User | None, *, to: str = "review application documents") -> None:
    """Only admission staff work on applications."""
    if actor is None or actor.role != Role.ADMISSION.value:
        raise Forbidden(f"Only admission staff {to}.")
