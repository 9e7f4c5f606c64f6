"""Admin: the audit log viewer (filter by actor, action, date; paginated)."""
from __future__ import annotations

from datetime import date, timedelta

from flask import render_template, request
from flask_login import current_user

from richwell.extensions import db
from richwell.models import AuditEntry, User
from richwell.services.platform import audit, audit_view, clock
from richwell.web.admin.blueprint import bp
from richwell.web.forms import search_text


def _parse_date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@bp.get("/audit")
def audit_log():
    actor = search_text("actor", 254)
    action = search_text("action", 60)
    start = _parse_date(request.args.get("from"))
    end = _parse_date(request.args.get("to"))
    query = audit.visible_entries(current_user)
    if actor:
        if actor.upper() == "SYSTEM":
            query = query.where(AuditEntry.actor_id.is_(None))
        else:
            query = query.join(User, User.id == AuditEntry.actor_id).where(User.email.like(f"%{actor.lower()}%"))
    if action:
        query = query.where(AuditEntry.action.like(f"{action}%"))
    if start:
        query = query.where(AuditEntry.created_at >= clock.day_start(start))
    if end:
        query = query.where(AuditEntry.created_at < clock.day_start(end + timedelta(days=1)))
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=50, error_out=False)
    filters = {"actor": actor, "action": action, "from": start.isoformat() if start else "",
               "to": end.isoformat() if end else ""}
    return render_template("admin/audit.html", page=page, filters=filters, rows=audit_view.readable(page.items))
