"""All models, imported here so Alembic and create_app see every table."""
from richwell.models.academics import Program, Semester, Subject, Term, subject_prerequisites
from richwell.models.api import ApiToken
from richwell.models.audit import AuditEntry
from richwell.models.conflicts import ScheduleConflict
from richwell.models.documents import (
    RELEASE_KIND_LABELS,
    DocumentRelease,
    DocumentRequest,
    ReleaseCounter,
    ReleaseKind,
    ReleaseSource,
    RequestStatus,
)
from richwell.models.enrollment import (
    CreditStatus,
    MonthBucket,
    SubjectEnrollment,
    SubjectEnrollmentStatus,
    TermEnrollment,
    TermEnrollmentStatus,
    TransferCredit,
)
from richwell.models.finance import (
    DEFAULT_EXAM_MONTHS,
    Exam,
    ExamMonthMapping,
    ExamPermit,
    IdempotencyRecord,
    Payment,
    PaymentAllocation,
    PaymentKind,
    PaymentMethod,
    PermitStatus,
    ReceiptCounter,
    ReversalRequest,
    ReversalRequestStatus,
)
from richwell.models.grades import (
    ChangeRequestKind,
    ChangeRequestStatus,
    GradeChangeRequest,
    GradeEntry,
    GradeSheet,
    GradeSheetStatus,
    GradeSource,
    GradeVersion,
    IncRecord,
    IncStatus,
    TermGpa,
    Transcript,
    TranscriptKind,
)
from richwell.models.jobs import (
    ImportRowStatus,
    ImportStatus,
    JobOutcome,
    JobRun,
    OutboxEmail,
    OutboxStatus,
    PaymentImport,
    PaymentImportRow,
    PaymentReminder,
)
from richwell.models.notifications import Notification
from richwell.models.people import (
    STAFF_ROLES,
    AdmissionType,
    Role,
    Student,
    StudentNumberCounter,
    StudentStatus,
    StudentStatusChange,
    User,
)
from richwell.models.records import (
    AdmissionReview,
    ApplicationDocument,
    BulkOpenJob,
    DocumentKind,
    DocumentsStatus,
    JobStatus,
)
from richwell.models.reports import ExportStatus, ReportExport
from richwell.models.scheduling import DAYS, Offering, ScheduleSlot, Section
from richwell.models.settings import Setting
from richwell.models.subject_enrollment import ENROLLED_ONCE  # noqa: F401  (index on subject_enrollments)
from richwell.models.types import Money, UTCDateTime, money, utcnow

__all__ = [
    "ApiToken",
    "DAYS", "STAFF_ROLES", "AdmissionType", "AuditEntry", "CreditStatus", "Money", "MonthBucket",
    "Notification", "Offering", "Program", "Role", "ScheduleSlot", "Section", "Semester", "Setting",
    "Student", "StudentNumberCounter", "StudentStatus", "StudentStatusChange", "Subject",
    "SubjectEnrollment", "SubjectEnrollmentStatus", "Term", "TermEnrollment", "TermEnrollmentStatus",
    "TransferCredit", "UTCDateTime", "User", "money", "subject_prerequisites", "utcnow",
    "ScheduleConflict",
    "AdmissionReview", "ApplicationDocument", "BulkOpenJob", "DocumentKind", "DocumentsStatus", "JobStatus",
    "ChangeRequestKind", "ChangeRequestStatus", "GradeChangeRequest", "GradeEntry", "GradeSheet",
    "GradeSheetStatus", "GradeSource", "GradeVersion", "IncRecord", "IncStatus", "TermGpa", "Transcript",
    "TranscriptKind",
    "DEFAULT_EXAM_MONTHS", "Exam", "ExamMonthMapping", "ExamPermit", "IdempotencyRecord", "Payment",
    "PaymentAllocation", "PaymentKind", "PaymentMethod", "PermitStatus", "ReceiptCounter",
    "ReversalRequest",
    "ReversalRequestStatus",
    "ImportRowStatus", "ImportStatus", "JobOutcome", "JobRun", "OutboxEmail", "OutboxStatus", "PaymentImport",
    "PaymentImportRow", "PaymentReminder",
    "ExportStatus", "ReportExport",
    "RELEASE_KIND_LABELS", "DocumentRelease", "DocumentRequest", "ReleaseCounter", "ReleaseKind", "ReleaseSource",
    "RequestStatus",
]
