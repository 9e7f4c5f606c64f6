"""Student: the subject picker, the weekly schedule and the Certificate of Registration."""
from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_login import current_user

from richwell.models import Role
from richwell.services.enrollment import current_enrollment_id, registration, registration_pdf
from richwell.services.platform.errors import NotFound
from richwell.web.papers import pdf_response
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


def _chosen_registration():
    """The COR of `?enrollment=<id>` (an earlier term; another student's is 404) or of the
    current term."""
    chosen = request.args.get("enrollment")
    te_id = chosen if chosen else current_enrollment_id(current_user.id)
    if not te_id:
        return None
    try:
        return registration(te_id, current_user._get_current_object())
    except NotFound:
        abort(404)


@bp.get("/registration")
def registration_form():
    cor = _chosen_registration()
    return render_template("enrollment/cor.html", cor=cor, entries=grid_entries(cor.timetable) if cor else [],
                           back_url=url_for("student.subjects"),
                           pdf_url=url_for("student.registration_pdf", enrollment=cor.term_enrollment_id)
                           if cor else None)


@bp.get("/registration.pdf", endpoint="registration_pdf")
def registration_pdf_download():
    cor = _chosen_registration()
    if cor is None:
        abort(404)
    return pdf_response(registration_pdf(cor), f"COR-{cor.student_number}.pdf")

