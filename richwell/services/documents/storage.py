"""Where uploaded signed scans live: the same folder and staging as the application uploads
(written under a random name, moved into place only once the release has committed). The two
functions below are the only file I/O of documents, so the storage behind them can change."""
from __future__ import annotations

from richwell.services import admissions


def store_scan(data: bytes, extension: str) -> str:
    """Stage a checked scan inside the current unit of work; returns its stored name."""
    return admissions.StagedFiles().write(data, extension)


def read_scan(stored_name: str) -> bytes:
    """The bytes of a stored scan."""
    return admissions.upload_path(stored_name).read_bytes()
