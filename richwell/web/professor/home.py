"""Professor home: my classes this term, as a weekly grid and a list."""
from flask import render_template
from flask_login import current_user

from richwell.services import academics
from richwell.web.professor.blueprint import bp


@bp.get("/")
def home():
    term = academics.current_term()
    classes = academics.professor_classes(term.id, current_user.id) if term else []
    entries = academics.professor_entries(term.id, current_user.id) if term else []
    return render_template("professor/home.html", term=term, classes=classes, entries=entries)
