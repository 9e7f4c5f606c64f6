"""Admissions: online applications and their documents, student records, transferee credits."""
from __future__ import annotations

from .commands import admit, replace_documents, review_documents, submit_application
from .continuing import get_job, home_of, open_own_enrollment, recent_jobs, run_bulk_open, start_bulk_open
from .credits import (
    add_credit,
    convert_to_transferee,
    create_transferee,
    dispute_credit,
    disputed_credits,
    get_credit,
    settle_credit,
    subjects_for_credit,
)
from .queries import (
    active_programs,
    document_download,
    document_for_viewer,
    documents_of,
    get_application,
    list_applications,
    programs,
    review_of,
)
from .rules import ADDRESS_MAX, DOCUMENT_FIELDS, SCHOOL_MAX
from .students import (
    PROFILE_FIELDS,
    change_program,
    change_status,
    get_student,
    loa_periods,
    profile_values,
    record_of,
    search,
    update_profile,
)
from .uploads import CheckedFile, StagedFiles, check_file
from .uploads import read as read_upload
from .validation import check_documents, validate_applicant, validate_application

__all__ = [
    "ADDRESS_MAX",
    "DOCUMENT_FIELDS",
    "PROFILE_FIELDS",
    "SCHOOL_MAX",
    "CheckedFile",
    "StagedFiles",
    "active_programs",
    "add_credit",
    "admit",
    "change_program",
    "change_status",
    "check_documents",
    "check_file",
    "convert_to_transferee",
    "create_transferee",
    "dispute_credit",
    "disputed_credits",
    "document_download",
    "document_for_viewer",
    "documents_of",
    "get_application",
    "get_credit",
    "get_job",
    "get_student",
    "home_of",
    "list_applications",
    "loa_periods",
    "open_own_enrollment",
    "profile_values",
    "programs",
    "recent_jobs",
    "record_of",
    "replace_documents",
    "review_documents",
    "review_of",
    "run_bulk_open",
    "search",
    "settle_credit",
    "start_bulk_open",
    "subjects_for_credit",
    "submit_application",
    "update_profile",
    "read_upload",
    "validate_applicant",
    "validate_application",
]
