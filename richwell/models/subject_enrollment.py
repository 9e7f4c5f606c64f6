"""Database guards of subject enrollment (the enrollment area's own migration, 0007_enrollment.py).

The service already serialises a student's enrollments on the locked term-enrollment row;
this partial unique index is the last line: one ENROLLED row per subject per term enrollment
(DROPPED, graded and INC rows are history and may repeat).
"""
from __future__ import annotations

from sqlalchemy import Index, text

from richwell.models.enrollment import SubjectEnrollment

ENROLLED_ONCE = Index(
    "uq_subject_enrollments_enrolled_once",
    SubjectEnrollment.term_enrollment_id,
    SubjectEnrollment.subject_id,
    unique=True,
    postgresql_where=text("status = 'ENROLLED'"),
    sqlite_where=text("status = 'ENROLLED'"),
)
