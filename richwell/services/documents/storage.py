"""Where uploaded signed scans live: staged like the application uploads (under a random name,
through the platform storage interface, moved into place only once the release has committed).
The two functions below are the only file I/O of documents."""
from __future__ import annotations

from richwell.services import admissions


def store_scan(data: bytes, extension: str) -> str:
    """Stage a checked scan inside the current unit of work; returns its stored name."""
    return admissions.StagedFiles().write(data, extension)


def read_scan(stored_name: str) -> bytes:
    """The bytes of a stored scan."""
    return admissions.read_upload(stored_name)
