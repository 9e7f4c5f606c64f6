"""Pure rules for documents (no database): kinds, who may do what, the form's fields, release
numbers and verification codes."""
from __future__ import annotations

import re
from datetime import date

from richwell.models import ReleaseKind, Role, User
from richwell.services.platform.errors import Forbidden, ValidationError

PURPOSE_MAX = 120
TITLE_MAX = 120
NOTES_MAX = 1000
REASON_MAX = 1000
MAX_COPIES = 10
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NUMBER_RE = re.compile(r"^(TOR|COE|CGM|HD|DIP|OTH)-[0-9]{4}-[0-9]{6}$")

# Kinds a student may ask for (OTH has no template: the registrar uploads it as a scan).
REQUESTABLE = (ReleaseKind.TOR, ReleaseKind.COE, ReleaseKind.CGM, ReleaseKind.HD, ReleaseKind.DIP)
# Kinds the portal writes from the records; OTH exists only as an uploaded signed scan.
GENERATED = (ReleaseKind.TOR, ReleaseKind.COE, ReleaseKind.CGM, ReleaseKind.HD, ReleaseKind.DIP)
# Kinds that a balance from past terms holds back unless the head registrar overrides.
NEEDS_CLEARANCE = (ReleaseKind.TOR, ReleaseKind.HD)
PURPOSES = ("Employment", "Transfer to another school", "Scholarship", "Board examination",
            "Visa or travel", "Personal copy")


def is_registrar(user: User | None) -> bool:
    return user is not None and user.is_registrar


def is_head(user: User | None) -> bool:
    """The head registrar: overrides the balance rule and, like the admin, sees every release."""
    return user is not None and user.role == Role.HEAD_REGISTRAR.value


def sees_all_releases(user: User | None) -> bool:
    return user is not None and user.role in (Role.HEAD_REGISTRAR.value, Role.ADMIN.value)


def require_registrar(user: User | None, doing: str) -> User:
    if user is None or not user.is_registrar:
        raise Forbidden(f"Only the registrar may {doing}.")
    return user


def parse_kind(raw: object, *, allowed: tuple[ReleaseKind, ...] = tuple(ReleaseKind)) -> ReleaseKind:
    value = str(raw or "").strip().upper()
    for kind in allowed:
        if kind.value == value:
            return kind
    names = ", ".join(k.label.lower() for k in allowed)
    raise ValidationError(f"Choose the document: {names}.", field="kind")


def parse_text(raw: object, field: str, label: str, limit: int, *, required: bool = True) -> str:
    """Trimmed single-paragraph text: no control characters, at most `limit` characters."""
    value = str(raw if raw is not None else "").strip()
    if _CONTROL.search(value):
        raise ValidationError(f"The {label} contains characters that cannot be printed.", field=field)
    if not value and required:
        raise ValidationError(f"Enter the {label}.", field=field)
    if len(value) > limit:
        raise ValidationError(f"The {label} may be at most {limit} characters.", field=field)
    return value


def parse_copies(raw: object) -> int:
    text = str(raw if raw is not None else "1").strip() or "1"
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_COPIES:
        raise ValidationError(f"Copies: a whole number from 1 to {MAX_COPIES}.", field="copies")
    return int(text)


def release_number(kind: ReleaseKind, year: int, value: int) -> str:
    """TOR-2026-000123: the kind, the school year of release (calendar, Manila), a gapless sequence."""
    return f"{kind.value}-{year}-{value:06d}"


def long_date(day: date) -> str:
    """'5th day of December 2026', as certificates word it."""
    n = day.day
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix} day of {day:%B %Y}"
