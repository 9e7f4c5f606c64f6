"""The notification bell and center, for every signed-in user."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from richwell.services.platform import notifications
from richwell.services.platform.errors import NotFound
from richwell.web.guards import require_login
from richwell.web.htmx import render

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
bp.before_request(require_login)


@bp.get("/")
def center():
    page = notifications.for_user(current_user.id, page=request.args.get("page", 1, type=int))
    return render("notifications/center.html", "notifications/_list.html", page=page,
                  unread=notifications.unread_count(current_user.id))


@bp.get("/bell")
def bell():
    return render("notifications/_bell.html", "notifications/_bell.html",
                  unread=notifications.unread_count(current_user.id))


@bp.post("/<int:notification_id>/read")
def mark_read(notification_id: int):
    try:
        note = notifications.mark_read(current_user.id, notification_id)
    except NotFound:
        abort(404)
    if request.form.get("follow") and note.link and note.link.startswith("/"):
        return redirect(note.link)
    return _after_change()


@bp.post("/read-all")
def mark_all_read():
    notifications.mark_all_read(current_user.id)
    return _after_change()


def _after_change():
    page = notifications.for_user(current_user.id, page=1)
    response = render("notifications/center.html", "notifications/_list.html", page=page,
                      unread=notifications.unread_count(current_user.id))
    if response.status_code == 200 and request.headers.get("HX-Request") == "true":
        response.headers["HX-Trigger"] = "notifications-changed"
        return response
    return redirect(url_for("notifications.center"))
