"""The grading rules themselves, without the database: the grade scale and its spelling,
what a final grade means for the subject, when entry closes, INC clock arithmetic, and
who may decide a change request (DOMAIN.md "Grades")."""
from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal, overload

from richwell.models import (
    GradeChangeRequest,
    GradeSheet,
    GradeSheetStatus,
    Role,
    SubjectEnrollmentStatus,
    Term,
    User,
)
from richwell.services.platform.clock import today
from richwell.services.platform.errors import DomainError, ValidationError
from richwell.services.platform.text import check_text

# --- the scale --------------------------------------------------------------------------

PASSING_GRADES = ("1.00", "1.25", "1.50", "1.75", "2.00", "2.25", "2.50", "2.75", "3.00")
FAILING_GRADE = "5.00"
INC = "INC"
DRP = "DRP"
NUMERIC_GRADES = PASSING_GRADES + (FAILING_GRADE,)
ALLOWED_GRADES = NUMERIC_GRADES + (INC, DRP)
ALLOWED_TEXT = "1.00, 1.25, 1.50, 1.75, 2.00, 2.25, 2.50, 2.75, 3.00, 5.00, INC or DRP"
_NUMBER = re.compile(r"^[0-9](\.[0-9]{1,2})?$")
REASON_MAX = 1000
WARN_DAYS = 30
STUDENT_GRADES_LINK = "/student/grades"

S = SubjectEnrollmentStatus

# A period of leave: (first day, day it ended), the end None while it continues.
LoaPeriod = tuple[date, date | None]


# Without allow_blank the answer is always a grade.
@overload
def parse_grade(raw: object, *, field: str = ..., allow_blank: Literal[False] = ...) -> str: ...


@overload
def parse_grade(raw: object, *, field: str = ..., allow_blank: bool) -> str | None: ...



def parse_grade(raw: object, *, field: str = "grade", allow_blank: bool = False) -> str | None:
    """An allowed grade in the school's spelling ("1.5" → "1.50", "inc" → "INC"), or a
    ValidationError naming the allowed values. Blank is None only when allowed."""
    text = ("" if raw is None else str(raw)).strip().upper()
    if not text:
        if allow_blank:
            return None
        raise ValidationError("Choose a grade.", field=field)
    if text in (INC, DRP):
        return text
    if len(text) <= 4 and _NUMBER.match(text):
        try:
            value = f"{Decimal(text):.2f}"
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            value = ""
        if value in NUMERIC_GRADES:
            return value
    shown = text if len(text) <= 12 else text[:12] + "…"
    raise ValidationError(f"{shown} is not an allowed grade. Use {ALLOWED_TEXT}.", field=field)


def status_for(value: str) -> str:
    """The subject enrollment status a final grade means: ≤3.00 PASSED, 5.00 FAILED, INC, DRP→DROPPED."""
    if value in PASSING_GRADES:
        return S.PASSED.value
    if value == FAILING_GRADE:
        return S.FAILED.value
    if value == INC:
        return S.INC.value
    if value == DRP:
        return S.DROPPED.value
    raise ValueError(value)


def check_reason(raw: str | None, field: str = "reason", label: str = "a reason") -> str:
    """A reason is required and at most REASON_MAX characters; returns it trimmed."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(f"Give {label}.", field=field)
    check_text(text, field, "The text")
    if len(text) > REASON_MAX:
        raise ValidationError(f"Keep it under {REASON_MAX} characters.", field=field)
    return text


def add_months(start: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (Aug 31 + 6 → Feb 28/29)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


# --- when entry is open -----------------------------------------------------------------

def entry_closes_on(sheet: GradeSheet | None, term: Term) -> date:
    """The last day grades may be entered: the term's deadline, or a registrar's later date."""
    if sheet is not None and sheet.late_entry_until and sheet.late_entry_until > term.grade_deadline:
        return sheet.late_entry_until
    return term.grade_deadline


def check_entry_open(sheet: GradeSheet, term: Term) -> None:
    """Drafts change only while the sheet is OPEN and its entry period has not closed."""
    if sheet.status == GradeSheetStatus.FINALIZED.value:
        raise DomainError("Grades for this class are final. To change one, file a change request.",
                          code="grades_final")
    if sheet.status == GradeSheetStatus.SUBMITTED.value:
        raise DomainError("These grades were submitted for finalization; ask the registrar to reopen "
                          "the sheet to change them.", code="grades_submitted")
    closes = entry_closes_on(sheet, term)
    if today() > closes:
        raise DomainError(f"Grade entry closed on {closes:%b %d, %Y}. Ask the registrar to reopen this class "
                          "for late entry.", code="entry_closed")


# --- what a sheet adds up to ------------------------------------------------------------------

@dataclass
class Summary:
    """How a sheet's values add up: passed, failed, INC, dropped and still missing."""

    passed: int = 0
    failed: int = 0
    inc: int = 0
    dropped: int = 0
    missing: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.inc + self.dropped + self.missing


def summarize(values: Iterable[str | None]) -> Summary:
    """Passed / failed / INC / DRP / missing counts of a sheet's values."""
    summary = Summary()
    for value in values:
        if value is None:
            summary.missing += 1
        elif value in PASSING_GRADES:
            summary.passed += 1
        elif value == FAILING_GRADE:
            summary.failed += 1
        elif value == INC:
            summary.inc += 1
        else:
            summary.dropped += 1
    return summary


def distribution(values: Iterable[str | None]) -> list[tuple[str, int]]:
    """Counts per allowed value (in scale order), then "None" for missing ones when any."""
    counts = {value: 0 for value in ALLOWED_GRADES}
    missing = 0
    for value in values:
        if value is not None and value in counts:
            counts[value] += 1
        else:
            missing += 1
    result = list(counts.items())
    if missing:
        result.append(("None", missing))
    return result


# --- INC clocks and change requests -------------------------------------------------------------

def loa_days(periods: Sequence[LoaPeriod], started_on: date, on: date) -> int:
    """Days on LOA in [started_on, on): they do not count against an INC."""
    total = 0
    for start, end in periods:
        until = on if end is None else min(end, on)
        total += max(0, (until - max(start, started_on)).days)
    return total


def may_decide(viewer: User, request: GradeChangeRequest) -> str | None:
    """None when the viewer may approve or reject the request, else why not."""
    if not viewer.is_registrar:
        return "Only a registrar may decide grade change requests."
    if request.requested_by_id == viewer.id:
        return "You cannot approve your own request; another registrar must decide it."
    if request.needs_head and viewer.role != Role.HEAD_REGISTRAR.value:
        return "Only the head registrar may approve a change that a registrar requested."
    return None
