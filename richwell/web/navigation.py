"""Navigation per role: (label, endpoint). Links to endpoints not built yet are skipped."""
from __future__ import annotations

from flask import current_app

NAV: dict[str, list[tuple[str, str]]] = {
    "student": [("Home", "student.home"), ("Grades", "student.grades"), ("Transcript", "student.transcript")],
    "cashier": [("Terminal", "cashier.home")],
    "registrar": [("Home", "registrar.home"), ("Grades", "registrar.grade_queue"),
                  ("Grade changes", "registrar.grade_requests")],
    "head_registrar": [("Home", "registrar.home"), ("Grades", "registrar.grade_queue"),
                       ("Grade changes", "registrar.grade_requests")],
    "professor": [("My classes", "professor.home"), ("Grade sheets", "professor.grade_sheets")],
    "admission": [("Applications", "admission.home")],
    "admin": [("Home", "admin.home"), ("Staff accounts", "admin.users"), ("Settings", "admin.settings_page"),
              ("Audit log", "admin.audit_log")],
}


def nav_for(role: str) -> list[tuple[str, str]]:
    return [(label, ep) for label, ep in NAV.get(role, []) if ep in current_app.view_functions]
