"""Jinja filters: pesos, Manila times, class times, grades."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from richwell.services.platform.clock import to_manila


def peso(value) -> str:
    if value is None:
        return "—"
    amount = Decimal(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}₱{abs(amount):,.2f}"


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
    app.add_template_filter(schedule_grid.clock_label, "clock")
    app.add_template_global(schedule_grid.layout, "weekly_grid_layout")
    app.add_template_global(search_error, "search_error")
