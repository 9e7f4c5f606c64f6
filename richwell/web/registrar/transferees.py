"""Registrar: create a transferee directly, credit prior subjects, dispute credits; the head
registrar settles disputes."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField

from richwell.models import DocumentKind
from richwell.services import admissions
from richwell.services.platform.errors import DomainError
from richwell.web.forms import PortalForm, apply_errors
from richwell.web.public import ACCEPT
from richwell.web.registrar.blueprint import bp
from richwell.web.registrar.student_records import CreditForm, DisputeForm, profile_page

TRANSFEREE_FIELDS = ("first_name", "middle_name", "last_name", "birthdate", "sex", "email", "mobile", "address",
                     "program_id", "previous_school", "previous_course", "monthly_commitment")


class TransfereeForm(PortalForm):
    first_name = StringField("First name", render_kw={"maxlength": 100})
    middle_name = StringField("Middle name (optional)", render_kw={"maxlength": 100})
    last_name = StringField("Last name", render_kw={"maxlength": 100})
    birthdate = StringField("Birthdate", render_kw={"type": "date"})
    sex = SelectField("Sex", choices={"": "Choose…", "F": "Female", "M": "Male"}, validate_choice=False)
    email = StringField("Email", render_kw={"type": "email", "maxlength": 254})
    mobile = StringField("Mobile number", render_kw={"type": "tel", "maxlength": 20, "placeholder": "09171234567"})
    address = TextAreaField("Home address", render_kw={"rows": 2, "maxlength": 500})
    program_id = SelectField("Program", validate_choice=False)
    previous_school = StringField("Previous school", render_kw={"maxlength": 200})
    previous_course = StringField("Course taken there", render_kw={"maxlength": 200})
    monthly_commitment = StringField("Monthly installment (PHP)", render_kw={"inputmode": "decimal", "maxlength": 20})
    id_document = FileField(f"{DocumentKind.ID.label} (optional)", render_kw={"accept": ACCEPT})
    form138_document = FileField("Transcript of records (optional)", render_kw={"accept": ACCEPT})
    good_moral_document = FileField(f"{DocumentKind.GOOD_MORAL.label} (optional)", render_kw={"accept": ACCEPT})


class SettleForm(PortalForm):
    decision = SelectField("Decision", choices={"ACCEPT": "Accept", "REJECT": "Reject"}, validate_choice=False)
    note = StringField("Note (required to reject)", render_kw={"maxlength": 1000})


def _transferee_form() -> TransfereeForm:
    form = TransfereeForm()
    form.program_id.choices = [("", "Choose a program…")] + [
        (str(p.id), f"{p.code} — {p.name}") for p in admissions.active_programs()]
    return form


@bp.route("/transferees/new", methods=["GET", "POST"])
def new_transferee():
    """The registrar creates a transferee in person; the first password is shown once."""
    form = _transferee_form()
    if request.method == "POST":
        form.validate()
        values = {name: form[name].data for name in TRANSFEREE_FIELDS}
        attached = [(kind, form[name].data.filename, form[name].data.stream)
                    for kind, name in admissions.DOCUMENT_FIELDS.items()
                    if form[name].data is not None and getattr(form[name].data, "filename", None)]
        try:
            admitted = admissions.create_transferee(current_user._get_current_object(), documents=attached, **values)
        except DomainError as error:
            if error.status == 403:
                raise
            if not apply_errors(form, error):
                flash(error.message, "error")
            return render_template("registrar/new_transferee.html", form=form), error.status
        return render_template("registrar/transferee_created.html", admitted=admitted), 201
    return render_template("registrar/new_transferee.html", form=form)


@bp.post("/students/<int:student_id>/credits")
def add_credit(student_id: int):
    form = CreditForm()
    form.validate()
    try:
        credit = admissions.add_credit(
            current_user._get_current_object(), student_id, subject_id=form.subject_id.data,
            source_school=form.source_school.data, original_code=form.original_code.data,
            original_title=form.original_title.data, original_grade=form.original_grade.data,
            units=form.units.data, counted_in_gpa=form.counted_in_gpa.data)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        if not apply_errors(form, error):
            form.subject_id.errors = [error.message]
        return profile_page(student_id, 422, credit_form=form)
    flash(f"{credit.subject.code} credited.", "success")
    return redirect(url_for("registrar.student", student_id=student_id) + "#credits")


@bp.post("/credits/<int:credit_id>/dispute")
def dispute_credit(credit_id: int):
    form = DisputeForm()
    form.validate()
    credit = admissions.get_credit(current_user._get_current_object(), credit_id)
    try:
        admissions.dispute_credit(current_user._get_current_object(), credit_id, form.note.data)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        flash(f"Not disputed: {error.message}", "error")
    else:
        flash(f"The {credit.subject.code} credit is disputed; the head registrar will settle it.", "success")
    return redirect(url_for("registrar.student", student_id=credit.student_id) + "#credits")


@bp.get("/credits/disputed")
def disputed_credits():
    return render_template("registrar/disputed_credits.html",
                           credits=admissions.disputed_credits(current_user._get_current_object()),
                           settle_form=SettleForm(formdata=None))


@bp.post("/credits/<int:credit_id>/settle")
def settle_credit(credit_id: int):
    """Only the head registrar settles (the service refuses anyone else with 403)."""
    form = SettleForm()
    form.validate()
    try:
        credit = admissions.settle_credit(current_user._get_current_object(), credit_id, form.decision.data,
                                       form.note.data)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        flash(f"Not settled: {error.message}", "error")
    else:
        flash(f"The {credit.subject.code} credit of {credit.student.student_number} is {credit.status.lower()}.",
              "success")
    return redirect(url_for("registrar.disputed_credits"))
