"""Report pages with filters, their CSV/XLSX downloads, and queued exports."""
from __future__ import annotations

from flask import Response, redirect, render_template, request, send_file, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy import select

from richwell.extensions import db
from richwell.models import Exam, PaymentMethod, Program, Role, Section, Term, User
from richwell.services import reports
from richwell.services.platform.errors import ValidationError
from richwell.web.htmx import render
from richwell.web.reports.blueprint import bp


def _actor():
    return current_user._get_current_object()


def _choices() -> dict:
    """The filter lists (a handful of short statements, none per student)."""
    return {
        "terms": db.session.scalars(select(Term).order_by(Term.start_date.desc())).all(),
        "programs": db.session.scalars(select(Program).order_by(Program.code)).all(),
        "sections": db.session.scalars(select(Section).join(Term).where(Term.is_current.is_(True))
                                       .order_by(Section.code)).all(),
        "cashiers": db.session.scalars(select(User).where(User.role.in_([Role.CASHIER.value, Role.ADMIN.value]))
                                       .order_by(User.last_name)).all(),
        "methods": list(PaymentMethod), "exams": list(Exam), "stages": reports.STAGES,
    }


@bp.get("/")
def index():
    names = reports.reports_for(_actor())
    return render_template("reports/index.html", reports=[reports.REPORTS[n] for n in names],
                           dashboards=reports.dashboards_for(_actor()))


@bp.get("/<name>")
def report_page(name: str):
    file_format = request.args.get("format")
    try:
        if file_format:
            return _download(name, file_format)
        page = reports.run_page(_actor(), name, request.args)
    except ValidationError as error:
        chosen = reports.report(name)
        return render_template("reports/report.html", report=chosen, page=None, error=error, args=request.args,
                               **_choices()), 422
    return render_template("reports/report.html", report=page.report, page=page, error=None, args=request.args,
                           **_choices())


def _download(name: str, file_format: str):
    download = reports.request_download(_actor(), name, request.args, file_format)
    if download.export is not None:
        return redirect(url_for("reports.export_page", export_id=download.export.id))
    filename = f"{name}.{file_format}"
    if file_format == "csv":
        body = stream_with_context(reports.csv_chunks(download.report, download.filters))
        response = Response(body, mimetype="text/csv")
    else:
        response = Response(reports.xlsx_bytes(download.report, download.filters),
                            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/exports/<int:export_id>")
def export_page(export_id: int):
    export = reports.get_export(_actor(), export_id)
    return render("reports/export.html", "reports/_export_progress.html", export=export)


@bp.get("/exports/<int:export_id>/download")
def export_download(export_id: int):
    path, filename = reports.export_file(_actor(), export_id, request.args.get("token", ""))
    return send_file(path, as_attachment=True, download_name=filename)
