"""Registrar (and head registrar) home page."""
from flask import render_template

from richwell.services import reports
from richwell.web.registrar.blueprint import bp


@bp.get("/")
def home():
    pending = reports.pending_work()
    items: list[tuple[str, int, str, dict[str, str]]] = [
        ("grade sheets to finalize", pending.sheets_to_finalize, "registrar.grade_queue", {}),
             ("grade change requests", pending.change_requests, "registrar.grade_requests", {}),
             ("disputed credits", pending.disputes, "registrar.disputed_credits", {})]
    return render_template("registrar/home.html", items=items)
