"""Admission staff home: recent applications, filtered by program, type, date and document status."""
from __future__ import annotations

from datetime import date

from flask import request
from flask_login import current_user

from richwell.models import DocumentsStatus
from richwell.services import admissions, reports
from richwell.web.admission.blueprint import bp
from richwell.web.htmx import render


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, "")[:10]) if request.args.get(name) else None
    except ValueError:
        return None


@bp.get("/")
def home():
    program_id = request.args.get("program", type=int)
    admission_type = request.args.get("type") or None
    status = request.args.get("status") or None
    date_from, date_to = _date_arg("from"), _date_arg("to")
    page, reviews = admissions.list_applications(
        current_user._get_current_object(), program_id=program_id, admission_type=admission_type,
        date_from=date_from, date_to=date_to, documents_status=status, page=request.args.get("page", 1, type=int))
    filters = {"program": program_id or "", "type": admission_type or "", "status": status or "",
               "from": date_from.isoformat() if date_from else "", "to": date_to.isoformat() if date_to else ""}
    pending = reports.pending_work()
    items = [("applications to review", pending.applications_to_review, "admission.home", {"status": "PENDING"})]
    return render("admission/home.html", "admission/_applications.html", results=page, reviews=reviews, items=items,
                  filters=filters, programs=admissions.active_programs(), statuses=list(DocumentsStatus))
