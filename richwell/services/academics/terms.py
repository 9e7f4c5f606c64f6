"""Terms: validated dates, and exactly one current term (switching is one audited action)."""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import Term, User
from richwell.services.platform import audit
from richwell.services.platform.errors import Conflict, NotFound, ValidationError
from richwell.services.platform.unit_of_work import unit_of_work

from .rules import FieldErrors, optional_text, parse_semester

ACADEMIC_YEAR_RE = re.compile(r"^([0-9]{4})\s*[-–—/]\s*([0-9]{4})$")
DATE_FIELDS = ("start_date", "end_date", "enrollment_open", "enrollment_close", "drop_deadline", "grade_deadline")
DATE_LABELS = {
    "start_date": "first day of the term", "end_date": "last day of the term",
    "enrollment_open": "day enrollment opens", "enrollment_close": "day enrollment closes",
    "drop_deadline": "drop deadline", "grade_deadline": "grade-entry deadline",
}

__all__ = ["create_term", "update_term_dates", "switch_current_term", "list_terms", "get_term",
           "current_term", "parse_academic_year", "DATE_FIELDS"]


def current_term() -> Term | None:
    """The term the school is in now (the one marked current), or None before the first."""
    return db.session.scalar(select(Term).where(Term.is_current.is_(True)))


def parse_academic_year(raw: object) -> str:
    """An academic year like 2026-2027: two consecutive years."""
    text = str(raw or "").strip()
    match = ACADEMIC_YEAR_RE.match(text)
    if not match:
        raise ValidationError("Write the academic year like 2026-2027.", field="academic_year")
    first, second = int(match.group(1)), int(match.group(2))
    if second != first + 1:
        raise ValidationError("The academic year spans two consecutive years, like 2026-2027.",
                              field="academic_year")
    if not 2000 <= first <= 2099:
        raise ValidationError("The academic year must be between 2000-2001 and 2099-2100.", field="academic_year")
    return f"{first}-{second}"


def _parse_date(raw: object, name: str) -> date:
    if isinstance(raw, date):
        return raw
    text = str(raw or "").strip()
    if not text:
        raise ValidationError(f"Enter the {DATE_LABELS[name]}.", field=name)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"Enter the {DATE_LABELS[name]} as a date (YYYY-MM-DD).", field=name) from None


def check_dates(raw: Mapping[str, object]) -> dict[str, date]:
    """The term's dates in order: start ≤ enrollment opens < enrollment closes ≤ drop
    deadline < grade-entry deadline ≤ end, the term ending after it starts. Every
    problem is reported at its own field."""
    errors: dict[str, list[str]] = {}
    dates: dict[str, date] = {}
    for name in DATE_FIELDS:
        try:
            dates[name] = _parse_date(raw.get(name), name)
        except ValidationError as error:
            errors.setdefault(name, []).append(error.message)

    def refuse(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    def have(*names: str) -> bool:
        return all(n in dates for n in names)

    if have("start_date", "end_date") and dates["end_date"] <= dates["start_date"]:
        refuse("end_date", "The term must end after it starts.")
    if have("start_date", "end_date", "enrollment_open") and not (
            dates["start_date"] <= dates["enrollment_open"] <= dates["end_date"]):
        refuse("enrollment_open", "Enrollment must open within the term.")
    if have("enrollment_open", "enrollment_close") and dates["enrollment_close"] <= dates["enrollment_open"]:
        refuse("enrollment_close", "Enrollment must close after it opens.")
    elif have("end_date", "enrollment_close") and dates["enrollment_close"] > dates["end_date"]:
        refuse("enrollment_close", "Enrollment must close within the term.")
    if have("enrollment_close", "drop_deadline") and dates["drop_deadline"] < dates["enrollment_close"]:
        refuse("drop_deadline", "The drop deadline cannot come before enrollment closes.")
    elif have("end_date", "drop_deadline") and dates["drop_deadline"] > dates["end_date"]:
        refuse("drop_deadline", "The drop deadline must fall within the term.")
    if have("drop_deadline", "grade_deadline") and dates["grade_deadline"] <= dates["drop_deadline"]:
        refuse("grade_deadline", "The grade-entry deadline must come after the drop deadline.")
    elif have("end_date", "grade_deadline") and dates["grade_deadline"] > dates["end_date"]:
        refuse("grade_deadline", "The grade-entry deadline must fall within the term.")
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationError(first, fields=errors)
    return dates


def list_terms() -> list[Term]:
    """Every term, the latest first."""
    return list(db.session.scalars(select(Term).order_by(Term.start_date.desc(), Term.id.desc())))


def get_term(term_id: int) -> Term:
    """One term, or NotFound."""
    term = db.session.get(Term, term_id)
    if term is None:
        raise NotFound("That term does not exist.")
    return term


def _second_current(current: Term) -> ValidationError:
    return ValidationError(
        f"{current.name} is the current term. Create this term first, then make it current "
        "from the terms list (one switch, recorded in the audit log).", field="make_current")


def create_term(actor: User | None, *, academic_year: object, semester: object, make_current: bool = False,
                **raw_dates: object) -> Term:
    """Create a term (academic year + semester, unique) with dates in order. It may be
    created as the current term only when no term is current: there is never a second one."""
    fields = FieldErrors()
    year = fields.check(lambda: parse_academic_year(academic_year), "")
    half = fields.check(lambda: parse_semester(semester), "")
    no_dates: dict[str, date] = {}
    dates = fields.check(lambda: check_dates(raw_dates), no_dates)
    fields.raise_if_any()
    term = Term(academic_year=year, semester=half, is_current=False, **dates)
    try:
        with unit_of_work():
            if db.session.scalar(select(func.count(Term.id)).where(
                    Term.academic_year == term.academic_year, Term.semester == term.semester)):
                raise Conflict(f"{term.name} already exists.", field="semester")
            if make_current:
                current = current_term()
                if current is not None:
                    raise _second_current(current)
                term.is_current = True
            db.session.add(term)
            db.session.flush()
            audit.record(actor, "term.create", term, after={"term": term.name, "current": term.is_current, **dates})
    except IntegrityError:
        # Another registrar created the same term, or made another one current, a moment earlier.
        current = current_term()
        if make_current and current is not None:
            raise _second_current(current) from None
        raise Conflict(f"{term.name} already exists.", field="semester") from None
    return term


def update_term_dates(actor: User | None, term_id: int, **raw_dates: object) -> Term:
    """Change a term's dates (e.g. extend enrollment) under the same ordering rules; audited."""
    term = get_term(term_id)
    dates = check_dates(raw_dates)
    before = {name: getattr(term, name) for name in DATE_FIELDS}
    if before == dates:
        return term
    with unit_of_work():
        for name, value in dates.items():
            setattr(term, name, value)
        audit.record(actor, "term.update_dates", term, before=before, after=dates)
    return term


def switch_current_term(actor: User | None, term_id: int, reason: str | None = None) -> Term:
    """Make a term the current one: the previous current term stops being current in the
    same transaction, recorded as one audit entry."""
    term = get_term(term_id)
    note = optional_text(reason, "reason", "reason", 500)
    try:
        with unit_of_work():
            # Lock the rows being switched so two registrars switching at once serialize.
            previous = db.session.execute(
                select(Term).where(Term.is_current.is_(True)).with_for_update()
                .execution_options(populate_existing=True)).scalars().all()
            if [t.id for t in previous] == [term.id]:
                return term
            db.session.execute(update(Term).where(Term.is_current.is_(True)).values(is_current=False))
            db.session.flush()
            term.is_current = True
            db.session.flush()
            audit.record(actor, "term.switch_current", term,
                         before={"current": ", ".join(t.name for t in previous) or None},
                         after={"current": term.name}, reason=note)
    except IntegrityError:
        raise Conflict("Another registrar switched the current term at the same moment; reload and check.",
                       field="term_id") from None
    return term
