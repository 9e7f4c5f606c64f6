"""Registrar: curricula per program, subjects, and prerequisite links (HTMX)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectField, StringField

from richwell.models import Subject
from richwell.services import academics
from richwell.services.platform.errors import DomainError
from richwell.web import htmx
from richwell.web.forms import PortalForm, apply_errors
from richwell.web.registrar import prerequisite_graph
from richwell.web.registrar.blueprint import bp


class SubjectForm(PortalForm):
    code = StringField("Code", render_kw={"maxlength": 20, "autocapitalize": "characters"})
    title = StringField("Title", render_kw={"maxlength": 200})
    units = StringField("Units", render_kw={"inputmode": "numeric", "maxlength": 3})
    is_major = SelectField("Kind", validate_choice=False)
    year_level = SelectField("Year level", validate_choice=False)
    semester = SelectField("Semester", validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Choices are set here, not in the field declaration: WTForms 3.3 warns on tuple
        # choices passed to the constructor, and the service validates the value anyway.
        self.is_major.choices = [("major", "Major"), ("minor", "Minor (general education)")]
        self.semester.choices = academics.SEMESTER_CHOICES

    def for_program(self, program) -> SubjectForm:
        self.year_level.choices = [(str(y), f"Year {y}") for y in range(1, program.years + 1)]
        return self


class PrerequisiteForm(PortalForm):
    prerequisite_id = SelectField("Prerequisite", validate_choice=False)


class ActionForm(PortalForm):
    """CSRF only, for the unlink buttons."""


@bp.get("/curriculum")
def curriculum_index():
    programs = academics.list_programs()
    counts = academics.subject_totals()  # per program: (subjects, units)
    return render_template("registrar/curriculum_index.html", programs=programs, counts=counts)


@bp.get("/curriculum/<int:program_id>")
def curriculum_program(program_id: int):
    view = academics.curriculum(program_id)
    return render_template("registrar/curriculum.html", view=view, graph=prerequisite_graph.layout(view))


@bp.route("/curriculum/<int:program_id>/subjects/new", methods=["GET", "POST"])
def subject_new(program_id: int):
    program = academics.get_program(program_id)
    form = SubjectForm().for_program(program)
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                subject = academics.create_subject(
                    current_user, program.id, code=form.code.data, title=form.title.data, units=form.units.data,
                    is_major=form.is_major.data == "major", year_level=form.year_level.data,
                    semester=form.semester.data)
            except DomainError as error:
                if not apply_errors(form, error):
                    flash(error.message, "error")
                status = error.status
            else:
                flash(f"{subject.code} added to {program.code}. Add its prerequisites below.", "success")
                return redirect(url_for("registrar.subject_edit", subject_id=subject.id))
        else:
            status = 400
    return render_template("registrar/subject_form.html", form=form, program=program, subject=None), status


def _prerequisite_context(subject: Subject, form: PrerequisiteForm | None = None) -> dict:
    choices = academics.prerequisite_choices(subject)
    form = form or PrerequisiteForm(formdata=None)
    form.prerequisite_id.choices = [("", "Choose a subject…")] + [
        (str(s.id), f"{s.code} — {s.title} (year {s.year_level})") for s in choices]
    return {"subject": subject, "prereq_form": form, "action_form": ActionForm()}


def _subject_page(subject: Subject, form: SubjectForm, prereq_form: PrerequisiteForm | None = None,
                  status: int = 200):
    return htmx.render("registrar/subject_form.html", "registrar/_prerequisites.html", status=status,
                       form=form, program=subject.program, **_prerequisite_context(subject, prereq_form))


def _filled_subject_form(subject: Subject) -> SubjectForm:
    form = SubjectForm(obj=subject, formdata=None).for_program(subject.program)
    form.is_major.data = "major" if subject.is_major else "minor"
    form.year_level.data = str(subject.year_level)
    form.units.data = str(subject.units)
    return form


@bp.route("/subjects/<int:subject_id>", methods=["GET", "POST"])
def subject_edit(subject_id: int):
    subject = academics.get_subject(subject_id)
    if request.method == "GET":
        return _subject_page(subject, _filled_subject_form(subject))
    form = SubjectForm().for_program(subject.program)
    if not form.validate():
        return _subject_page(subject, form, status=400)
    try:
        academics.update_subject(current_user, subject.id, code=form.code.data, title=form.title.data,
                                  units=form.units.data, is_major=form.is_major.data == "major",
                                  year_level=form.year_level.data, semester=form.semester.data)
    except DomainError as error:
        if not apply_errors(form, error):
            flash(error.message, "error")
        return _subject_page(subject, form, status=error.status)
    flash(f"{subject.code} saved.", "success")
    return redirect(url_for("registrar.curriculum_program", program_id=subject.program_id))


@bp.post("/subjects/<int:subject_id>/prerequisites")
def prerequisite_link(subject_id: int):
    subject = academics.get_subject(subject_id)
    form = PrerequisiteForm()
    if not form.validate():
        form.prerequisite_id.errors = ["The form expired; reload the page and try again."]
        return _prerequisite_response(subject, form, 400)
    try:
        academics.link_prerequisite(current_user, subject.id, form.prerequisite_id.data)
    except DomainError as error:
        if not apply_errors(form, error):
            form.prerequisite_id.errors = [error.message]
        return _prerequisite_response(subject, form, error.status)
    return _prerequisite_response(subject, None, 200, saved=True)


@bp.post("/subjects/<int:subject_id>/prerequisites/<int:prerequisite_id>/remove")
def prerequisite_unlink(subject_id: int, prerequisite_id: int):
    subject = academics.get_subject(subject_id)
    if not ActionForm().validate():
        flash("The form expired; reload the page and try again.", "error")
        return redirect(url_for("registrar.subject_edit", subject_id=subject.id))
    academics.unlink_prerequisite(current_user, subject.id, prerequisite_id)
    return _prerequisite_response(subject, None, 200, saved=True)


def _prerequisite_response(subject: Subject, form: PrerequisiteForm | None, status: int, saved: bool = False):
    """HTMX gets the prerequisites fragment; a plain form post the whole page (or a redirect)."""
    if htmx.is_partial_request():
        return htmx.render("registrar/_prerequisites.html", "registrar/_prerequisites.html", status=status,
                           saved=saved, **_prerequisite_context(subject, form))
    if saved:
        flash("Prerequisites saved.", "success")
        return redirect(url_for("registrar.subject_edit", subject_id=subject.id))
    return _subject_page(subject, _filled_subject_form(subject), form, status)
