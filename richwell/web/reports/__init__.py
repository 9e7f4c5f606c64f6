"""Dashboards and reports (/reports): each role's dashboard, the report pages with CSV and
XLSX downloads, and the progress and download of queued exports. Who may see what is decided
by `services.reports`; a refusal is its 403 or 404."""
from richwell.web.reports import dashboards, pages  # noqa: F401  (routes register on import)
from richwell.web.reports.blueprint import bp

__all__ = ["bp"]
