"""Registrar: open the current term for continuing students in bulk (a queued job with a
live progress bar)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectField, StringField

from richwell.services import admissions
from richwell.services.academics import current_term
from richwell.services.platform import settings
from richwell.services.platform.errors import DomainError
from richwell.web.forms import PortalForm, apply_errors
from richwell.web.htmx import render
from richwell.web.registrar.blueprint import bp


class BulkOpenForm(PortalForm):
    program_id = SelectField("Program", validate_choice=False)
    year_level = SelectField("Year level", choices={str(n): f"Year {n}" for n in range(1, 6)},
                             validate_choice=False)
    default_commitment = StringField("Monthly installment for students with none on file (PHP)",
                                     render_kw={"inputmode": "decimal", "maxlength": 20})


def _page(form: BulkOpenForm, status: int = 200):
    form.program_id.choices = [("", "Choose…")] + [(str(p.id), f"{p.code} — {p.name}")
                                                    for p in admissions.active_programs()]
    return render_template("registrar/continuing.html", form=form, term=current_term(),
                           jobs=admissions.recent_jobs()), status


@bp.route("/continuing", methods=["GET", "POST"])
def continuing():
    if request.method == "GET":
        return _page(BulkOpenForm(formdata=None, default_commitment=f"{settings.get('min_monthly_commitment'):.2f}"))
    form = BulkOpenForm()
    form.validate()
    try:
        job = admissions.start_bulk_open(current_user._get_current_object(), form.program_id.data,
                                       form.year_level.data, form.default_commitment.data)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        if not apply_errors(form, error):
            flash(error.message, "error")
        return _page(form, error.status)
    flash("Queued. The progress below updates by itself.", "success")
    return redirect(url_for("registrar.continuing_job", job_id=job.id))


@bp.get("/continuing/jobs/<int:job_id>")
def continuing_job(job_id: int):
    job = admissions.get_job(job_id)
    return render("registrar/continuing_job.html", "registrar/_job_progress.html", job=job)
