"""Documents: the registrar's releases (TOR, COE, good moral, honorable dismissal, diploma,
other), their numbers, revocation and public verification, and the students' requests."""
from __future__ import annotations

from richwell.services.platform.codes import normalize_code

from .commands import (
    Preview,
    ReleaseForm,
    decline_request,
    next_number,
    preview,
    release,
    request_document,
    revoke,
)
from .content import graduation_date, has_record, past_terms_balance
from .pdf import release_pdf
from .queries import (
    ReleaseFilter,
    get_release,
    get_request,
    open_release,
    parse_filter,
    pending_requests,
    registrars,
    releases,
    releases_csv,
    releases_of_student,
    scan_bytes,
    student_documents,
    student_requests,
    verify,
)
from .rules import MAX_COPIES, PURPOSES, REQUESTABLE, is_head, sees_all_releases

__all__ = [
    "MAX_COPIES",
    "PURPOSES",
    "REQUESTABLE",
    "Preview",
    "ReleaseFilter",
    "ReleaseForm",
    "decline_request",
    "get_release",
    "get_request",
    "graduation_date",
    "has_record",
    "is_head",
    "next_number",
    "normalize_code",
    "open_release",
    "parse_filter",
    "past_terms_balance",
    "pending_requests",
    "preview",
    "registrars",
    "release",
    "release_pdf",
    "releases",
    "releases_csv",
    "releases_of_student",
    "request_document",
    "revoke",
    "scan_bytes",
    "sees_all_releases",
    "student_documents",
    "student_requests",
    "verify",
]
