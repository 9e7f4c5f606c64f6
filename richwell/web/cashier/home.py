"""Cashier home page."""
from flask import render_template

from richwell.web.cashier.blueprint import bp


@bp.get("/")
def home():
    return render_template("cashier/home.html")
