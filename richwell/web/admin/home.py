"""Administrator home page."""
from flask import render_template

from richwell.services import reports
from richwell.web.admin.blueprint import bp


@bp.get("/")
def home():
    pending = reports.pending_work()
    items: list[tuple[str, int, str, dict[str, str]]] = [
        ("failed jobs", pending.failed_jobs, "admin.jobs_page", {}),
             ("applications to review", pending.applications_to_review, "reports.admin_dashboard", {}),
             ("grade sheets to finalize", pending.sheets_to_finalize, "reports.admin_dashboard", {})]
    return render_template("admin/home.html", items=items)
