"""Administrator home page."""
from flask import render_template

from richwell.web.admin.blueprint import bp


@bp.get("/")
def home():
    return render_template("admin/home.html")
