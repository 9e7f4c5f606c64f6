"""Cashier: check an exam permit's code."""
from __future__ import annotations

from flask import render_template, request

from richwell.services import grades
from richwell.web.cashier.blueprint import bp
from richwell.web.forms import search_text


@bp.get("/verify-permit")
def verify_permit():
    code = search_text("code", 40)
    return render_template("verify/staff.html", code=code, result=grades.verify(code) if code else None,
                           action=request.path)
