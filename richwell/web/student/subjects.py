"""Student: the subject picker, the weekly schedule and the Certificate of Registration."""
from __future__ import annotations

from flask import render_template, url_for
from flask_login import current_user

from richwell.models import Role
from richwell.services.enrollment import current_enrollment_id, registration
from richwell.web.picker import Picker, grid_entries
from richwell.web.student.blueprint import bp

picker = Picker(bp, Role.STUDENT.value, "student/subjects.html", "student.subjects")


@bp.get("/subjects")
def subjects():
    te_id = current_enrollment_id(current_user.id)
    if te_id is None:
        return render_template("student/subjects.html", advice=None)
    return picker.page(te_id)


@bp.get("/schedule")
def schedule():
    te_id = current_enrollment_id(current_user.id)
    cor = registration(te_id, current_user._get_current_object()) if te_id else None
    return render_template("student/schedule.html", cor=cor,
                           entries=grid_entries(cor.timetable) if cor else [])


@bp.get("/registration")
def registration_form():
    te_id = current_enrollment_id(current_user.id)
    cor = registration(te_id, current_user._get_current_object()) if te_id else None
    return render_template("enrollment/cor.html", cor=cor, entries=grid_entries(cor.timetable) if cor else [],
                           back_url=url_for("student.subjects"))
