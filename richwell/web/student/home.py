"""Student home page."""
from flask import render_template

from richwell.web.student.blueprint import bp


@bp.get("/")
def home():
    return render_template("student/home.html")
