"""Cashier: check an exam permit's code."""
from __future__ import annotations

from flask import render_template, request

from richwell.services import verification
from richwell.web.cashier.blueprint import bp


@bp.get("/verify-permit")
def verify_permit():
    code = (request.args.get("code") or "").strip()[:40]
    return render_template("verify/staff.html", code=code, result=verification.verify(code) if code else None,
                           action=request.path)
