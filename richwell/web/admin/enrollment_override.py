"""Admin: enroll a student before month 1 is paid (the picker, with a required reason; audited).
Admins cannot reach the registrar pages, so this is their own small page."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from richwell.models import Role
from richwell.services.enrollment import find_students
from richwell.web.admin.blueprint import bp
from richwell.web.forms import search_text
from richwell.web.picker import Picker

picker = Picker(bp, Role.ADMIN.value, "admin/enrollment.html", "admin.enrollment")


@bp.get("/enrollment")
def enrollment_search():
    q = search_text("q", 100)
    return render_template("enrollment/find_student.html", q=q, students=find_students(q, current_user),
                           page_endpoint="admin.enrollment", search_endpoint="admin.enrollment_search",
                           heading="Month-1 override: enroll before the first month is paid")


@bp.get("/enrollments/<int:te_id>")
def enrollment(te_id: int):
    return picker.page(te_id)
