"""Jinja filters: pesos, Manila times, class times, grades."""
from __future__ import annotations

from datetime import date, datetime

from richwell.services.platform import wording
from richwell.services.platform.clock import to_manila


def peso(value) -> str:
    """The one money format (services/platform/wording.py), so pages, notifications and error
    messages read the same: ₱, a non-breaking space, a real minus sign."""
    return wording.peso(value)


def manila(value, fmt: str = "%b %d, %Y %I:%M %p") -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        local = to_manila(value)
        return local.strftime(fmt) if local else "—"
    if isinstance(value, date):
        return value.strftime("%b %d, %Y")
    return str(value)


def register(app) -> None:
    from richwell.web import schedule_grid
    from richwell.web.forms import search_error

    app.add_template_filter(peso, "peso")
    app.add_template_filter(manila, "manila")
    app.add_template_filter(wording.status_label, "status_label")
    app.add_template_filter(wording.status_kind, "status_kind")
    app.add_template_filter(schedule_grid.clock_label, "clock")
    app.add_template_global(schedule_grid.layout, "weekly_grid_layout")
    app.add_template_global(search_error, "search_error")
