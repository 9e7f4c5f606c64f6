"""Professor: rosters of their own classes only (print and CSV); another class is 404."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from richwell.services.enrollment import classes
from richwell.web import rosters as roster_views
from richwell.web.professor.blueprint import bp


@bp.get("/rosters")
def class_rosters():
    return render_template("enrollment/classes.html", q="", lines=classes(current_user), prefix="professor")


@bp.get("/rosters/<int:offering_id>")
def class_roster(offering_id: int):
    return roster_views.roster_page(offering_id, "professor")


@bp.get("/rosters/<int:offering_id>.csv")
def class_roster_csv(offering_id: int):
    return roster_views.roster_csv(offering_id)
