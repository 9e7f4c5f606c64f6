"""Professor: grade sheets of their own classes — draft entry saved per row (HTMX), a live
summary, submission, change requests and INC completion after finalization."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from richwell.services import grades
from richwell.services.platform.errors import DomainError, NotFound, ValidationError
from richwell.web import confirm
from richwell.web.forms import PortalForm
from richwell.web.htmx import is_partial_request, refusal, render
from richwell.web.professor.blueprint import bp


class ActionForm(PortalForm):
    """CSRF only; the grade values are read from the row names (grade-<id>)."""


def _back(offering_id: int):
    return redirect(url_for("professor.grade_sheet", offering_id=offering_id))


def _sheet_context(offering_id: int, errors: dict | None = None, values: dict | None = None) -> dict:
    view = grades.grade_sheet(current_user, offering_id)
    return {"offering": view.offering, "rows": view.rows, "sheet": view.sheet, "sheet_state": view.status,
            "closes": view.closes, "editable": view.entry_open, "summary": view.summary,
            "chart": view.chart, "allowed": grades.ALLOWED_GRADES,
            "numeric": grades.NUMERIC_GRADES, "form": ActionForm(), "errors": errors or {},
            "values": values or {}, "term": view.term}


@bp.get("/grades")
def grade_sheets():
    return render("professor/grade_sheets.html", classes=grades.professor_offerings(current_user))


@bp.get("/classes/<int:offering_id>/grades")
def grade_sheet(offering_id: int):
    return render("professor/grade_sheet.html", **_sheet_context(offering_id))


@bp.post("/classes/<int:offering_id>/grades/<int:se_id>")
def save_grade(offering_id: int, se_id: int):
    """One row, saved as the professor picks the value (HTMX); a plain form gets a redirect."""
    raw = request.form.get(f"grade-{se_id}", request.form.get("grade"))
    try:
        value = grades.save_draft(current_user, offering_id, se_id, raw)
    except NotFound:
        raise
    except DomainError as error:
        if is_partial_request():
            return refusal(error.message, 422, field=f"grade-{se_id}")
        flash(error.message, "error")
        return _back(offering_id)
    if not is_partial_request():
        flash("Grade saved as a draft.", "success")
        return _back(offering_id)
    return render("professor/_grade_saved.html", value=value, **_sheet_context(offering_id))


@bp.post("/classes/<int:offering_id>/grades")
def save_grade_sheet(offering_id: int):
    """The whole sheet in one plain form (works without JavaScript); all or nothing."""
    if not ActionForm().validate_on_submit():
        flash("The form expired; reload the page and try again.", "error")
        return _back(offering_id)
    values = {int(key[6:]): raw for key, raw in request.form.items()
              if key.startswith("grade-") and key[6:].isascii() and key[6:].isdigit() and len(key) < 20}
    try:
        changed = grades.save_drafts(current_user, offering_id, values)
    except NotFound:
        raise
    except ValidationError as error:
        flash(error.message, "error")
        return render("professor/grade_sheet.html", status=400,
                      **_sheet_context(offering_id, errors=error.fields, values=values))
    except DomainError as error:
        flash(error.message, "error")
        return _back(offering_id)
    flash(f"Grades saved as drafts ({changed} changed).", "success")
    return _back(offering_id)


@bp.post("/classes/<int:offering_id>/grades/submit")
def submit_grades(offering_id: int):
    if not ActionForm().validate_on_submit():
        flash("The form expired; reload the page and try again.", "error")
        return _back(offering_id)
    if not confirm.confirmed("grades.submit", offering_id):
        offering = _sheet_context(offering_id)["offering"]  # another professor's class: not found
        return confirm.ask("grades.submit", offering_id, url_for("professor.grade_sheet", offering_id=offering_id),
                           code=offering.subject.code)
    try:
        grades.submit_sheet(current_user, offering_id)
    except NotFound:
        raise
    except DomainError as error:
        flash(error.message, "error")
        return render("professor/grade_sheet.html", status=422, **_sheet_context(offering_id))
    flash("Grades submitted for finalization. The registrar will review and post them.", "success")
    return _back(offering_id)


@bp.post("/classes/<int:offering_id>/grades/<int:se_id>/change")
def request_grade_change(offering_id: int, se_id: int):
    """A change request (or an INC's completion grade) for a final grade in the professor's class."""
    if not ActionForm().validate_on_submit():
        flash("The form expired; reload the page and try again.", "error")
        return _back(offering_id)
    try:
        change = grades.request_change(current_user, se_id, request.form.get("new_value"),
                                       request.form.get("reason", ""), offering_id=offering_id)
    except NotFound:
        raise
    except DomainError as error:
        flash(error.message, "error")
        return render("professor/grade_sheet.html", status=422, **_sheet_context(offering_id))
    what = "completion grade" if change.kind == "INC_RESOLUTION" else "change request"
    flash(f"Your {what} ({change.old_value} → {change.new_value}) is waiting for the registrar's approval.",
          "success")
    return _back(offering_id)
