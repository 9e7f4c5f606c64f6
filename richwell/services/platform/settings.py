"""Typed system settings with the DOMAIN.md defaults; every change audited."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, overload

from flask import current_app

from richwell.extensions import db
from richwell.models import Setting, User

from . import audit
from .errors import ValidationError
from .limits import MAX_PAYMENT
from .text import is_whole_number
from .unit_of_work import after_commit, unit_of_work

#: What a setting holds: a switch, a whole number, an amount of money, or a line of text
#: (free text, one of a few choices, or a file under static/).
SettingValue = bool | int | Decimal | str
#: The settings of each kind by name (checked against SPECS by the tests), so that
#: `get("max_units")` is known to be an int where it is used.
BoolSetting = Literal["enrollment_link_enabled", "impersonation_enabled", "reversal_needs_approval"]
IntSetting = Literal["max_units", "installment_months", "inc_expiry_major_months", "inc_expiry_minor_months",
                     "api_token_days", "installment_due_day", "reversal_reason_min"]
MoneySetting = Literal["min_monthly_commitment"]
TextSetting = Literal["school_name", "school_address", "school_tin", "school_receipt_permit",
                      "school_registrar_name", "school_seal_path", "paper_size"]


@dataclass(frozen=True)
class SettingSpec:
    """One setting: its label and help for the admin page, its kind, default and range."""

    key: str
    label: str
    kind: str  # "bool" | "int" | "money" | "text" | "choice" | "image"
    default: SettingValue
    minimum: int | None = None  # text: the shortest allowed length
    maximum: int | None = None  # text: the longest allowed length
    help: str = ""
    choices: tuple[str, ...] = ()


SPECS: dict[str, SettingSpec] = {s.key: s for s in [
    SettingSpec("enrollment_link_enabled", "Online application open", "bool", False,
                help="While on, the public application form accepts new students."),
    SettingSpec("max_units", "Unit cap per term", "int", 30, 1, 60,
                help="Hard limit on enrolled units per term; nobody overrides it."),
    SettingSpec("installment_months", "Installment months", "int", 6, 1, 12,
                help="Month buckets created for each new term enrollment."),
    SettingSpec("installment_due_day", "Installment due day of the month", "int", 15, 1, 28,
                help="Months 2 onwards fall due on this day; month 1 on the term's first day."),
    SettingSpec("min_monthly_commitment", "Minimum monthly commitment (PHP)", "money",
                Decimal("1000.00"), help="The smallest installment an applicant may choose."),
    SettingSpec("inc_expiry_major_months", "INC expiry, major subjects (months)", "int", 6, 1, 36),
    SettingSpec("inc_expiry_minor_months", "INC expiry, minor subjects (months)", "int", 12, 1, 36),
    # Off until an admin switches it on (issue 15): acting as someone else is a power to grant.
    SettingSpec("impersonation_enabled", "Impersonation allowed", "bool", False,
                help="Lets an admin act as another user (logged, bannered; no API tokens or password "
                     "changes while acting)."),
    SettingSpec("api_token_days", "API token lifetime (days)", "int", 30, 1, 365),
    # The school's details printed on official papers (read through platform.school.details()).
    SettingSpec("school_name", "School name (official papers)", "text", "Richwell Colleges", 1, 120),
    SettingSpec("school_address", "School address", "text", "Plaridel, Bulacan, Philippines", 1, 300),
    SettingSpec("school_tin", "School TIN (BIR)", "text", "", 0, 30,
                help="Printed on every official receipt, e.g. 000-123-456-00000."),
    SettingSpec("school_receipt_permit", "Receipt permit details (BIR)", "text", "", 0, 300,
                help="Authority to print / permit number and date, printed on official receipts."),
    SettingSpec("school_registrar_name", "Registrar's name", "text", "", 0, 120,
                help="Printed above the Registrar signature line of transcripts and CORs."),
    SettingSpec("school_seal_path", "School seal image", "image", "img/richwell-seal.png", 0, 200,
                help="A PNG or JPEG file under static/ (e.g. img/richwell-seal.png); blank for none."),
    SettingSpec("paper_size", "Paper for CORs and transcripts", "choice", "A4",
                choices=("A4", "Letter"), help="Portrait; receipts always print on a half letter sheet."),
    # The reversal policy (issue 15): a second person for anything but a cashier's own
    # payment of the same day, and a reason worth reading.
    SettingSpec("reversal_needs_approval", "Reversals need an administrator's approval", "bool", True,
                help="While on, a cashier reverses alone only their own payments of the same day (Manila); "
                     "any other reversal is a request an administrator approves or rejects."),
    SettingSpec("reversal_reason_min", "Shortest reversal reason (characters)", "int", 15, 15, 200),
]}

TEXT_KINDS = frozenset({"text", "choice", "image"})
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
_CACHE_KEY = "richwell_settings"
MAX_MONEY = MAX_PAYMENT  # a money setting is at most the largest payment


def _cache() -> dict[str, SettingValue]:
    cache: dict[str, SettingValue] = db.session.info.setdefault(_CACHE_KEY, {})
    return cache


def _clear_cache() -> None:
    _cache().clear()


def _from_storage(spec: SettingSpec, raw: Any) -> SettingValue:
    # `raw` is the JSON the settings table holds: a number, a string or a boolean.
    if spec.kind == "money":
        return Decimal(raw).quantize(Decimal("0.01"))
    if spec.kind == "int":
        return int(raw)
    if spec.kind in TEXT_KINDS:
        return str(raw)
    return bool(raw)


@overload
def get(key: BoolSetting) -> bool: ...
@overload
def get(key: IntSetting) -> int: ...
@overload
def get(key: MoneySetting) -> Decimal: ...
@overload
def get(key: TextSetting) -> str: ...
@overload
def get(key: str) -> SettingValue: ...


def get(key: str) -> SettingValue:
    """The current value of a setting (the stored one, or its default)."""
    spec = SPECS[key]
    cache = _cache()
    if key not in cache:
        row = db.session.get(Setting, key)
        cache[key] = spec.default if row is None else _from_storage(spec, row.value)
    return cache[key]


@overload
def typed(key: BoolSetting, raw: Any) -> bool: ...
@overload
def typed(key: IntSetting, raw: Any) -> int: ...
@overload
def typed(key: MoneySetting, raw: Any) -> Decimal: ...
@overload
def typed(key: TextSetting, raw: Any) -> str: ...
@overload
def typed(key: str, raw: Any) -> SettingValue: ...


def typed(key: str, raw: Any) -> SettingValue:
    """A value read straight from the settings table (None when never set) as the setting's
    type; for services that fold a setting into one of their own statements."""
    spec = SPECS[key]
    return spec.default if raw is None else _from_storage(spec, raw)


def all_values() -> dict[str, SettingValue]:
    """Every setting's current value, the stored one or its default."""
    rows = {row.key: row for row in db.session.query(Setting).all()}
    return {k: (_from_storage(s, rows[k].value) if k in rows else s.default) for k, s in SPECS.items()}


def parse(key: str, raw: object) -> SettingValue:
    """Validate a raw form value for a setting; raise ValidationError at that field."""
    spec = SPECS.get(key)
    if spec is None:
        raise ValidationError(f"Unknown setting {key!r}.", field=key)
    if spec.kind == "bool":
        if isinstance(raw, bool):
            return raw
        return str(raw).strip().lower() in {"1", "true", "on", "yes", "y"}
    text = str(raw if raw is not None else "").strip()
    if spec.kind in TEXT_KINDS:
        return _parse_text(spec, text)
    if spec.kind == "int":
        if not is_whole_number(text) or len(text) > 6:
            raise ValidationError(f"{spec.label} must be a whole number.", field=key)
        number = int(text)
        if (spec.minimum is not None and number < spec.minimum) or (
                spec.maximum is not None and number > spec.maximum):
            raise ValidationError(
                f"{spec.label} must be between {spec.minimum} and {spec.maximum}.", field=key)
        return number
    try:
        value = Decimal(text) if text.isascii() else Decimal("NaN")  # "１００" is not ASCII
    except InvalidOperation:
        raise ValidationError(f"{spec.label} must be an amount like 1500.00.", field=key) from None
    if not value.is_finite() or value <= 0 or value > MAX_MONEY:
        raise ValidationError(f"{spec.label} must be more than 0 and at most {MAX_MONEY:,}.", field=key)
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError(f"{spec.label} may have at most 2 decimals.", field=key)
    return value.quantize(Decimal("0.01"))


def _parse_text(spec: SettingSpec, text: str) -> str:
    text = " ".join(text.split())  # one line on the paper: runs of spaces and line breaks fold
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ValidationError(f"{spec.label} may not contain control characters.", field=spec.key)
    if spec.kind == "choice":
        match = next((c for c in spec.choices if c.lower() == text.lower()), None)
        if match is None:
            raise ValidationError(f"{spec.label} must be one of {', '.join(spec.choices)}.", field=spec.key)
        return match
    shortest, longest = spec.minimum or 0, spec.maximum or 200
    if len(text) < shortest:
        raise ValidationError(f"{spec.label} is required.", field=spec.key)
    if len(text) > longest:
        raise ValidationError(f"{spec.label} may have at most {longest} characters.", field=spec.key)
    if spec.kind == "image" and text:
        _check_image_path(spec, text)
    return text


def _check_image_path(spec: SettingSpec, text: str) -> None:
    """An image setting names a PNG/JPEG inside static/: never a path out of it."""
    static = Path(current_app.static_folder or "static").resolve()
    target = (static / text).resolve()
    if not text.lower().endswith(IMAGE_SUFFIXES) or static not in target.parents:
        raise ValidationError(f"{spec.label} must be a .png or .jpg file under static/.", field=spec.key)
    if not target.is_file():
        raise ValidationError(f"{spec.label}: there is no file static/{text}.", field=spec.key)


def update(actor: User, changes: Mapping[str, object]) -> dict[str, tuple[SettingValue, SettingValue]]:
    """Apply validated setting changes in one transaction, auditing each before/after.

    All values are validated first; one bad value changes nothing.
    """
    parsed: dict[str, SettingValue] = {}
    errors: dict[str, list[str]] = {}
    for key, raw in changes.items():
        try:
            parsed[key] = parse(key, raw)
        except ValidationError as error:
            errors.update(error.fields)
    if errors:
        raise ValidationError("Some settings are not valid; nothing was changed.", fields=errors)
    changed: dict[str, tuple[SettingValue, SettingValue]] = {}
    with unit_of_work():
        current = all_values()
        for key, value in parsed.items():
            if current[key] == value:
                continue
            stored = str(value) if isinstance(value, Decimal) else value
            row = db.session.get(Setting, key)
            if row is None:
                row = Setting(key=key, value=stored, updated_by_id=actor.id)
                db.session.add(row)
            else:
                row.value = stored
                row.updated_by_id = actor.id
            audit.record(actor, "settings.change", target_type="Setting", target_id=key,
                         before={key: current[key]}, after={key: value})
            changed[key] = (current[key], value)
        after_commit(_clear_cache)
    return changed


def set_value(actor: User | None, key: str, value: SettingValue) -> None:
    """Set one setting programmatically (seed, tests); audited like a page change."""
    if actor is not None:
        update(actor, {key: value})
        return
    with unit_of_work():
        current = get(key)
        row = db.session.get(Setting, key)
        stored = str(value) if isinstance(value, Decimal) else value
        if row is None:
            db.session.add(Setting(key=key, value=stored))
        else:
            row.value = stored
        audit.record(None, "settings.change", target_type="Setting", target_id=key,
                     before={key: current}, after={key: value})
        after_commit(_clear_cache)
