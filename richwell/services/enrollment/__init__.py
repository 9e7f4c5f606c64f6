"""Enrollment: opening a term enrollment, advising, enrolling in and dropping subjects, the
registration (COR) and rosters."""
from __future__ import annotations

from .adding import Enrolled, enroll_in_subject
from .advising import SubjectChoice, advise
from .block import BlockResult, BlockSection, block_section, enroll_in_block
from .commands import Dropped, check_monthly_commitment, drop_subject, open_term_enrollment
from .cor import (
    class_roster,
    classes,
    find_students,
    registration,
)
from .cor_pdf import registration_pdf
from .queries import current_enrollment_id, preview_meetings
from .records import student_of, subjects_of, term_enrollment_for, term_enrollments_of
from .rules import Meeting

__all__ = [
    "BlockResult",
    "BlockSection",
    "Dropped",
    "Enrolled",
    "Meeting",
    "SubjectChoice",
    "advise",
    "block_section",
    "check_monthly_commitment",
    "class_roster",
    "classes",
    "current_enrollment_id",
    "drop_subject",
    "enroll_in_block",
    "enroll_in_subject",
    "find_students",
    "open_term_enrollment",
    "preview_meetings",
    "registration",
    "registration_pdf",
    "student_of",
    "subjects_of",
    "term_enrollment_for",
    "term_enrollments_of",
]
