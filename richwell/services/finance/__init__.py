"""Finance: payments and their allocation, official receipts, exam permits, online-payment import, reminders."""
from __future__ import annotations

from .payment_import import (
    progress,
    recent_imports,
    record_rows,
    refused_rows,
    start_import,
)
from .payments import (
    DaySummary,
    PaymentResult,
    account,
    account_for_user,
    check_idempotency_key,
    end_of_day,
    get_enrollment,
    preview_allocation,
    record_payment,
    reverse_payment,
    search_students,
)
from .permits import (
    exam_months,
    exam_states,
    issue_missing_permits,
    normalize_code,
    permit_for_student,
    set_exam_months,
    verify_code,
)
from .receipts import (
    ensure_pdf,
    pdf_for,
    receipt_data,
    receipt_for,
    sweep_missing_pdfs,
)
from .reminders import (
    send_payment_reminders,
)

__all__ = [
    "DaySummary",
    "PaymentResult",
    "account",
    "account_for_user",
    "check_idempotency_key",
    "end_of_day",
    "ensure_pdf",
    "exam_months",
    "exam_states",
    "get_enrollment",
    "issue_missing_permits",
    "normalize_code",
    "pdf_for",
    "permit_for_student",
    "preview_allocation",
    "progress",
    "receipt_data",
    "receipt_for",
    "recent_imports",
    "record_payment",
    "record_rows",
    "refused_rows",
    "reverse_payment",
    "search_students",
    "send_payment_reminders",
    "set_exam_months",
    "start_import",
    "sweep_missing_pdfs",
    "verify_code",
]
