"""Uploaded files: judged by their bytes, staged under a temporary name, and moved into
UPLOAD_FOLDER only once the database transaction that records them has committed."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from flask import current_app

from richwell.services.platform.errors import ValidationError
from richwell.services.platform.unit_of_work import after_commit, after_rollback

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
STAGING = ".staging"

# What an upload arrives as: its bytes, or a readable stream (a form's file).
UploadSource = bytes | bytearray | memoryview | IO[bytes]


@dataclass(frozen=True)
class FileType:
    """A format we accept, recognised by its first bytes."""

    magic: bytes
    content_type: str
    extension: str


# Magic numbers of the only formats we accept; the name and the browser's claim are ignored.
SIGNATURES: list[FileType] = [
    FileType(b"%PDF-", "application/pdf", "pdf"),
    FileType(b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    FileType(b"\xff\xd8\xff", "image/jpeg", "jpg"),
]


@dataclass(frozen=True)
class CheckedFile:
    """One upload that passed the checks: its bytes and the type its content shows."""

    data: bytes
    content_type: str
    extension: str


def sniff(data: bytes) -> FileType | None:
    """The accepted format the first bytes show, or None when it is none of ours."""
    for kind in SIGNATURES:
        if data.startswith(kind.magic):
            return kind
    return None


def served_as(stored_content_type: str) -> FileType | None:
    """The format a stored document is served as: the type its content showed at upload (one of
    ours), or None for anything else (served as opaque bytes)."""
    for kind in SIGNATURES:
        if kind.content_type == stored_content_type:
            return kind
    return None


def read_limited(source: UploadSource, limit: int = MAX_UPLOAD_BYTES) -> bytes:
    """The bytes of `source` (bytes or a readable stream), reading at most limit + 1 so an
    oversized stream is recognised without being read whole."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if hasattr(source, "seek"):
        try:
            source.seek(0)
        except (OSError, ValueError):
            pass
    return bytes(source.read(limit + 1))


def clean_original_name(name: str | None) -> str:
    """The file's own name for display only: no directories, no control characters, bounded."""
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = "".join(ch for ch in base if ch.isprintable())
    return (base or "document")[:255]


def check_file(source: UploadSource, field_name: str, label: str) -> CheckedFile:
    """Validate one upload: not empty, at most 5 MB, and PDF, JPEG or PNG by content;
    raises ValidationError at `field_name`."""
    data = read_limited(source)
    if not data:
        raise ValidationError(f"The {label} file is empty.", field=field_name)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(f"The {label} file is larger than 5 MB. Scan it at a lower resolution.",
                              field=field_name)
    detected = sniff(data)
    if detected is None:
        raise ValidationError(f"The {label} must be a PDF, JPEG or PNG file (this one is not, "
                              "whatever its name says).", field=field_name)
    return CheckedFile(data, detected.content_type, detected.extension)


def upload_folder() -> Path:
    """The folder uploads live in (outside static), with its staging folder."""
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    (folder / STAGING).mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class StagedFiles:
    """Files written under their final random names inside the staging folder.

    Made inside the unit of work that records them. The first `write` asks that unit to
    `promote()` them once it has committed (same filesystem: an atomic rename) and to
    `discard()` them if it rolls back (the commit itself failing included), so a refused or
    failed transaction leaves no file and no record is left without its file.
    """

    names: list[str] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)
    promoting: bool = False

    def write(self, data: bytes, extension: str) -> str:
        """Stage one file (inside the unit of work that records it); returns its stored name."""
        folder = upload_folder()
        stored_name = f"{secrets.token_hex(16)}.{extension}"
        with open(folder / STAGING / stored_name, "xb") as handle:
            handle.write(data)
        self.names.append(stored_name)
        if not self.promoting:
            after_commit(self.promote)
            after_rollback(self.discard)
            self.promoting = True
        return stored_name

    def promote(self) -> None:
        """Move the staged files into place and delete the files they replaced."""
        folder = upload_folder()
        for name in self.names:
            os.replace(folder / STAGING / name, folder / name)
        self.names = []
        for name in self.obsolete:  # replaced documents: their rows are gone, so are they
            (folder / name).unlink(missing_ok=True)
        self.obsolete = []

    def discard(self) -> None:
        """Delete the staged files (the transaction that would have recorded them failed)."""
        folder = upload_folder()
        for name in self.names:
            (folder / STAGING / name).unlink(missing_ok=True)
        self.names = []
        self.obsolete = []


def path_of(stored_name: str) -> Path:
    """Where a stored upload lives; refuses anything that is not a bare generated name."""
    if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise ValueError("not a stored upload name")
    return upload_folder() / stored_name
