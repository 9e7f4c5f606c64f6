"""Registrar: terms (create, edit dates, switch the current term)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import BooleanField, SelectField, StringField

from richwell.services import academics
from richwell.services.platform.errors import DomainError
from richwell.web import confirm
from richwell.web.forms import PortalForm, apply_errors
from richwell.web.registrar.blueprint import bp

DATE_HINTS = {
    "enrollment_open": "Within the term.",
    "enrollment_close": "After enrollment opens, within the term.",
    "drop_deadline": "On or after enrollment closes.",
    "grade_deadline": "After the drop deadline, within the term.",
}


class TermDatesForm(PortalForm):
    # Plain text inputs of type date: the service parses them, so a bad date gets the
    # service's message at its field rather than WTForms' generic one.
    start_date = StringField("First day of the term", render_kw={"type": "date"})
    end_date = StringField("Last day of the term", render_kw={"type": "date"})
    enrollment_open = StringField("Enrollment opens", render_kw={"type": "date"})
    enrollment_close = StringField("Enrollment closes", render_kw={"type": "date"})
    drop_deadline = StringField("Drop deadline", render_kw={"type": "date"})
    grade_deadline = StringField("Grade-entry deadline", render_kw={"type": "date"})

    def dates(self) -> dict:
        return {name: getattr(self, name).data for name in academics.DATE_FIELDS}


class TermForm(TermDatesForm):
    academic_year = StringField("Academic year", render_kw={"placeholder": "2026-2027", "maxlength": 9})
    semester = SelectField("Semester", validate_choice=False)
    make_current = BooleanField("Make this the current term (only when no term is current)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.semester.choices = academics.SEMESTER_CHOICES  # set here: WTForms 3.3 warns on declared tuples


class SwitchForm(PortalForm):
    reason = StringField("Note (optional)", render_kw={"maxlength": 500})


def _terms_page(form: TermForm, status: int = 200):
    all_terms = academics.list_terms()
    return render_template("registrar/terms.html", form=form, terms=all_terms, switch_form=SwitchForm(formdata=None),
                           current=next((t for t in all_terms if t.is_current), None), hints=DATE_HINTS), status


@bp.get("/terms")
def terms_list():
    form = TermForm(formdata=None)
    form.make_current.data = academics.current_term() is None
    return _terms_page(form)


@bp.post("/terms")
def term_create():
    form = TermForm()
    if not form.validate():
        return _terms_page(form, 400)
    try:
        term = academics.create_term(current_user, academic_year=form.academic_year.data, semester=form.semester.data,
                                 make_current=form.make_current.data, **form.dates())
    except DomainError as error:
        if not apply_errors(form, error):
            flash(error.message, "error")
        return _terms_page(form, error.status)
    flash(f"{term.name} created{' as the current term' if term.is_current else ''}.", "success")
    return redirect(url_for("registrar.terms_list"))


@bp.route("/terms/<int:term_id>", methods=["GET", "POST"])
def term_edit(term_id: int):
    term = academics.get_term(term_id)
    form = TermDatesForm() if request.method == "POST" else TermDatesForm(formdata=None)
    status = 200
    if request.method == "GET":
        for name in academics.DATE_FIELDS:
            getattr(form, name).data = getattr(term, name).isoformat()
    elif form.validate():
        try:
            academics.update_term_dates(current_user, term.id, **form.dates())
        except DomainError as error:
            if not apply_errors(form, error):
                flash(error.message, "error")
            status = error.status
        else:
            flash(f"{term.name}: dates saved.", "success")
            return redirect(url_for("registrar.terms_list"))
    else:
        status = 400
    return render_template("registrar/term_edit.html", form=form, term=term, hints=DATE_HINTS), status


@bp.post("/terms/<int:term_id>/make-current")
def term_make_current(term_id: int):
    form = SwitchForm()
    if not form.validate():
        flash("The form expired; reload the page and try again.", "error")
        return redirect(url_for("registrar.terms_list"))
    if not confirm.confirmed("term.make_current", term_id):
        terms = {t.id: t for t in academics.list_terms()}
        if term_id not in terms:
            flash("That term does not exist.", "error")
            return redirect(url_for("registrar.terms_list"))
        current = next((t.name for t in terms.values() if t.is_current), "no term")
        return confirm.ask("term.make_current", term_id, url_for("registrar.terms_list"),
                           term=terms[term_id].name, current=current)
    try:
        term = academics.switch_current_term(current_user, term_id, reason=form.reason.data)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"{term.name} is now the current term.", "success")
    return redirect(url_for("registrar.terms_list"))
