"""Navigation per role: (label, endpoint). Links to endpoints not built yet are skipped."""
from __future__ import annotations

from collections.abc import Sequence

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

# Subject enrollment (issue 6).
NAV["student"] += [("Subjects", "student.subjects"), ("My schedule", "student.schedule"),
                   ("Registration form", "student.registration_form")]
for _role in ("registrar", "head_registrar"):
    NAV[_role] += [("Enrollment", "registrar.enrollment_search"), ("Class rosters", "registrar.class_rosters")]
NAV["professor"] += [("Class rosters", "professor.class_rosters")]
NAV["admin"] += [("Month-1 override", "admin.enrollment_search")]


class LazyNav(Sequence):
    """The role's links, worked out only when a template reads them. HTMX partials never do,
    so a partial rendered right after a commit does not reload the user just for its role."""

    def __init__(self, user):
        self._user = user
        self._links: list[tuple[str, str]] | None = None

    def _get(self) -> list[tuple[str, str]]:
        if self._links is None:
            self._links = nav_for(self._user.role) if self._user is not None else []
        return self._links

    def __getitem__(self, index):
        return self._get()[index]

    def __len__(self) -> int:
        return len(self._get())
