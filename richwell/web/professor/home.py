"""Professor home page."""
from flask import render_template

from richwell.web.professor.blueprint import bp


@bp.get("/")
def home():
    return render_template("professor/home.html")
