"""Admin: academic programs (BSIT, BSBA …). The registrar maintains their curricula."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import BooleanField, StringField

from richwell.services import academics
from richwell.services.platform.errors import DomainError
from richwell.web.admin.blueprint import bp
from richwell.web.forms import PortalForm, apply_errors


class ProgramForm(PortalForm):
    code = StringField("Code", render_kw={"maxlength": 20, "autocapitalize": "characters"})
    name = StringField("Name", render_kw={"maxlength": 200})
    years = StringField("Years", default="4", render_kw={"inputmode": "numeric", "maxlength": 2})


class ProgramEditForm(PortalForm):
    name = StringField("Name", render_kw={"maxlength": 200})
    years = StringField("Years", render_kw={"inputmode": "numeric", "maxlength": 2})
    is_active = BooleanField("Active (offered to applicants and in new terms)")


def _programs_page(form: ProgramForm, status: int = 200):
    programs = academics.list_programs()
    counts = {program_id: totals.subjects for program_id, totals in academics.subject_totals().items()}
    return render_template("admin/programs.html", form=form, programs=programs, counts=counts), status


@bp.get("/programs")
def programs():
    return _programs_page(ProgramForm())


@bp.post("/programs")
def create_program():
    form = ProgramForm()
    if form.validate_on_submit():
        try:
            program = academics.create_program(current_user, code=form.code.data, name=form.name.data,
                                                years=form.years.data)
        except DomainError as error:
            if not apply_errors(form, error):
                flash(error.message, "error")
            return _programs_page(form, error.status)
        flash(f"{program.code} created. The registrar can now build its curriculum.", "success")
        return redirect(url_for("admin.programs"))
    return _programs_page(form, 400)


@bp.route("/programs/<int:program_id>", methods=["GET", "POST"])
def edit_program(program_id: int):
    program = academics.get_program(program_id)
    form = ProgramEditForm(obj=program)
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                academics.update_program(current_user, program.id, name=form.name.data, years=form.years.data,
                                          is_active=form.is_active.data)
            except DomainError as error:
                if not apply_errors(form, error):
                    flash(error.message, "error")
                status = error.status
            else:
                flash(f"{program.code} saved.", "success")
                return redirect(url_for("admin.programs"))
        else:
            status = 400
    return render_template("admin/program_edit.html", form=form, program=program), status
