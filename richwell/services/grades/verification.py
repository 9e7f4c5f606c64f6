"""Public verification of printed codes: exam permits and issued transcripts."""
from __future__ import annotations

from typing import Any

from richwell.services import finance

from . import transcripts


def verify(code: str | None) -> dict[str, Any] | None:
    """What a printed code may tell the public: valid or not, what it is, for which term or
    program and student (name and number). None when the code matches nothing we issued."""
    result = finance.verify_code(code)
    if result is not None:
        return {**result, "verify_kind": "PERMIT"}
    result = transcripts.verify_code(code)
    if result is not None:
        # A transcript tells its kind and program; no grades or GPA go to the public page.
        return {"verify_kind": "DOCUMENT", "kind": f'{result["document"]} ({result["kind"]})', "valid": True,
                "status": "Valid", "student_name": result["student_name"],
                "student_number": result["student_number"], "code": result["code"],
                "program": result["program"], "issued_at": result["issued_at"]}
    return None
