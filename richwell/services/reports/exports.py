"""Reports as pages, CSV and XLSX, and large exports built on the queue.

Spreadsheet safety: a cell a person typed (a name, a reason, a reference) that starts with
= + - @, a tab or a carriage return would run as a formula in Excel or LibreOffice; it gets a
leading apostrophe (the end-of-day CSV's guard, kept here once). In XLSX every text cell is
written with write_string, never as a formula. Numbers and dates are written as numbers.

Small downloads stream; more than REPORT_QUEUE_ROWS rows go to the queue: an export row
records progress, the file lands in EXPORT_FOLDER, and the link works for its requester
only, until 24 hours after it is ready (anyone else, or later, gets 404).
"""
from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from flask import current_app
from sqlalchemy import func, select, update

from richwell.extensions import db
from richwell.models import ExportStatus, ReportExport, User
from richwell.services.platform import clock, wording
from richwell.services.platform.errors import NotFound, ValidationError
from richwell.services.platform.unit_of_work import queue_task, unit_of_work

from .access import require_report
from .catalog import REPORTS, Report
from .filters import Filters, parse

PAGE_ROWS = 200
LINK_LIFETIME = timedelta(hours=24)
CHUNK_ROWS = 2000
FORMATS = ("csv", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + text if text[:1] in _FORMULA_START else text


@dataclass
class ReportPage:
    report: Report
    filters: Filters
    total: int
    rows: list[Mapping[str, Any]]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def report(name: str) -> Report:
    found = REPORTS.get(name)
    if found is None:
        raise NotFound("There is no such report.")
    return found


def run_page(actor: User, name: str, raw: Mapping[str, Any]) -> ReportPage:
    """The first PAGE_ROWS rows and the count (two statements)."""
    chosen = report(name)
    require_report(actor, name)
    filters = parse(raw)
    stmt = chosen.build(filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows: list[Mapping[str, Any]] = [dict(r._mapping) for r in db.session.execute(stmt.limit(PAGE_ROWS))]
    return ReportPage(chosen, filters, int(total), rows)


def count_rows(chosen: Report, filters: Filters) -> int:
    stmt = chosen.build(filters)
    return int(db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def _rows(chosen: Report, filters: Filters) -> Iterator[Mapping[str, Any]]:
    result = db.session.execute(chosen.build(filters).execution_options(yield_per=1000))
    for row in result:
        yield dict(row._mapping)


def _cell_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "money":
        return f"{Decimal(value):.2f}"
    if kind == "status":
        return wording.status_label(value)
    if isinstance(value, datetime):
        return clock.to_manila(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def csv_chunks(chosen: Report, filters: Filters, rows: Iterable[Mapping[str, Any]] | None = None) -> Iterator[str]:
    """The CSV text in chunks of about a thousand rows (streams without holding the report)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.label for c in chosen.columns])
    for i, row in enumerate(rows if rows is not None else _rows(chosen, filters), 1):
        writer.writerow([_cell_text(row[c.key], c.kind) for c in chosen.columns])
        if i % 1000 == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def write_xlsx(chosen: Report, filters: Filters, target: Any,
               rows: Iterable[Mapping[str, Any]] | None = None) -> int:
    """Write the report as XLSX to `target` (a path or a binary file); returns the rows written.
    constant_memory keeps one row in memory at a time."""
    book = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False,
                                        "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    sheet = book.add_worksheet(chosen.title[:31])
    bold, money, when = (book.add_format({"bold": True}), book.add_format({"num_format": "#,##0.00"}),
                         book.add_format({"num_format": "yyyy-mm-dd hh:mm"}))
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for col, column in enumerate(chosen.columns):
        sheet.write_string(0, col, column.label, bold)
    count = 0
    for count, row in enumerate(rows if rows is not None else _rows(chosen, filters), 1):
        for col, column in enumerate(chosen.columns):
            _write_cell(sheet, count, col, row[column.key], column.kind, money, when, day)
    book.close()
    return count


def _write_cell(sheet: Any, r: int, c: int, value: Any, kind: str, money: Any, when: Any, day: Any) -> None:
    if value is None:
        sheet.write_blank(r, c, None)
    elif kind == "money":
        sheet.write_number(r, c, float(Decimal(value)), money)
    elif kind == "int" and isinstance(value, int):
        sheet.write_number(r, c, value)
    elif kind == "status":
        sheet.write_string(r, c, wording.status_label(value))
    elif isinstance(value, datetime):
        sheet.write_datetime(r, c, clock.to_manila(value).replace(tzinfo=None), when)
    elif isinstance(value, date):
        sheet.write_datetime(r, c, datetime.combine(value, datetime.min.time()), day)
    else:
        sheet.write_string(r, c, neutralise(str(value)))


def xlsx_bytes(chosen: Report, filters: Filters) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(chosen, filters, buffer)
    return buffer.getvalue()


@dataclass
class Download:
    """What a download request became: streamed now (`report` and `filters`) or queued (`export`)."""

    report: Report
    filters: Filters
    file_format: str
    export: ReportExport | None = None


def request_download(actor: User, name: str, raw: Mapping[str, Any], file_format: str) -> Download:
    """Stream a small report; queue a large one (a new export row, built after the commit)."""
    chosen = report(name)
    require_report(actor, name)
    if file_format not in FORMATS:
        raise ValidationError("Choose CSV or XLSX.", field="format")
    filters = parse(raw)
    total = count_rows(chosen, filters)
    if total <= current_app.config["REPORT_QUEUE_ROWS"]:
        return Download(chosen, filters, file_format)
    with unit_of_work():
        export = ReportExport(requester_id=actor.id, report=name, params=filters.as_params(),
                              file_format=file_format, total=total, token=secrets.token_urlsafe(32))
        db.session.add(export)
        db.session.flush()
        queue_task("build_report_export", export.id)
    return Download(chosen, filters, file_format, export)


def _folder() -> Path:
    folder = Path(current_app.config["EXPORT_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _progress(export_id: int, done: int) -> None:
    with unit_of_work():
        db.session.execute(update(ReportExport).where(ReportExport.id == export_id).values(done=done))


def _chunked(chosen: Report, filters: Filters, export_id: int) -> Iterator[Mapping[str, Any]]:
    """Every row, read CHUNK_ROWS at a time; progress is committed between chunks (never while a
    cursor is open), so the requester's page sees it move."""
    stmt, offset = chosen.build(filters), 0
    while True:
        rows = db.session.execute(stmt.limit(CHUNK_ROWS).offset(offset)).all()
        yield from (dict(row._mapping) for row in rows)
        offset += len(rows)
        if len(rows) < CHUNK_ROWS:
            return
        _progress(export_id, offset)


def build_export(export_id: int) -> str | None:
    """The queued task's body: write the file, with progress after each chunk. Safe to repeat
    (a finished export is left alone; an unfinished one is written again from the start)."""
    export = db.session.get(ReportExport, export_id)
    if export is None or export.status == ExportStatus.DONE.value:
        return None
    chosen, filters = REPORTS[export.report], parse(export.params)
    with unit_of_work():
        export.status, export.done = ExportStatus.RUNNING.value, 0
    stored = f"{export.id}-{secrets.token_hex(8)}.{export.file_format}"
    path = _folder() / stored
    rows = _chunked(chosen, filters, export_id)
    if export.file_format == "xlsx":
        written = write_xlsx(chosen, filters, str(path), rows)
    else:
        written = 0
        with path.open("w", encoding="utf-8", newline="") as handle:
            def counted() -> Iterator[Mapping[str, Any]]:
                nonlocal written
                for written, row in enumerate(rows, 1):  # noqa: B007 - the count is the point
                    yield row
            for chunk in csv_chunks(chosen, filters, counted()):
                handle.write(chunk)
    finished = clock.now()
    with unit_of_work():
        export = db.session.get_one(ReportExport, export_id)
        export.status, export.done, export.total = ExportStatus.DONE.value, written, written
        export.stored_name, export.finished_at, export.expires_at = stored, finished, finished + LINK_LIFETIME
    return stored


def get_export(actor: User, export_id: int) -> ReportExport:
    """An export its requester is watching; anyone else gets 404 (its existence is not told)."""
    export = db.session.get(ReportExport, export_id)
    if export is None or export.requester_id != actor.id:
        raise NotFound("There is no such export.")
    return export


def export_file(actor: User, export_id: int, token: str) -> tuple[Path, str]:
    """The file of a finished export for its requester with the link's token, before expiry."""
    export = get_export(actor, export_id)
    if (not secrets.compare_digest(export.token, token or "") or export.status != ExportStatus.DONE.value
            or export.expires_at is None or export.expires_at <= clock.now() or not export.stored_name):
        raise NotFound("This download link has expired or is not yours.")
    path = _folder() / export.stored_name
    if not path.is_file():
        raise NotFound("This download link has expired or is not yours.")
    return path, f"{export.report}-{export.created_at.date().isoformat()}.{export.file_format}"
