"""Verification codes printed on transcripts and released documents: 80 random bits written as
16 base32 characters in groups of four (XXXX-XXXX-XXXX-XXXX), and the same code read back from
what someone typed or scanned. (Exam permits use their own alphabet without 0/O/1/I: finance.)"""
from __future__ import annotations

import base64
import re
import secrets

CODE_BYTES = 10  # 80 random bits: 16 base32 characters
_NOT_BASE32 = re.compile(r"[^A-Z2-7]")


def new_code() -> str:
    """A fresh unguessable code, as printed."""
    raw = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode()
    return _grouped(raw)


def normalize_code(code: object) -> str | None:
    """A code as printed from what someone typed or scanned (case, spaces and dashes ignored),
    or None when it cannot be one."""
    letters = _NOT_BASE32.sub("", str(code or "").upper())
    if len(letters) != 16:
        return None
    return _grouped(letters)


def _grouped(letters: str) -> str:
    return "-".join(letters[i:i + 4] for i in range(0, 16, 4))
