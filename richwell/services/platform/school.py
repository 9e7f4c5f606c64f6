"""The school's own details for official papers (receipts, COR, transcripts, documents):
one place to read them, so every paper and its PDF carry the same words.

Today they come from the app's configuration (`SCHOOL_*`, with Richwell's defaults); the
admin-edited settings replace that source behind the same `details()`.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class SchoolDetails:
    """What an official paper prints about the school."""

    name: str
    address: str
    tin: str  # BIR taxpayer identification number, printed on official receipts
    receipt_permit: str  # BIR authority-to-print / permit details for official receipts
    registrar_name: str  # signs certificates and transcripts


DEFAULTS = SchoolDetails(
    name="Richwell Colleges",
    address="Plaridel, Bulacan, Philippines",
    tin="",
    receipt_permit="",
    registrar_name="",
)


def details() -> SchoolDetails:
    """The school's details as configured now."""
    config = current_app.config
    return SchoolDetails(**{field: str(config.get(f"SCHOOL_{field.upper()}", getattr(DEFAULTS, field)))
                            for field in DEFAULTS.__dataclass_fields__})
