"""Navigation per role: (label, endpoint). Links to endpoints not built yet are skipped."""
from __future__ import annotations

from flask import current_app

# The head registrar uses the registrar's pages (with more rights), so one list serves both.
_REGISTRAR = [
    ("Home", "registrar.home"), ("Students", "registrar.students_search"),
    ("Curriculum", "registrar.curriculum_index"), ("Terms", "registrar.terms_list"),
    ("Sections", "registrar.sections"), ("Schedules", "registrar.schedules"),
    ("Grades", "registrar.grade_queue"), ("Grade changes", "registrar.grade_requests"),
    ("New transferee", "registrar.new_transferee"), ("Disputed credits", "registrar.disputed_credits"),
    ("Continuing students", "registrar.continuing"),
]

NAV: dict[str, list[tuple[str, str]]] = {
    "student": [("Home", "student.home"), ("Grades", "student.grades"), ("Transcript", "student.transcript")],
    "cashier": [("Terminal", "cashier.home"), ("Online payments", "cashier.imports")],
    "registrar": _REGISTRAR,
    "head_registrar": _REGISTRAR,
    "professor": [("My classes", "professor.home"), ("Grade sheets", "professor.grade_sheets")],
    "admission": [("Applications", "admission.home")],
    "admin": [("Home", "admin.home"), ("Staff accounts", "admin.users"), ("Settings", "admin.settings_page"),
              ("Audit log", "admin.audit_log"), ("Programs", "admin.programs"), ("Jobs", "admin.jobs_page")],
}


def nav_for(role: str) -> list[tuple[str, str]]:
    return [(label, ep) for label, ep in NAV.get(role, []) if ep in current_app.view_functions]


# Payments, receipts and exam permits.
NAV["student"].append(("Payments", "student.payments_page"))
NAV["cashier"] += [("End of day", "cashier.end_of_day"), ("Verify permit", "cashier.verify_permit")]
NAV["professor"].append(("Verify permit", "professor.verify_permit"))
NAV["admin"] += [("Exam months", "admin.exam_months"), ("Find receipt", "admin.find_receipt")]
