"""Student: my grades by term with GPA, INC countdowns and retake hints; my transcript."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from richwell.services import grades
from richwell.services.platform.clock import today
from richwell.web import transcripts as transcript_pages
from richwell.web.forms import PortalForm
from richwell.web.htmx import render
from richwell.web.student.blueprint import bp


class ActionForm(PortalForm):
    """CSRF only."""


def _me():
    student = current_user.student
    if student is None:
        abort(404)
    return student


@bp.get("/grades", endpoint="grades")
def grades_page():
    student = _me()
    return render("student/grades.html", student=student, record=grades.student_record(current_user, student.id),
                  term_gpas=grades.term_gpas(current_user, student.id), today=today())


@bp.get("/transcript")
def transcript():
    student = _me()
    return render("student/transcript.html", student=student, record=grades.build_record(current_user, student.id),
                  issued=grades.issued_for(current_user, student.id), form=ActionForm())


@bp.post("/transcript")
def issue_transcript():
    student = _me()
    if not ActionForm().validate_on_submit():
        flash("The form expired; reload the page and try again.", "error")
        return redirect(url_for("student.transcript"))
    issued = grades.issue_transcript(current_user, student.id)
    return redirect(url_for("student.issued_transcript", transcript_id=issued.id))


@bp.get("/transcripts/<int:transcript_id>")
def issued_transcript(transcript_id: int):
    issued = grades.get_transcript(current_user, transcript_id)
    return transcript_pages.transcript_page(
        issued, url_for("student.issued_transcript_pdf", transcript_id=issued.id), url_for("student.transcript"))


@bp.get("/transcripts/<int:transcript_id>.pdf")
def issued_transcript_pdf(transcript_id: int):
    return transcript_pages.transcript_pdf(grades.get_transcript(current_user, transcript_id))
