"""Registrar (and head registrar) home page."""
from flask import render_template

from richwell.web.registrar.blueprint import bp


@bp.get("/")
def home():
    return render_template("registrar/home.html")
