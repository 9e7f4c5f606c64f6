"""Fingerprinted static URLs: url_for('static', filename=...) gains ?v=<content hash>, so the
proxy can serve /static/ with a year's cache lifetime and a new release is fetched at once."""
from __future__ import annotations

import hashlib
import os
from typing import Any

from flask import Flask

_hashes: dict[tuple[str, float], str] = {}


def _content_hash(folder: str, filename: str) -> str | None:
    path = os.path.join(folder, filename)
    try:
        key = (path, os.stat(path).st_mtime)  # an edited file in development gets a new hash
    except OSError:
        return None
    if key not in _hashes:
        with open(path, "rb") as handle:
            _hashes[key] = hashlib.sha256(handle.read()).hexdigest()[:12]
    return _hashes[key]


def register(app: Flask) -> None:
    static_folder = app.static_folder or ""

    @app.url_defaults
    def _fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            digest = _content_hash(static_folder, values["filename"])
            if digest:
                values["v"] = digest
