"""Cashier end-of-day: the day's payments and reversals by method and by cashier, printable and CSV."""
from __future__ import annotations

import csv
import io
from datetime import date

from flask import Response, render_template, request

from richwell.services import finance
from richwell.services.platform import clock
from richwell.services.platform.clock import MANILA
from richwell.web.cashier.blueprint import bp


def _day() -> tuple[date, str | None]:
    raw = (request.args.get("day") or "").strip()
    if not raw:
        return clock.today(), None
    try:
        return date.fromisoformat(raw[:10]), None
    except ValueError:
        return clock.today(), "That is not a date; showing today."


@bp.get("/end-of-day")
def end_of_day():
    day, problem = _day()
    summary = finance.end_of_day(day)
    if request.args.get("format") == "csv":
        return _csv(summary)
    return render_template("cashier/end_of_day.html", summary=summary, problem=problem), (400 if problem else 200)


def _csv(summary: finance.DaySummary) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time", "kind", "receipt", "reverses", "student_number", "student", "amount", "method",
                     "reference", "cashier", "reason"])
    for p in summary.rows:
        student = p.enrollment.student
        writer.writerow([
            p.created_at.astimezone(MANILA).strftime("%Y-%m-%d %H:%M:%S"), p.kind,
            p.receipt_number or "", p.reverses.receipt_number if p.reverses else "", student.student_number,
            _safe(student.user.full_name), f"{p.amount:.2f}", p.method, _safe(p.reference_number or ""),
            _safe(p.cashier.full_name), _safe(p.reason or "")])
    writer.writerow([])
    writer.writerow(["total", "", "", "", "", "", f"{summary.total.net:.2f}", "", "", "", ""])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="end-of-day-{summary.day.isoformat()}.csv"'
    return response


def _safe(text: str) -> str:
    # Spreadsheets run cells that start with = + - @ as formulas; names and reasons are typed by people.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
