"""Professor: check a student's exam permit code at the exam room door."""
from __future__ import annotations

from flask import render_template, request

from richwell.services import grades
from richwell.web.forms import search_text
from richwell.web.professor.blueprint import bp


@bp.get("/verify-permit")
def verify_permit():
    code = search_text("code", 40)
    return render_template("verify/staff.html", code=code, result=grades.verify(code) if code else None,
                           action=request.path)
