"""Class rosters for the registrar and professor blueprints: printable page and CSV."""
from __future__ import annotations

import csv
import io

from flask import abort, make_response, render_template
from flask_login import current_user

from richwell.services.enrollment import class_roster
from richwell.services.platform.errors import NotFound
from richwell.web.downloads import as_attachment

CSV_HEADER = ["No.", "Student number", "Last name", "First name", "Middle name", "Program", "Year", "Status",
              "Retake", "Irregular"]


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell that starts like a formula: neutralise it.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def roster_page(offering_id: int, prefix: str):
    """The printable roster; `prefix` is the blueprint (registrar or professor)."""
    try:
        roster = class_roster(offering_id, current_user._get_current_object())
    except NotFound:
        abort(404)
    return render_template("enrollment/roster.html", roster=roster, prefix=prefix)


def roster_csv(offering_id: int):
    try:
        roster = class_roster(offering_id, current_user._get_current_object())
    except NotFound:
        abort(404)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for n, s in enumerate(roster.students, start=1):
        writer.writerow([_cell(v) for v in (n, s.student_number, s.last_name, s.first_name, s.middle_name,
                                            s.program_code, s.year_level, s.status,
                                            "yes" if s.is_retake else "", "yes" if s.is_irregular else "")])
    response = make_response(out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    return as_attachment(response, f"roster-{roster.subject_code}-{roster.section_code}.csv")
