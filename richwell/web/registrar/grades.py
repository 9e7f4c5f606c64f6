"""Registrar: the queue of submitted grade sheets, review and finalization (one or several),
reopening for late entry, change-request approvals, grade histories and transcripts."""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, request, url_for
from flask_login import current_user

from richwell.models import ChangeRequestStatus, Role
from richwell.services import grades
from richwell.services.platform.errors import DomainError
from richwell.web import confirm
from richwell.web import transcripts as transcript_pages
from richwell.web.forms import PortalForm, search_text
from richwell.web.htmx import render
from richwell.web.registrar.blueprint import bp


class ActionForm(PortalForm):
    """CSRF only; values are read from the request."""


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip()[:10])
    except ValueError:
        return None


@bp.get("/grades")
def grade_queue():
    q = search_text("q", 100)
    return render("registrar/grade_queue.html", submitted=grades.sheets_with_status("SUBMITTED"),
                  closed=grades.open_past_deadline(), q=q, found=grades.search_students(q) if q else [],
                  pending=len(grades.requests_for(current_user)), form=ActionForm())


@bp.post("/grades/finalize")
def finalize_grades():
    if not ActionForm().validate_on_submit():
        flash("The form expired; reload the page and try again.", "error")
        return redirect(url_for("registrar.grade_queue"))
    ids = [int(v) for v in request.form.getlist("offering_id") if v.isascii() and v.isdigit() and len(v) < 12]
    if ids and not confirm.confirmed("grades.finalize", "sheets"):
        what = "1 class" if len(ids) == 1 else f"{len(ids)} classes"
        return confirm.ask("grades.finalize", "sheets", url_for("registrar.grade_queue"), what=what)
    try:
        students = grades.finalize(current_user, ids)
    except DomainError as error:
        flash(error.message, "error")
        back = request.form.get("back")
        if back == "review" and len(ids) == 1:
            return redirect(url_for("registrar.grade_review", offering_id=ids[0]))
        return redirect(url_for("registrar.grade_queue"))
    flash(f"Grades posted for {len(ids)} class{'es' if len(ids) != 1 else ''} "
          f"({len(students)} student{'s' if len(students) != 1 else ''} notified).", "success")
    return redirect(url_for("registrar.grade_queue"))


def _review_context(offering_id: int, **extra) -> dict:
    view = grades.grade_sheet(current_user, offering_id)
    context = {"offering": view.offering, "rows": view.rows, "sheet": view.sheet, "sheet_state": view.status,
               "closes": view.closes, "summary": view.summary, "chart": view.chart, "form": ActionForm(),
               "reopen_error": None, "reopen_reason": "", "reopen_until": ""}
    context.update(extra)
    return context


@bp.get("/grades/classes/<int:offering_id>")
def grade_review(offering_id: int):
    return render("registrar/grade_review.html", **_review_context(offering_id))


@bp.post("/grades/classes/<int:offering_id>/reopen")
def reopen_grades(offering_id: int):
    if not ActionForm().validate_on_submit():
        flash("The form expired; reload the page and try again.", "error")
        return redirect(url_for("registrar.grade_review", offering_id=offering_id))
    reason, until = request.form.get("reason", ""), request.form.get("until", "")
    try:
        grades.reopen_sheet(current_user, offering_id, reason, _date(until))
    except DomainError as error:
        field = next(iter(error.fields), None)
        return render("registrar/grade_review.html", status=error.status,
                      **_review_context(offering_id, reopen_error=(field, error.message),
                                        reopen_reason=reason[:1000], reopen_until=until[:10]))
    flash("The class is open for late entry; the professor can enter and submit grades again.", "success")
    return redirect(url_for("registrar.grade_review", offering_id=offering_id))


@bp.get("/grades/requests")
def grade_requests():
    pending = grades.requests_for(current_user)
    mine_to_decide = [r for r in pending if grades.may_decide(current_user, r) is None]
    head_only = [r for r in mine_to_decide if r.needs_head]
    others = [r for r in mine_to_decide if not r.needs_head]
    waiting = [r for r in pending if r not in mine_to_decide]
    recent = (grades.requests_for(current_user, ChangeRequestStatus.APPROVED.value)[:10]
              + grades.requests_for(current_user, ChangeRequestStatus.REJECTED.value)[:10])
    recent.sort(key=lambda r: r.decided_at or r.requested_at, reverse=True)  # decided ones carry decided_at
    return render("registrar/grade_requests.html", head_only=head_only, others=others, waiting=waiting,
                  recent=recent[:10], form=ActionForm(), is_head=current_user.role == Role.HEAD_REGISTRAR.value,
                  reason_for=lambda r: grades.may_decide(current_user, r))


@bp.post("/grades/requests/<int:request_id>/decide")
def decide_grade_request(request_id: int):
    if not ActionForm().validate_on_submit():
        flash("The form expired; reload the page and try again.", "error")
        return redirect(url_for("registrar.grade_requests"))
    decision = request.form.get("decision")
    if decision not in ("approve", "reject"):
        flash("Choose approve or reject.", "error")
        return redirect(url_for("registrar.grade_requests"))
    try:
        grades.decide_change(current_user, request_id, decision == "approve", request.form.get("note", ""))
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("registrar.grade_requests"))
    flash("Change approved; the student was notified." if decision == "approve" else "Request rejected.",
          "success")
    return redirect(url_for("registrar.grade_requests"))


@bp.get("/grades/students/<int:student_id>")
def student_grades(student_id: int):
    student = grades.get_student(current_user, student_id)
    record = grades.student_record(current_user, student.id)
    histories = {g.enrollment.id: grades.history(g.enrollment.id) for _, rows in record for g in rows}
    pending = {r.subject_enrollment_id: r for r in grades.requests_for(current_user)}
    return render("registrar/student_grades.html", student=student, record=record, histories=histories,
                  pending=pending, term_gpas=grades.term_gpas(current_user, student.id), form=ActionForm(),
                  numeric=grades.NUMERIC_GRADES, issued=grades.issued_for(current_user, student.id))


@bp.post("/grades/enrollments/<int:se_id>/change")
def request_grade_change(se_id: int):
    student_id = request.form.get("student_id", type=int)
    back = (url_for("registrar.student_grades", student_id=student_id) if student_id
            else url_for("registrar.grade_requests"))
    if not ActionForm().validate_on_submit():
        flash("The form expired; reload the page and try again.", "error")
        return redirect(back)
    try:
        change = grades.request_change(current_user, se_id, request.form.get("new_value"),
                                       request.form.get("reason", ""))
    except DomainError as error:
        flash(error.message, "error")
        return redirect(back)
    flash(f"Change request {change.old_value} → {change.new_value} filed; the head registrar approves it.",
          "success")
    return redirect(back)


@bp.get("/grades/students/<int:student_id>/transcript")
def student_transcript(student_id: int):
    student = grades.get_student(current_user, student_id)
    return render("registrar/transcript.html", student=student, record=grades.build_record(current_user, student.id),
                  issued=grades.issued_for(current_user, student.id), form=ActionForm())


@bp.post("/grades/students/<int:student_id>/transcript")
def issue_transcript(student_id: int):
    if not ActionForm().validate_on_submit():
        flash("The form expired; reload the page and try again.", "error")
        return redirect(url_for("registrar.student_transcript", student_id=student_id))
    transcript = grades.issue_transcript(current_user, student_id)
    flash(f"Transcript issued with verification code {transcript.code}.", "success")
    return redirect(url_for("registrar.transcript", transcript_id=transcript.id))


@bp.get("/transcripts/<int:transcript_id>")
def transcript(transcript_id: int):
    issued = grades.get_transcript(current_user, transcript_id)
    return transcript_pages.transcript_page(
        issued, url_for("registrar.transcript_pdf", transcript_id=issued.id),
        url_for("registrar.student_transcript", student_id=issued.student_id))


@bp.get("/transcripts/<int:transcript_id>.pdf")
def transcript_pdf(transcript_id: int):
    return transcript_pages.transcript_pdf(grades.get_transcript(current_user, transcript_id))
