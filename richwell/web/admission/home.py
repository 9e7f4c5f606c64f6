"""Admission staff home page."""
from flask import render_template

from richwell.web.admission.blueprint import bp


@bp.get("/")
def home():
    return render_template("admission/home.html")
