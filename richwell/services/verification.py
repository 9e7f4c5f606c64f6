"""Public verification of printed codes (exam permits now; documents will join here)."""
from __future__ import annotations

from richwell.services import permits


def verify(code) -> dict | None:
    """What a printed code may tell the public: valid or not, what it is, for which term and
    student (name and number). None when the code matches nothing we issued."""
    return permits.verify_code(code)
