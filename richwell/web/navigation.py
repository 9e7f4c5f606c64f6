"""Navigation per role: (label, endpoint). Links to endpoints not built yet are skipped."""
from __future__ import annotations

from flask import current_app

NAV: dict[str, list[tuple[str, str]]] = {
    "student": [("Home", "student.home")],
    "cashier": [("Terminal", "cashier.home")],
    "registrar": [("Home", "registrar.home")],
    "head_registrar": [("Home", "registrar.home")],
    "professor": [("My classes", "professor.home")],
    "admission": [("Applications", "admission.home")],
    "admin": [("Home", "admin.home"), ("Staff accounts", "admin.users"), ("Settings", "admin.settings_page"),
              ("Audit log", "admin.audit_log")],
}


def nav_for(role: str) -> list[tuple[str, str]]:
    return [(label, ep) for label, ep in NAV.get(role, []) if ep in current_app.view_functions]


# Payments, receipts and exam permits.
NAV["student"].append(("Payments", "student.payments_page"))
NAV["cashier"] += [("End of day", "cashier.end_of_day"), ("Verify permit", "cashier.verify_permit")]
NAV["professor"].append(("Verify permit", "professor.verify_permit"))
NAV["admin"] += [("Exam months", "admin.exam_months"), ("Find receipt", "admin.find_receipt")]
