"""Dashboards per role: numbers that link to the list behind them, charts as SVG."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from richwell.models import Exam, PaymentMethod
from richwell.services import reports
from richwell.web.charts import bar_chart
from richwell.web.filters import peso
from richwell.web.reports.blueprint import bp


def _actor():
    return current_user._get_current_object()


@bp.get("/dashboard")
def dashboard():
    """The signed-in person's own dashboard."""
    name = reports.HOME_DASHBOARD.get(current_user.role)
    if name is None:
        abort(404)
    return redirect(url_for(f"reports.{name}_dashboard"))


@bp.get("/dashboard/registrar")
def registrar_dashboard():
    board = reports.registrar_dashboard(_actor())
    term_id = board.term.id if board.term else None
    totals = board.funnel_totals
    funnel = bar_chart("Enrollment funnel", [
        (label, totals[stage], f"{totals[stage]:,}", url_for("reports.report_page", name="enrollment",
                                                             term_id=term_id, stage=stage))
        for stage, label in (("applied", "Applied"), ("paid", "Month 1 paid"), ("enrolled", "Enrolled in subjects"),
                             ("attending", "Attending"))], "students")
    fill = bar_chart("Section fill", [
        (s.code, s.percent, f"{s.percent}% ({s.students}/{s.capacity})",
         url_for("reports.report_page", name="rosters", term_id=term_id, section_id=s.section_id))
        for s in board.fullest + [e for e in board.emptiest if e not in board.fullest]], "percent of capacity")
    return render_template("reports/dashboard_registrar.html", board=board, funnel=funnel, fill=fill)


@bp.get("/dashboard/finance")
def finance_dashboard():
    exam = request.args.get("exam") if request.args.get("exam") in {e.value for e in Exam} else None
    board = reports.finance_dashboard(_actor(), exam)
    days = bar_chart("Collections per day this term", [
        (d.strftime("%b %d"), v, peso(v), url_for("reports.report_page", name="payments", date_from=d.isoformat(),
                                                   date_to=d.isoformat()))
        for d, v in board.by_day[-14:]], "last 14 days with payments, net of reversals")
    aging = bar_chart("Receivables aging", [
        (reports.BUCKET_LABELS[b], board.aging.totals[b], peso(board.aging.totals[b]),
         url_for("reports.report_page", name="aging")) for b in reports.BUCKETS], "pesos owed")
    return render_template("reports/dashboard_finance.html", board=board, days=days, aging=aging,
                           methods=list(PaymentMethod), exams=list(Exam), buckets=reports.BUCKETS,
                           bucket_labels=reports.BUCKET_LABELS)


@bp.get("/dashboard/admission")
def admission_dashboard():
    board = reports.admission_dashboard(_actor())
    per_day = bar_chart("Applications per day", [
        (d.strftime("%b %d"), n, str(n), None) for d, n in board.per_day[-14:]], "last 14 days")
    backlog = bar_chart("Review backlog by age", [(k, v, str(v), None) for k, v in board.backlog_by_age.items()],
                        "applications waiting")
    return render_template("reports/dashboard_admission.html", board=board, per_day=per_day, backlog=backlog)


@bp.get("/dashboard/admin")
def admin_dashboard():
    board = reports.admin_dashboard(_actor())
    users = bar_chart("Active accounts per role", [(label, active, str(active), None)
                                                    for label, active, _ in board.users_by_role], "accounts")
    return render_template("reports/dashboard_admin.html", board=board, users=users)
