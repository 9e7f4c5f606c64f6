"""Builders for admissions: small valid PDF/PNG/JPEG bytes, application values, subjects."""
from __future__ import annotations

import itertools
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from richwell.extensions import db
from richwell.models import Program, Term
from richwell.services.platform import settings
from tests.factories.people import make_program, make_term

__all__ = ["empty_uploads", "PDF_BYTES", "PNG_BYTES", "JPEG_BYTES", "EXE_BYTES", "open_admissions",
           "application_values", "documents"]

_seq = itertools.count(1)

PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
             b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
             b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
             b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _png(width: int = 1, height: int = 1) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


PNG_BYTES = _png()
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
# What a Windows executable starts with: refused whatever its name says.
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def open_admissions(*, program: Program | None = None, link: bool = True) -> Program:
    """A program, a current term and the online application switched on (or off)."""
    program = program or make_program()
    if db.session.query(Term).filter(Term.is_current.is_(True)).first() is None:
        make_term()
    if settings.get("enrollment_link_enabled") != link:
        settings.set_value(None, "enrollment_link_enabled", link)
    return program


def application_values(program: Program, **overrides) -> dict:
    n = next(_seq)
    values = {
        "first_name": "Maria", "middle_name": "Luna", "last_name": f"Santos{n}",
        "email": f"applicant{n}@example.com", "birthdate": "2006-05-10", "sex": "F",
        "mobile": "09171234567", "address": "12 Rizal St., Malolos, Bulacan", "program_id": program.id,
        "admission_type": "FRESHMAN", "previous_school": None, "previous_course": None,
        "password": "a-strong-pass-1", "monthly_commitment": "2500.00",
    }
    values.update(overrides)
    return values


def documents(pdf: bytes = PDF_BYTES) -> list[tuple[str, str, bytes]]:
    return [("ID", "school-id.png", PNG_BYTES), ("FORM138_OR_TOR", "form138.pdf", pdf),
            ("GOOD_MORAL", "good-moral.jpg", JPEG_BYTES)]


@pytest.fixture
def empty_uploads(app):
    """The session's upload folder, emptied before the test (file assertions see only theirs)."""
    folder = Path(app.config["UPLOAD_FOLDER"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
