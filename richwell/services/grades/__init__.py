"""Grades: grade sheets, INC, GPA, transcripts and public verification."""
from __future__ import annotations

from .access import (
    enrollment_in,
    get_offering,
    get_student,
    own_offering,
)
from .changes import (
    decide_change,
    request_change,
)
from .entry import (
    reopen_sheet,
    save_draft,
    save_drafts,
    submit_sheet,
)
from .finalization import (
    finalize,
)
from .gpa import (
    recompute_all,
)
from .inc import (
    expire_incs,
    warn_incs,
)
from .queries import (
    find_sheet,
    grade_sheet,
    history,
    open_past_deadline,
    professor_offerings,
    requests_for,
    roster,
    search_students,
    sheets_with_status,
    student_record,
    term_gpas,
)
from .rules import (
    ALLOWED_GRADES,
    NUMERIC_GRADES,
    distribution,
    entry_closes_on,
    may_decide,
    summarize,
)
from .transcripts import (
    build_record,
    get_transcript,
    issue_transcript,
    issued_for,
    prepared_by_name,
    qr_svg,
    transcript_pdf,
)
from .verification import (
    verify,
)

__all__ = [
    "ALLOWED_GRADES",
    "NUMERIC_GRADES",
    "build_record",
    "decide_change",
    "distribution",
    "enrollment_in",
    "entry_closes_on",
    "expire_incs",
    "finalize",
    "find_sheet",
    "get_offering",
    "get_student",
    "get_transcript",
    "grade_sheet",
    "history",
    "issue_transcript",
    "issued_for",
    "may_decide",
    "open_past_deadline",
    "own_offering",
    "professor_offerings",
    "qr_svg",
    "recompute_all",
    "reopen_sheet",
    "request_change",
    "requests_for",
    "roster",
    "save_draft",
    "save_drafts",
    "search_students",
    "sheets_with_status",
    "student_record",
    "submit_sheet",
    "summarize",
    "term_gpas",
    "prepared_by_name",
    "transcript_pdf",
    "verify",
    "warn_incs",
]
