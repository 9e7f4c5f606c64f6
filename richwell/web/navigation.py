"""Navigation per role: (label, endpoint). Links to endpoints not built yet are skipped."""
from __future__ import annotations

from flask import current_app

NAV: dict[str, list[tuple[str, str]]] = {
    "student": [("Home", "student.home")],
    "cashier": [("Terminal", "cashier.home")],
    "registrar": [("Home", "registrar.home"), ("Curriculum", "registrar.curriculum_index"),
                  ("Terms", "registrar.terms_list"), ("Sections", "registrar.sections"),
                  ("Schedules", "registrar.schedules")],
    "head_registrar": [("Home", "registrar.home"), ("Curriculum", "registrar.curriculum_index"),
                       ("Terms", "registrar.terms_list"), ("Sections", "registrar.sections"),
                       ("Schedules", "registrar.schedules")],
    "professor": [("My classes", "professor.home")],
    "admission": [("Applications", "admission.home")],
    "admin": [("Home", "admin.home"), ("Staff accounts", "admin.users"), ("Settings", "admin.settings_page"),
              ("Audit log", "admin.audit_log"), ("Programs", "admin.programs")],
}

# Admissions and student records.
_RECORDS = [("Students", "registrar.students_search"), ("New transferee", "registrar.new_transferee"),
            ("Disputed credits", "registrar.disputed_credits"), ("Continuing students", "registrar.continuing")]
NAV["registrar"] += _RECORDS
NAV["head_registrar"] += _RECORDS


def nav_for(role: str) -> list[tuple[str, str]]:
    return [(label, ep) for label, ep in NAV.get(role, []) if ep in current_app.view_functions]
