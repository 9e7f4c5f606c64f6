"""Cashier terminal: find a student as you type (number prefix or any name part)."""
from __future__ import annotations

from flask import redirect, url_for

from richwell.services import finance
from richwell.web.cashier.blueprint import bp
from richwell.web.forms import search_text
from richwell.web.htmx import render


def _query() -> str:
    return search_text("q", 60)


@bp.get("/")
def home():
    """The terminal: the search box (focused on load); without JavaScript `?q=` lists hits."""
    q = _query()
    hits = finance.search_students(q) if q else []
    return render("cashier/terminal.html", q=q, hits=hits, panel=None)


@bp.get("/search")
def search():
    """Live search results (HTMX partial); a plain request gets the terminal page."""
    q = _query()
    return render("cashier/terminal.html", "cashier/_results.html", q=q,
                  hits=finance.search_students(q) if q else [], panel=None)


@bp.get("/pick")
def pick():
    """Enter in the search box without JavaScript: open the first hit."""
    q = _query()
    hits = finance.search_students(q) if q else []
    if hits:
        return redirect(url_for("cashier.student", student_id=hits[0].student_id))
    return render("cashier/terminal.html", q=q, hits=hits, panel=None)
