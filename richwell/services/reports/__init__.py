"""Dashboards, reports and exports for the people who run the school (read-only but for the
queued exports' own rows). Set-based: every dashboard and report is a handful of statements
whatever the number of students."""
from .access import HOME_DASHBOARD, dashboards_for, reports_for, require_dashboard, require_report
from .aging import BUCKET_LABELS, BUCKETS, Aging, DueMonth, bucket_of, due_months
from .catalog import REPORTS, Column, Report
from .exports import (
    FORMATS,
    PAGE_ROWS,
    Download,
    ReportPage,
    build_export,
    csv_chunks,
    export_file,
    get_export,
    neutralise,
    report,
    request_download,
    run_page,
    xlsx_bytes,
)
from .filters import STAGES, Filters, parse
from .finance_board import Blocked, DayMethod, FinanceBoard, finance_dashboard
from .office_boards import AdminBoard, AdmissionBoard, PendingWork, admin_dashboard, admission_dashboard, pending_work
from .registrar_board import FunnelRow, RegistrarBoard, SectionFill, registrar_dashboard

__all__ = [
    "BUCKETS", "BUCKET_LABELS", "FORMATS", "HOME_DASHBOARD", "PAGE_ROWS", "REPORTS", "STAGES",
    "AdminBoard", "AdmissionBoard", "Aging", "Blocked", "Column", "DayMethod", "Download", "DueMonth", "Filters",
    "FinanceBoard", "FunnelRow", "PendingWork", "RegistrarBoard", "Report", "ReportPage", "SectionFill",
    "admin_dashboard", "admission_dashboard", "bucket_of", "build_export", "csv_chunks", "dashboards_for",
    "due_months", "export_file", "finance_dashboard", "get_export", "neutralise", "parse", "pending_work",
    "registrar_dashboard", "report", "reports_for", "request_download", "require_dashboard", "require_report",
    "run_page", "xlsx_bytes",
]
