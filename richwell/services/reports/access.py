"""Who may see which dashboard and which report. A dashboard or report refused to a role is a
403 (Forbidden); the pages and the export links ask here, never decide themselves."""
from __future__ import annotations

from richwell.models import Role, User
from richwell.services.platform.errors import Forbidden

_REGISTRARS = frozenset({Role.REGISTRAR.value, Role.HEAD_REGISTRAR.value})
_MONEY = frozenset({Role.CASHIER.value, Role.ADMIN.value})

DASHBOARD_ROLES: dict[str, frozenset[str]] = {
    "registrar": _REGISTRARS,
    "finance": _MONEY,
    "admission": frozenset({Role.ADMISSION.value}),
    "admin": frozenset({Role.ADMIN.value}),
}

REPORT_ROLES: dict[str, frozenset[str]] = {
    "enrollment": _REGISTRARS | {Role.ADMIN.value},
    "payments": _MONEY,
    "aging": _MONEY,
    "permits": _MONEY | _REGISTRARS,
    "grades": _REGISTRARS,
    "grades_by_program": _REGISTRARS,
    "incs": _REGISTRARS,
    "rosters": _REGISTRARS,
    # All releases: the head registrar and admin (a registrar sees their own under Documents).
    "documents": frozenset({Role.HEAD_REGISTRAR.value, Role.ADMIN.value}),
}

# The dashboard a role lands on from "Dashboard" in its menu.
HOME_DASHBOARD = {Role.REGISTRAR.value: "registrar", Role.HEAD_REGISTRAR.value: "registrar",
                  Role.CASHIER.value: "finance", Role.ADMIN.value: "admin", Role.ADMISSION.value: "admission"}


def require_dashboard(actor: User, name: str) -> None:
    if actor.role not in DASHBOARD_ROLES.get(name, frozenset()):
        raise Forbidden("This dashboard is not for your role.", code="forbidden")


def require_report(actor: User, name: str) -> None:
    if actor.role not in REPORT_ROLES.get(name, frozenset()):
        raise Forbidden("This report is not for your role.", code="forbidden")


def dashboards_for(actor: User) -> list[str]:
    return [name for name, roles in DASHBOARD_ROLES.items() if actor.role in roles]


def reports_for(actor: User) -> list[str]:
    return [name for name, roles in REPORT_ROLES.items() if actor.role in roles]
