"""Finance: payments and their allocation, official receipts, exam permits, online-payment import, reminders."""
from __future__ import annotations

from .ledger import (
    record_payment,
    reverse_payment,
)
from .payment_import import (
    progress,
    recent_imports,
    record_rows,
    refused_rows,
    start_import,
)
from .permits import (
    exam_months,
    exam_states,
    issue_missing_permits,
    normalize_code,
    permit_for_student,
    permits_for_enrollment,
    set_exam_months,
    verify_code,
)
from .queries import (
    DaySummary,
    account,
    account_for_enrollment,
    account_for_user,
    end_of_day,
    get_enrollment,
    preview_allocation,
    search_students,
    with_due_dates,
)
from .receipts import (
    can_reverse,
    ensure_pdf,
    pdf_for,
    receipt_data,
    receipt_for,
    receipt_to_reverse,
    sweep_missing_pdfs,
)
from .reminders import (
    send_payment_reminders,
)
from .reversal_policy import (
    may_reverse_alone,
)
from .reversal_requests import (
    WaitingRequest,
    decide_reversal,
    request_reversal,
    waiting_requests,
)
from .rules import (
    PaymentResult,
    ReversalResult,
    check_idempotency_key,
    days_overdue,
    month_due_date,
)

__all__ = [
    "DaySummary",
    "WaitingRequest",
    "decide_reversal",
    "may_reverse_alone",
    "request_reversal",
    "waiting_requests",
    "PaymentResult",
    "ReversalResult",
    "account",
    "account_for_enrollment",
    "account_for_user",
    "can_reverse",
    "check_idempotency_key",
    "days_overdue",
    "end_of_day",
    "ensure_pdf",
    "exam_months",
    "exam_states",
    "get_enrollment",
    "issue_missing_permits",
    "month_due_date",
    "normalize_code",
    "pdf_for",
    "permit_for_student",
    "permits_for_enrollment",
    "preview_allocation",
    "progress",
    "receipt_data",
    "receipt_for",
    "receipt_to_reverse",
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
    "with_due_dates",
]
