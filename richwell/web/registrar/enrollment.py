"""Registrar: enroll any student (the picker with capacity and conflict overrides), their
Certificate of Registration, and class rosters (print and CSV)."""
from __future__ import annotations

from flask import abort, render_template, url_for
from flask_login import current_user

from richwell.models import Role
from richwell.services.enrollment import classes, find_students, registration
from richwell.services.enrollment import registration_pdf as enrollment_pdf
from richwell.services.platform.errors import NotFound
from richwell.web import rosters as roster_views
from richwell.web.forms import search_text
from richwell.web.papers import pdf_response
from richwell.web.picker import Picker, grid_entries
from richwell.web.registrar.blueprint import bp

picker = Picker(bp, Role.REGISTRAR.value, "registrar/enrollment.html", "registrar.enrollment")


@bp.get("/enrollment")
def enrollment_search():
    q = search_text("q", 100)
    return render_template("enrollment/find_student.html", q=q, students=find_students(q, current_user),
                           page_endpoint="registrar.enrollment", search_endpoint="registrar.enrollment_search",
                           heading="Enroll a student")


@bp.get("/enrollments/<int:te_id>")
def enrollment(te_id: int):
    return picker.page(te_id)


@bp.get("/enrollments/<int:te_id>/registration")
def registration_form(te_id: int):
    try:
        cor = registration(te_id, current_user._get_current_object())
    except NotFound:
        abort(404)
    return render_template("enrollment/cor.html", cor=cor, entries=grid_entries(cor.timetable),
                           back_url=url_for("registrar.enrollment", te_id=te_id),
                           pdf_url=url_for("registrar.registration_pdf", te_id=te_id))


@bp.get("/enrollments/<int:te_id>/registration.pdf")
def registration_pdf(te_id: int):
    try:
        cor = registration(te_id, current_user._get_current_object())
    except NotFound:
        abort(404)
    return pdf_response(enrollment_pdf(cor), f"COR-{cor.student_number}.pdf")


@bp.get("/rosters")
def class_rosters():
    q = search_text("q", 100)
    return render_template("enrollment/classes.html", q=q, lines=classes(current_user, q), prefix="registrar")


@bp.get("/rosters/<int:offering_id>")
def class_roster(offering_id: int):
    return roster_views.roster_page(offering_id, "registrar")


@bp.get("/rosters/<int:offering_id>.csv")
def class_roster_csv(offering_id: int):
    return roster_views.roster_csv(offering_id)
