"""Registrar: student search, the student record, profile edits, status and program changes."""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from richwell.services import admissions, documents
from richwell.services.platform import audit_view
from richwell.services.platform.clock import today
from richwell.services.platform.errors import DomainError
from richwell.web.forms import PortalForm, apply_errors, search_text
from richwell.web.htmx import render
from richwell.web.registrar.blueprint import bp

STATUS_LABELS = {"ACTIVE": "Active", "LOA": "Leave of absence", "WITHDRAWN": "Withdrawn", "GRADUATED": "Graduated"}


class ProfileForm(PortalForm):
    first_name = StringField("First name", render_kw={"maxlength": 100})
    middle_name = StringField("Middle name", render_kw={"maxlength": 100})
    last_name = StringField("Last name", render_kw={"maxlength": 100})
    email = StringField("Email", render_kw={"type": "email", "maxlength": 254})
    birthdate = StringField("Birthdate", render_kw={"type": "date"})
    sex = SelectField("Sex", choices={"F": "Female", "M": "Male"}, validate_choice=False)
    mobile = StringField("Mobile number", render_kw={"type": "tel", "maxlength": 20})
    address = TextAreaField("Home address", render_kw={"rows": 2, "maxlength": 500})
    previous_school = StringField("Previous school", render_kw={"maxlength": 200})
    previous_course = StringField("Previous course", render_kw={"maxlength": 200})


class StatusForm(PortalForm):
    to_status = SelectField("New status", choices=dict(STATUS_LABELS), validate_choice=False)
    effective_date = StringField("Effective date", render_kw={"type": "date"})
    reason = TextAreaField("Reason", render_kw={"rows": 2, "maxlength": 1000})


class ProgramForm(PortalForm):
    program_id = SelectField("New program", validate_choice=False)
    reason = TextAreaField("Reason", render_kw={"rows": 2, "maxlength": 1000})


class ConvertForm(PortalForm):
    previous_school = StringField("Previous school", render_kw={"maxlength": 200})
    previous_course = StringField("Previous course", render_kw={"maxlength": 200})


class CreditForm(PortalForm):
    subject_id = SelectField("Our subject", validate_choice=False)
    source_school = StringField("Source school", render_kw={"maxlength": 200})
    original_code = StringField("Original code", render_kw={"maxlength": 30})
    original_title = StringField("Original title", render_kw={"maxlength": 200})
    original_grade = StringField("Original grade", render_kw={"maxlength": 10})
    units = StringField("Units", render_kw={"inputmode": "numeric", "maxlength": 1})
    counted_in_gpa = BooleanField("Count in the GPA")


class DisputeForm(PortalForm):
    note = StringField("Why is it disputed?", render_kw={"maxlength": 1000})


def profile_page(student_id: int, status: int = 200, **forms):
    """The student record with its action forms; a form passed in carries its errors."""
    record = admissions.record_of(current_user._get_current_object(), student_id)
    student = record.student
    status_form = forms.get("status_form") or StatusForm(formdata=None, effective_date=today().isoformat())
    program_form = forms.get("program_form") or ProgramForm(formdata=None)
    program_form.program_id.choices = [("", "Choose…")] + [
        (str(p.id), f"{p.code} — {p.name}") for p in admissions.active_programs() if p.id != student.program_id]
    credit_form = forms.get("credit_form") or CreditForm(formdata=None, source_school=student.previous_school)
    credit_form.subject_id.choices = [("", "Choose…")] + [
        (str(s.id), f"{s.code} {s.title} ({s.units} u, year {s.year_level})")
        for s in admissions.subjects_for_credit(student)]
    # The hub's audit trail: what happened to the student, their account and their terms.
    targets = [("Student", student.id), ("User", student.user_id)]
    targets += [("TermEnrollment", e.id) for e in record.enrollments]
    return render_template("registrar/student.html", record=record, student=student, status_form=status_form,
                           trail=audit_view.trail(targets),
                           released=documents.releases_of_student(current_user._get_current_object(), student.id),
                           program_form=program_form, credit_form=credit_form,
                           convert_form=forms.get("convert_form") or ConvertForm(formdata=None),
                           dispute_form=DisputeForm(formdata=None), status_labels=STATUS_LABELS), status


@bp.get("/students")
def students_search():
    q = search_text("q", 100)
    program_id = request.args.get("program", type=int)
    status = request.args.get("status") or None
    page = admissions.search(current_user._get_current_object(), q, program_id=program_id, status=status,
                             page=request.args.get("page", 1, type=int))
    return render("registrar/students.html", "registrar/_student_results.html", results=page, q=q,
                  program_id=program_id, status_filter=status or "", programs=admissions.programs(),
                  status_labels=STATUS_LABELS)


@bp.get("/students/<int:student_id>")
def student(student_id: int):
    return profile_page(student_id)


@bp.route("/students/<int:student_id>/edit", methods=["GET", "POST"])
def edit_student(student_id: int):
    record = admissions.get_student(current_user._get_current_object(), student_id)
    if request.method == "POST":
        form = ProfileForm()
        form.validate()
        changes = {name: form[name].data for name in admissions.PROFILE_FIELDS}
        try:
            admissions.update_profile(current_user._get_current_object(), student_id, **changes)
        except DomainError as error:
            if error.status == 404:
                raise
            if not apply_errors(form, error):
                flash(error.message, "error")
            return render_template("registrar/student_edit.html", form=form, student=record), error.status
        flash("Profile saved.", "success")
        return redirect(url_for("registrar.student", student_id=student_id))
    values = admissions.profile_values(record)
    birthdate = values["birthdate"]
    values["birthdate"] = birthdate.isoformat() if isinstance(birthdate, date) else ""
    form = ProfileForm(formdata=None, **values)
    return render_template("registrar/student_edit.html", form=form, student=record)


@bp.post("/students/<int:student_id>/status")
def change_status(student_id: int):
    form = StatusForm()
    form.validate()
    try:
        admissions.change_status(current_user._get_current_object(), student_id, form.to_status.data,
                               form.effective_date.data, form.reason.data)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        if not apply_errors(form, error):
            form.reason.errors = [error.message]
        return profile_page(student_id, 422, status_form=form)
    flash(f"Status changed to {STATUS_LABELS[form.to_status.data.upper()]}.", "success")
    return redirect(url_for("registrar.student", student_id=student_id))


@bp.post("/students/<int:student_id>/program")
def change_program(student_id: int):
    form = ProgramForm()
    form.validate()
    try:
        student = admissions.change_program(current_user._get_current_object(), student_id, form.program_id.data,
                                          form.reason.data)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        if not apply_errors(form, error):
            form.reason.errors = [error.message]
        return profile_page(student_id, 422, program_form=form)
    flash(f"Program changed to {student.program.code}.", "success")
    return redirect(url_for("registrar.student", student_id=student_id))


@bp.post("/students/<int:student_id>/transferee")
def convert_transferee(student_id: int):
    form = ConvertForm()
    form.validate()
    try:
        admissions.convert_to_transferee(current_user._get_current_object(), student_id, form.previous_school.data,
                                      form.previous_course.data)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        if not apply_errors(form, error):
            form.previous_school.errors = [error.message]
        return profile_page(student_id, 422, convert_form=form)
    flash("The student is now a transferee; credit their prior subjects below.", "success")
    return redirect(url_for("registrar.student", student_id=student_id))

