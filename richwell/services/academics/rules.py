"""Pure rules for the academic forms: text, whole numbers, semesters, subject codes. No database."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from richwell.models import Semester
from richwell.services.platform.errors import ValidationError
from richwell.services.platform.text import check_text

T = TypeVar("T")

SUBJECT_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9 .-]{0,19}$")
SEMESTER_ORDER = [s.value for s in Semester]
SEMESTER_CHOICES = [(s.value, s.label) for s in Semester]


class FieldErrors:
    """Runs the checks of a form's fields and keeps every failure, so a form reports all its
    bad fields at once and nothing half-saves."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def check(self, check: Callable[[], T], default: T) -> T:
        """The checked value, or `default` (never used: `raise_if_any` refuses) when it failed."""
        try:
            return check()
        except ValidationError as error:
            self.add(error)
            return default

    def add(self, error: ValidationError) -> None:
        for key, messages in error.fields.items():
            self.errors.setdefault(key, []).extend(messages)

    def raise_if_any(self) -> None:
        """Refuse with the first message, every field's messages attached."""
        if self.errors:
            raise ValidationError(next(iter(self.errors.values()))[0], fields=self.errors)


def optional_text(raw: object, field: str, label: str, max_len: int) -> str | None:
    """Trimmed text with single spaces, None when empty; longer than `max_len` is refused."""
    text = " ".join(str(raw if raw is not None else "").split())
    if not text:
        return None
    check_text(text, field, f"The {label}")
    if len(text) > max_len:
        raise ValidationError(f"The {label} may be at most {max_len} characters.", field=field)
    return text


def clean_text(raw: object, field: str, label: str, max_len: int) -> str:
    """Trimmed text with single spaces; empty or longer than `max_len` is refused."""
    text = optional_text(raw, field, label, max_len)
    if text is None:
        raise ValidationError(f"Enter the {label}.", field=field)
    return text


def whole_number(raw: object, field: str, label: str, low: int, high: int) -> int:
    """A whole number from `low` to `high`, from a form string or an int (never a bool)."""
    message = f"{label} must be a whole number from {low} to {high}."
    if isinstance(raw, bool):
        raise ValidationError(message, field=field)
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw if raw is not None else "").strip()
        if not re.fullmatch(r"[+-]?[0-9]{1,6}", text):
            raise ValidationError(message, field=field)
        value = int(text)
    if not low <= value <= high:
        raise ValidationError(message, field=field)
    return value


def parse_semester(raw: object, field: str = "semester") -> str:
    """One of the school's semesters: 1st, 2nd or summer."""
    value = str(raw or "").strip().upper()
    if value not in SEMESTER_ORDER:
        raise ValidationError("Choose the 1st semester, the 2nd semester or summer.", field=field)
    return value


def parse_flag(raw: object) -> bool:
    """A checkbox or a yes/no word from a form."""
    if isinstance(raw, bool):
        return raw
    return str(raw or "").strip().lower() in {"1", "true", "on", "yes", "y", "major"}


def normalize_subject_code(raw: object) -> str:
    """Subject codes are upper-case letters, digits, spaces, dots and dashes, at most 20."""
    code = " ".join(str(raw or "").split()).upper()
    if not code:
        raise ValidationError("Enter the subject code, like IT101.", field="code")
    if len(code) > 20:
        raise ValidationError("The subject code may be at most 20 characters.", field="code")
    if not SUBJECT_CODE_RE.match(code):
        raise ValidationError("Use only letters, digits, spaces, dots and dashes in the code.", field="code")
    return code
