"""Uploaded files: judged by their bytes, stored (services.platform.storage, area `uploads`)
by the transaction that records them, and deleted again if that transaction rolls back."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from typing import IO

from richwell.services.platform import storage
from richwell.services.platform.errors import ValidationError
from richwell.services.platform.unit_of_work import after_commit, after_rollback

MAX_UPLOAD_BYTES = 5 * 1024 * 1024

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


#: The storage area of uploaded documents (services.platform.storage; UPLOAD_FOLDER on disk).
UPLOAD_AREA = "uploads"


def key_of(stored_name: str) -> str:
    """The storage key of a stored upload; refuses anything that is not a bare generated name."""
    if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise ValueError("not a stored upload name")
    return f"{UPLOAD_AREA}/{stored_name}"


@dataclass
class StagedFiles:
    """Files stored under fresh random names by the unit of work that records them.

    The first `write` asks that unit to `discard()` them if it rolls back (the commit itself
    failing included), so a refused or failed transaction leaves no file behind, and to
    `promote()` once it has committed, which deletes the files the new ones replaced. A record
    never points at a file that is not there: the file is written before the row commits.
    (A process killed between the write and the commit leaves an unreferenced file, never a
    row without its file.)
    """

    names: list[str] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)
    promoting: bool = False

    def write(self, data: bytes, extension: str) -> str:
        """Store one file (inside the unit of work that records it); returns its stored name."""
        stored_name = f"{secrets.token_hex(16)}.{extension}"
        kind = next((k for k in SIGNATURES if k.extension == extension), None)
        storage.put(key_of(stored_name), data, kind.content_type if kind else None)
        self.names.append(stored_name)
        if not self.promoting:
            after_commit(self.promote)
            after_rollback(self.discard)
            self.promoting = True
        return stored_name

    def promote(self) -> None:
        """The records committed: the new files stay, the files they replaced go."""
        self.names = []
        for name in self.obsolete:  # replaced documents: their rows are gone, so are they
            storage.delete(key_of(name))
        self.obsolete = []

    def discard(self) -> None:
        """Delete the new files (the transaction that would have recorded them failed)."""
        for name in self.names:
            storage.delete(key_of(name))
        self.names = []
        self.obsolete = []


def read(stored_name: str) -> bytes:
    """The bytes of a stored upload; storage.StoredFileMissing when the file is gone."""
    return storage.get(key_of(stored_name))
