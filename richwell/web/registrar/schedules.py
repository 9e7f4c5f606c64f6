"""Registrar: weekly grids per section, professor or room (HTMX fragments), and the
term's schedule conflicts."""
from __future__ import annotations

from typing import Any

from flask import render_template, request

from richwell.extensions import db
from richwell.models import Role, Section, User
from richwell.services import academics
from richwell.services.platform.errors import NotFound
from richwell.web import htmx
from richwell.web.forms import search_text
from richwell.web.registrar.blueprint import bp


def _term():
    term_id = request.args.get("term_id", type=int)
    if term_id:
        return academics.get_term(term_id)
    return academics.current_term()


@bp.get("/schedules")
def schedules():
    """One URL for every grid: ?section_id=, ?professor_id= or ?room= within ?term_id=."""
    term = _term()
    section_id = request.args.get("section_id", type=int)
    professor_id = request.args.get("professor_id", type=int)
    room = search_text("room", 40)
    entries, caption = [], None
    if term is not None and section_id:
        section = db.session.get(Section, section_id)
        if section is None or section.term_id != term.id:
            raise NotFound("That section does not exist in this term.")
        entries, caption = academics.section_entries(section.id), f"{section.code} · {term.name}"
    elif term is not None and professor_id:
        professor = db.session.get(User, professor_id)
        if professor is None or professor.role != Role.PROFESSOR.value:
            raise NotFound("That professor does not exist.")
        entries, caption = academics.professor_entries(term.id, professor.id), f"{professor.full_name} · {term.name}"
    elif term is not None and room:
        entries = academics.room_entries(term.id, room)
        caption = f"Room {academics.normalize_room(room) or room} · {term.name}"
    choices: dict[str, Any] = {}  # template context
    if term is not None and not htmx.is_partial_request():
        choices = {"sections": [s.section for s in academics.list_sections(term.id)],
                   "professors": academics.list_professors(), "rooms": academics.rooms_in_term(term.id)}
    return htmx.render("registrar/schedules.html", "registrar/_grid.html", term=term, all_terms=academics.list_terms(),
                       entries=entries, caption=caption, section_id=section_id, professor_id=professor_id,
                       room=room, **choices)


@bp.get("/schedules/conflicts")
def schedule_conflicts():
    term = _term()
    found = academics.open_conflicts(term.id) if term else []
    return render_template("registrar/conflicts.html", term=term, all_terms=academics.list_terms(), conflicts=found)
