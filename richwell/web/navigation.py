"""Navigation per role: (label, endpoint). Links to endpoints not built yet are skipped.

NAV is the top bar (kept short enough to read at a glance); MORE adds the less daily
pages, shown with the top-bar links as tiles on the role's home page.
"""
from __future__ import annotations

from collections.abc import Sequence

from flask import current_app

from richwell.models import Role

_REGISTRAR = [
    ("Home", "registrar.home"), ("Students", "registrar.students_search"),
    ("Enrollment", "registrar.enrollment_search"), ("Curriculum", "registrar.curriculum_index"),
    ("Terms", "registrar.terms_list"), ("Sections", "registrar.sections"), ("Grades", "registrar.grade_queue"),
]
_REGISTRAR_MORE = [
    ("Schedules", "registrar.schedules"), ("Class rosters", "registrar.class_rosters"),
    ("Grade changes", "registrar.grade_requests"), ("New transferee", "registrar.new_transferee"),
    ("Disputed credits", "registrar.disputed_credits"), ("Continuing students", "registrar.continuing"),
    ("Dashboard", "reports.dashboard"), ("Reports", "reports.index"),
    ("Documents", "registrar.documents_list"), ("Document requests", "registrar.document_requests"),
]

NAV: dict[str, list[tuple[str, str]]] = {
    Role.STUDENT.value: [("Home", "student.home"), ("Subjects", "student.subjects"),
                         ("My schedule", "student.schedule"), ("Payments", "student.payments_page"),
                         ("Grades", "student.grades"), ("Transcript", "student.transcript"),
                         ("My documents", "student.documents_page")],
    Role.CASHIER.value: [("Terminal", "cashier.home"), ("Online payments", "cashier.imports"),
                         ("End of day", "cashier.end_of_day"), ("Verify permit", "cashier.verify_permit"),
                         ("Dashboard", "reports.dashboard"), ("Reports", "reports.index")],
    # The head registrar uses the registrar's pages (with more rights).
    Role.REGISTRAR.value: _REGISTRAR,
    Role.HEAD_REGISTRAR.value: _REGISTRAR,
    Role.PROFESSOR.value: [("My classes", "professor.home"), ("Grade sheets", "professor.grade_sheets"),
                           ("Class rosters", "professor.class_rosters"), ("Verify permit", "professor.verify_permit")],
    Role.ADMISSION.value: [("Applications", "admission.home"), ("Dashboard", "reports.dashboard")],
    Role.ADMIN.value: [("Home", "admin.home"), ("Staff accounts", "admin.users"), ("Settings", "admin.settings_page"),
                       ("Audit log", "admin.audit_log"), ("Programs", "admin.programs"), ("Jobs", "admin.jobs_page")],
}
MORE: dict[str, list[tuple[str, str]]] = {
    Role.STUDENT.value: [("Registration form", "student.registration_form")],
    Role.REGISTRAR.value: _REGISTRAR_MORE,
    Role.HEAD_REGISTRAR.value: _REGISTRAR_MORE,
    Role.ADMIN.value: [("Exam months", "admin.exam_months"), ("Find receipt", "admin.find_receipt"),
                       ("Reversal requests", "admin.reversals"),
                       ("Month-1 override", "admin.enrollment_search"), ("Dashboard", "reports.dashboard"),
                       ("Reports", "reports.index"), ("Document releases", "admin.documents_list")],
}


def nav_for(role: str, *, with_more: bool = False) -> list[tuple[str, str]]:
    links = NAV.get(role, []) + (MORE.get(role, []) if with_more else [])
    return [(label, ep) for label, ep in links if ep in current_app.view_functions]


class LazyNav(Sequence):
    """The role's links, worked out only when a template reads them. HTMX partials never do,
    so a partial rendered right after a commit does not reload the user just for its role."""

    def __init__(self, user, *, with_more: bool = False):
        self._user = user
        self._with_more = with_more
        self._links: list[tuple[str, str]] | None = None

    def _get(self) -> list[tuple[str, str]]:
        if self._links is None:
            self._links = nav_for(self._user.role, with_more=self._with_more) if self._user is not None else []
        return self._links

    def __getitem__(self, index):
        return self._get()[index]

    def __len__(self) -> int:
        return len(self._get())
