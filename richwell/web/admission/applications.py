"""Admission staff: one application, its documents, and the complete/incomplete verdict."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user
from wtforms import RadioField, TextAreaField

from richwell.services import admissions
from richwell.services.platform.errors import DomainError
from richwell.web.admission.blueprint import bp
from richwell.web.forms import PortalForm, apply_errors
from richwell.web.htmx import render


class ReviewForm(PortalForm):
    status = RadioField("Documents are", choices={"COMPLETE": "Complete", "INCOMPLETE": "Incomplete"},
                        validate_choice=False)
    note = TextAreaField("Note to the student (required when incomplete)", render_kw={"rows": 3, "maxlength": 2000})


def _page(student_id: int, form: ReviewForm | None = None, status: int = 200, saved: bool = False):
    student = admissions.get_application(current_user._get_current_object(), student_id)
    review = admissions.review_of(student.id)
    if form is None:
        form = ReviewForm(formdata=None)
        if review is not None:
            form.status.data = review.documents_status if review.documents_status != "PENDING" else None
            form.note.data = review.note
    return render("admission/application.html", "admission/_review.html", status=status, student=student,
                  review=review, documents=admissions.documents_of(student.id), form=form, saved=saved)


@bp.get("/applications/<int:student_id>")
def application(student_id: int):
    return _page(student_id)


@bp.post("/applications/<int:student_id>/review")
def review(student_id: int):
    form = ReviewForm()
    form.validate()
    try:
        admissions.review_documents(current_user._get_current_object(), student_id, form.status.data, form.note.data)
    except DomainError as error:
        if error.status == 404:
            raise
        if not apply_errors(form, error):
            form.note.errors = [error.message]
        return _page(student_id, form, status=422)
    if request.headers.get("HX-Request") == "true":
        return _page(student_id, saved=True)
    flash("Review saved; the student has been notified.", "success")
    return redirect(url_for("admission.application", student_id=student_id))
