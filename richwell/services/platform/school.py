"""The school's own details for official papers (receipts, COR, transcripts, documents):
one place to read them, so every paper and its PDF carry the same words.

The admin edits them on the settings page (audited like every setting, `school_*` and
`paper_size`); a deployment may still preset them with `SCHOOL_*` config values, used while
the admin has not changed that setting.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from . import settings


@dataclass(frozen=True)
class SchoolDetails:
    """What an official paper prints about the school."""

    name: str
    address: str
    tin: str  # BIR taxpayer identification number, printed on official receipts
    receipt_permit: str  # BIR authority-to-print / permit details for official receipts
    registrar_name: str  # signs certificates and transcripts
    seal_path: str = ""  # the seal/logo image under static/ ("" = none)
    paper: str = "A4"  # "A4" or "Letter": the portrait paper of CORs and transcripts

    @property
    def seal_file(self) -> Path | None:
        """The seal image on disk (for PDFs), or None when unset or missing."""
        if not self.seal_path:
            return None
        path = Path(current_app.static_folder or "static") / self.seal_path
        return path if path.is_file() else None


DEFAULTS = SchoolDetails(
    name="Richwell Colleges",
    address="Plaridel, Bulacan, Philippines",
    tin="",
    receipt_permit="",
    registrar_name="",
    seal_path="img/richwell-seal.png",
    paper="A4",
)

#: Each detail and the setting that holds it.
SETTING_OF = {"name": "school_name", "address": "school_address", "tin": "school_tin",
              "receipt_permit": "school_receipt_permit", "registrar_name": "school_registrar_name",
              "seal_path": "school_seal_path", "paper": "paper_size"}


def details() -> SchoolDetails:
    """The school's details as set now: the admin's setting, else the `SCHOOL_*` config value,
    else Richwell's default."""
    config = current_app.config
    values: dict[str, str] = {}
    for field, key in SETTING_OF.items():
        value = str(settings.get(key))
        if value == settings.SPECS[key].default:
            value = str(config.get(f"SCHOOL_{field.upper()}", value))
        values[field] = value
    return SchoolDetails(**values)
