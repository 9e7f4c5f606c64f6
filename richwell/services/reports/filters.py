"""The filters every report understands (term, program, year level, section, date range,
method, cashier, exam, funnel stage), parsed once from what a person typed in a URL.

Bad input is refused at its field with a plain message: a reversed range, a range over two
years, a term or program that does not exist, a year level outside 1–5. Filters that simply
match nothing are not an error: the report shows its empty state.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from richwell.extensions import db
from richwell.models import Exam, PaymentMethod, Program, Section, Term, User
from richwell.services.platform import clock
from richwell.services.platform.errors import ValidationError

MAX_RANGE = timedelta(days=731)  # "over two years" is refused (a leap year fits)
STAGES = ("applied", "paid", "enrolled", "attending")


@dataclass(frozen=True)
class Filters:
    term_id: int | None = None
    program_id: int | None = None
    year_level: int | None = None
    section_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    method: str | None = None
    cashier_id: int | None = None
    exam: str | None = None
    stage: str | None = None
    within_days: int | None = None

    def as_params(self) -> dict[str, str]:
        """The filters as URL parameters (what a link or a queued export carries)."""
        out = {}
        for key, value in asdict(self).items():
            if value is not None:
                out[key] = value.isoformat() if isinstance(value, date) else str(value)
        return out


def _int(raw: Mapping[str, Any], name: str, message: str, low: int = 1, high: int = 2**31 - 1) -> int | None:
    text = str(raw.get(name) or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise ValidationError(message, field=name)
    return int(text)


def _date(raw: Mapping[str, Any], name: str) -> date | None:
    text = str(raw.get(name) or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError("Write the date like 2026-08-31.", field=name) from None


def _choice(raw: Mapping[str, Any], name: str, allowed: tuple[str, ...], message: str) -> str | None:
    text = str(raw.get(name) or "").strip()
    if not text:
        return None
    if text not in allowed:
        raise ValidationError(message, field=name)
    return text


def parse(raw: Mapping[str, Any]) -> Filters:
    """Filters from request arguments; raises ValidationError naming the field at fault."""
    values: dict[str, Any] = dict(
        term_id=_int(raw, "term_id", "Choose a term from the list."),
        program_id=_int(raw, "program_id", "Choose a program from the list."),
        year_level=_int(raw, "year_level", "The year level is a number from 1 to 5.", 1, 5),
        section_id=_int(raw, "section_id", "Choose a section from the list."),
        date_from=_date(raw, "date_from"),
        date_to=_date(raw, "date_to"),
        method=_choice(raw, "method", tuple(m.value for m in PaymentMethod), "Choose a payment method from the list."),
        cashier_id=_int(raw, "cashier_id", "Choose a cashier from the list."),
        exam=_choice(raw, "exam", tuple(e.value for e in Exam), "Choose an exam from the list."),
        stage=_choice(raw, "stage", STAGES, "Choose a stage from the list."),
        within_days=_int(raw, "within_days", "Days ahead is a number from 1 to 366.", 1, 366),
    )
    first: date | None = values["date_from"]
    last: date | None = values["date_to"]
    if first and last and last < first:
        raise ValidationError("The end date is before the start date.", field="date_to")
    if first and last and last - first > MAX_RANGE:
        raise ValidationError("Choose a range of at most two years.", field="date_to")
    filters = Filters(**values)
    _check_known(filters)
    return filters


def _check_known(filters: Filters) -> None:
    """Ids that name nothing are refused (one statement, only when ids were given)."""
    wanted = [(Term, filters.term_id, "term_id", "There is no such term."),
              (Program, filters.program_id, "program_id", "There is no such program."),
              (Section, filters.section_id, "section_id", "There is no such section."),
              (User, filters.cashier_id, "cashier_id", "There is no such cashier.")]
    asked = [(model, value, name, message) for model, value, name, message in wanted if value is not None]
    if not asked:
        return
    checks = [select(model.id).where(model.id == value).exists().label(name)  # type: ignore[attr-defined]
              for model, value, name, _ in asked]
    row = db.session.execute(select(*checks)).one()
    for (_, _, name, message), found in zip(asked, row, strict=True):
        if not found:
            raise ValidationError(message, field=name)


def default_range(filters: Filters, days: int = 30) -> tuple[date, date]:
    """The date range to use: the one given, or the last `days` school days up to today."""
    last = filters.date_to or clock.today()
    first = filters.date_from or (last - timedelta(days=days - 1))
    return first, last


FILTER_NAMES = tuple(f.name for f in fields(Filters))
