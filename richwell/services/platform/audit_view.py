"""The audit log as people read it: each entry's before/after as a list of changed fields with
readable labels, ids replaced by names (a user's name, a term's name, a subject's code ...),
and text shown as text (ñ, ₱ and — stay themselves, never \\u escapes)."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select

from richwell.extensions import db
from richwell.models import (
    AuditEntry,
    Offering,
    Payment,
    Program,
    Section,
    Student,
    Subject,
    SubjectEnrollment,
    Term,
    TermEnrollment,
    User,
)

from . import settings, wording

MISSING = "—"


@dataclass(frozen=True)
class FieldChange:
    """One field of an audit entry: its label and its value before and after (as text)."""

    field: str
    label: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class ReadableEntry:
    """An audit entry with its target named and its fields as a table."""

    entry: AuditEntry
    target: str
    changes: tuple[FieldChange, ...]


def _user(id_: int) -> str | None:
    user = db.session.get(User, id_)
    return f"{user.full_name} ({user.email})" if user else None


def _student(id_: int) -> str | None:
    student = db.session.get(Student, id_)
    return f"{student.student_number} {student.user.full_name}" if student else None


def _term(id_: int) -> str | None:
    term = db.session.get(Term, id_)
    return term.name if term else None


def _program(id_: int) -> str | None:
    program = db.session.get(Program, id_)
    return f"{program.code} {program.name}" if program else None


def _subject(id_: int) -> str | None:
    subject = db.session.get(Subject, id_)
    return f"{subject.code} {subject.title}" if subject else None


def _section(id_: int) -> str | None:
    section = db.session.get(Section, id_)
    return section.code if section else None


def _offering(id_: int) -> str | None:
    offering = db.session.get(Offering, id_)
    return f"{offering.subject.code} · {offering.section.code}" if offering else None


def _term_enrollment(id_: int) -> str | None:
    te = db.session.get(TermEnrollment, id_)
    return f"{te.student.student_number} · {te.term.name}" if te else None


def _subject_enrollment(id_: int) -> str | None:
    se = db.session.get(SubjectEnrollment, id_)
    if se is None:
        return None
    return f"{se.subject.code} of {se.enrollment.student.student_number}"


def _payment(id_: int) -> str | None:
    payment = db.session.get(Payment, id_)
    return (payment.receipt_number or f"reversal #{payment.id}") if payment else None


#: Which fields hold the id of what (their values are replaced by that thing's name).
ID_FIELDS: dict[str, Callable[[int], str | None]] = {
    "user_id": _user, "actor_id": _user, "cashier_id": _user, "professor_id": _user, "professor": _user,
    "updated_by_id": _user, "issued_by_id": _user, "reviewed_by_id": _user,
    "student_id": _student, "term_id": _term, "program_id": _program, "subject_id": _subject,
    "prerequisite_id": _subject, "section_id": _section, "offering_id": _offering,
    "term_enrollment_id": _term_enrollment, "enrollment_id": _term_enrollment,
    "subject_enrollment_id": _subject_enrollment, "payment_id": _payment, "reverses_id": _payment,
}
#: Targets by their type (the entry's target_type) and how to name them.
TARGETS: dict[str, Callable[[int], str | None]] = {
    "User": _user, "Student": _student, "Term": _term, "Program": _program, "Subject": _subject,
    "Section": _section, "Offering": _offering, "TermEnrollment": _term_enrollment,
    "SubjectEnrollment": _subject_enrollment, "Payment": _payment,
}


def label(field: str) -> str:
    """'late_entry_until' → 'Late entry until'; 'program_id' → 'Program'; a setting → its label."""
    if field in settings.SPECS:
        return settings.SPECS[field].label
    words = field[:-3] if field.endswith("_id") else field
    text = words.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else field


def as_text(value: Any) -> str:
    """A stored value as people read it: text as itself, lists joined, the rest as JSON with
    its unicode kept."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return ", ".join(str(v) for v in value) or MISSING
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _named(field: str, value: Any) -> str:
    if isinstance(value, str) and (field == "status" or field.endswith("_status") or field == "method"):
        return wording.status_label(value)  # a stored code, in the words every page uses
    resolve = ID_FIELDS.get(field)
    if resolve is not None and isinstance(value, int) and not isinstance(value, bool):
        name = resolve(value)
        return f"{name}" if name else f"#{value} (deleted)"
    return as_text(value)


def changes_of(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[FieldChange, ...]:
    """Every field of before/after in a stable order (after's order first), with names."""
    before, after = before or {}, after or {}
    fields: Sequence[str] = list(dict.fromkeys([*after.keys(), *before.keys()]))
    return tuple(FieldChange(f, label(f), _named(f, before[f]) if f in before else MISSING,
                             _named(f, after[f]) if f in after else MISSING) for f in fields)


def target_of(entry: AuditEntry) -> str:
    """The entry's target by name ('Term 1st semester 2026-2027'), else its type and id."""
    kind, ident = entry.target_type or "", entry.target_id or ""
    if kind == "Setting" and ident in settings.SPECS:
        return f"Setting: {settings.SPECS[ident].label}"
    resolve = TARGETS.get(kind)
    if resolve is not None and ident.isdigit():
        name = resolve(int(ident))
        if name:
            return f"{kind_label(kind)}: {name}"
    return f"{kind_label(kind)} {ident}".strip()


def kind_label(kind: str) -> str:
    """'TermEnrollment' → 'Term enrollment'."""
    spaced = "".join(f" {c.lower()}" if c.isupper() and i else c for i, c in enumerate(kind))
    return spaced


def readable(entries: Iterable[AuditEntry]) -> list[ReadableEntry]:
    """The entries of a page as people read them."""
    return [ReadableEntry(e, target_of(e), changes_of(e.before, e.after)) for e in entries]


def trail(targets: Iterable[tuple[str, object]], limit: int = 50) -> list[ReadableEntry]:
    """The newest audit entries about any of these (target_type, target_id) pairs, readable:
    a student's record page shows what happened to the student, their account and their
    term enrollments."""
    pairs = [(kind, str(ident)) for kind, ident in targets]
    if not pairs:
        return []
    query = (select(AuditEntry)
             .where(or_(*[and_(AuditEntry.target_type == kind, AuditEntry.target_id == ident)
                          for kind, ident in pairs]))
             .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit))
    return readable(db.session.scalars(query))
