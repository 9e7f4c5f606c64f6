"""Text that people type: the one rule against control characters, and plain ASCII numbers.

Python's `str.isdigit`, `int()`, `Decimal()` and regular expressions' `\\d` all accept digits
of every script ("１００", "١٠٠"); money and counts at this school are written in ASCII
digits, so everything that reads a number from text checks it here first."""
from __future__ import annotations

import re
import unicodedata

from .errors import ValidationError

# ASCII only: [0-9], never \d (which matches every script's digits).
_PLAIN_DECIMAL_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_WHOLE_NUMBER_RE = re.compile(r"-?[0-9]+")

# Tab, line feed and carriage return are typing; every other control character is not.
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def is_plain_decimal(text: str) -> bool:
    """`1500`, `1500.50`: ASCII digits with at most one decimal point, nothing else."""
    return bool(_PLAIN_DECIMAL_RE.fullmatch(text))


def is_whole_number(text: str) -> bool:
    """`12`, `-3`: ASCII digits with an optional minus sign."""
    return bool(_WHOLE_NUMBER_RE.fullmatch(text))


def control_character_in(text: str) -> str | None:
    """The first control character in `text` (NUL, escape, DEL, the C1 range …; tab and line
    breaks are allowed), or None."""
    for ch in text:
        if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) == "Cc":
            return ch
    return None


def control_character_message(label: str) -> str:
    """The field message for text that carries a control character."""
    return f"{label} contains a control character (such as NUL). Retype it without one."


def check_text(value: object, field: str, label: str) -> None:
    """Refuse text with a control character at `field` (ValidationError); anything else passes."""
    if isinstance(value, str) and control_character_in(value) is not None:
        raise ValidationError(control_character_message(label), field=field)
