"""Student: months with progress, totals, payment history with receipts, exam permits."""
from __future__ import annotations

import segno
from flask import abort, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from richwell.services import finance
from richwell.services.platform import links
from richwell.services.platform.errors import NotFound
from richwell.web.student.blueprint import bp


@bp.get("/payments")
def payments_page():
    try:
        account = finance.account_for_user(current_user, request.args.get("enrollment", type=int))
    except NotFound:
        abort(404)
    return render_template("student/payments.html", panel=account)


@bp.get("/permits/<int:permit_id>")
def print_permit(permit_id: int):
    """A printable issued permit with a QR code to the public verification page."""
    try:
        permit = finance.permit_for_student(permit_id, current_user)
    except NotFound:
        abort(404)
    verify_url = links.public_url(url_for("public.verify", code=permit.code))
    qr = segno.make(verify_url, error="m").svg_inline(scale=4, border=2, title=f"Verify at {verify_url}")
    return render_template("student/permit.html", permit=permit, verify_url=verify_url, qr=Markup(qr))
