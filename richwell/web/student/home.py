"""Student home: profile, the current term's enrollment and installment plan, the admission
review, documents, credits and recent notifications; continuing students open the term here."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import StringField

from richwell.models import DocumentKind
from richwell.services import admissions
from richwell.services.platform import notifications
from richwell.services.platform.errors import DomainError
from richwell.web.forms import PortalForm, apply_errors
from richwell.web.htmx import render
from richwell.web.public import ACCEPT
from richwell.web.student.blueprint import bp


class OpenEnrollmentForm(PortalForm):
    monthly_commitment = StringField("Monthly installment (PHP)", render_kw={"inputmode": "decimal", "maxlength": 20})


class DocumentsForm(PortalForm):
    id_document = FileField(DocumentKind.ID.label, render_kw={"accept": ACCEPT})
    form138_document = FileField(DocumentKind.FORM138_OR_TOR.label, render_kw={"accept": ACCEPT})
    good_moral_document = FileField(DocumentKind.GOOD_MORAL.label, render_kw={"accept": ACCEPT})


def _page(open_form: OpenEnrollmentForm | None = None, documents_form: DocumentsForm | None = None,
          status: int = 200, just_opened: bool = False):
    user = current_user._get_current_object()
    home = admissions.home_of(user)
    if open_form is None:
        open_form = OpenEnrollmentForm(formdata=None)
        if home is not None:
            open_form.monthly_commitment.data = f"{home.suggested_commitment:.2f}"
    recent = notifications.recent_for(user.id, 5)
    return render("student/home.html", "student/_term_enrollment.html", status=status, home=home,
                  open_form=open_form, documents_form=documents_form or DocumentsForm(formdata=None),
                  recent=recent, just_opened=just_opened)


@bp.get("/")
def home():
    return _page()


@bp.post("/enrollment/open")
def open_enrollment():
    """A continuing student opens this term's enrollment, confirming the monthly commitment."""
    form = OpenEnrollmentForm()
    form.validate()
    try:
        enrollment = admissions.open_own_enrollment(current_user._get_current_object(), form.monthly_commitment.data)
    except DomainError as error:
        if not apply_errors(form, error):
            form.monthly_commitment.errors = [error.message]
        return _page(open_form=form, status=422)
    if request.headers.get("HX-Request") == "true":
        return _page(just_opened=True)
    flash(f"Your enrollment for {enrollment.term.name} is open. Pay month 1 at the cashier to pick subjects.",
          "success")
    return redirect(url_for("student.home"))


@bp.post("/documents")
def upload_documents():
    """The student hands in missing or clearer documents."""
    form = DocumentsForm()
    form.validate()
    attached = [(kind, form[name].data.filename, form[name].data.stream)
                for kind, name in admissions.DOCUMENT_FIELDS.items()
                if form[name].data is not None and getattr(form[name].data, "filename", None)]
    try:
        admissions.replace_documents(current_user._get_current_object(), attached)
    except DomainError as error:
        if not apply_errors(form, error):
            flash(error.message, "error")
        return _page(documents_form=form, status=400)
    flash("Thank you. Admissions will review your documents.", "success")
    return redirect(url_for("student.home"))
