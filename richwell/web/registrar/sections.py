"""Registrar: sections of a term, block sections, and the section page (classes,
professors, schedule slots with conflict override, the weekly grid) over HTMX."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectField, StringField, TextAreaField

from richwell.extensions import db
from richwell.models import Offering, Section
from richwell.services import academics
from richwell.services.platform.errors import DomainError, NotFound
from richwell.web import htmx
from richwell.web.forms import PortalForm, apply_errors
from richwell.web.registrar.blueprint import bp

YEAR_CHOICES = [(str(y), f"Year {y}") for y in range(1, 6)]


class ChoicesForm(PortalForm):
    """Select choices are given at construction: WTForms 3.3 warns on tuples declared on fields."""

    CHOICES: dict[str, list] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, choices in self.CHOICES.items():
            getattr(self, name).choices = choices


class SectionForm(ChoicesForm):
    CHOICES = {"year_level": YEAR_CHOICES}
    program_id = SelectField("Program", validate_choice=False)
    year_level = SelectField("Year level", validate_choice=False)
    code = StringField("Section code (optional)", render_kw={"maxlength": 30, "placeholder": "BSIT-1A"})
    capacity = StringField("Capacity", default="40", render_kw={"inputmode": "numeric", "maxlength": 3})


class BlockForm(ChoicesForm):
    CHOICES = {"year_level": YEAR_CHOICES}
    program_id = SelectField("Program", validate_choice=False)
    year_level = SelectField("Year level", validate_choice=False)
    count = StringField("Number of sections", default="1", render_kw={"inputmode": "numeric", "maxlength": 2})
    capacity = StringField("Capacity of each", default="40", render_kw={"inputmode": "numeric", "maxlength": 3})


class CapacityForm(PortalForm):
    capacity = StringField("Capacity", render_kw={"inputmode": "numeric", "maxlength": 3})


class OfferingForm(PortalForm):
    subject_id = SelectField("Subject", validate_choice=False)


class ProfessorForm(PortalForm):
    professor_id = SelectField("Professor", validate_choice=False)
    override_reason = TextAreaField("Reason to override the conflict", render_kw={"maxlength": 500, "rows": 2})


class SlotForm(ChoicesForm):
    CHOICES = {"day": academics.DAY_CHOICES}
    day = SelectField("Day", validate_choice=False)
    start_time = StringField("Start", render_kw={"type": "time", "step": 300})
    end_time = StringField("End", render_kw={"type": "time", "step": 300})
    room = StringField("Room", render_kw={"maxlength": 40, "placeholder": "RM 201"})
    override_reason = TextAreaField("Reason to override the conflict", render_kw={"maxlength": 500, "rows": 2})


class ActionForm(PortalForm):
    """CSRF only, for the remove buttons."""


def _program_choices() -> list[tuple[str, str]]:
    return [("", "Choose…")] + [(str(p.id), p.code) for p in academics.list_programs(active_only=True)]


# ---------------------------------------------------------------- the sections list

def _selected_term():
    term_id = request.args.get("term_id", type=int) or request.form.get("term_id", type=int)
    if term_id:
        try:
            return academics.get_term(term_id)
        except NotFound:
            return None
    return academics.current_term()


def _sections_page(section_form: SectionForm | None = None, block_form: BlockForm | None = None,
                   status: int = 200, term=None):
    term = term or _selected_term()
    program_id = request.args.get("program_id", type=int)
    section_form = section_form or SectionForm(formdata=None, prefix="one")
    block_form = block_form or BlockForm(formdata=None, prefix="block")
    section_form.program_id.choices = block_form.program_id.choices = _program_choices()
    return render_template(
        "registrar/sections.html", term=term, all_terms=academics.list_terms(), program_id=program_id,
        programs=academics.list_programs(), summaries=academics.list_sections(term.id if term else None, program_id),
        section_form=section_form, block_form=block_form), status


@bp.get("/sections")
def sections():
    return _sections_page()


@bp.post("/sections")
def section_create():
    form = SectionForm(prefix="one")
    term = _selected_term()
    if term is None:
        flash("Choose a term first.", "error")
        return redirect(url_for("registrar.sections"))
    if not form.validate():
        return _sections_page(section_form=form, status=400, term=term)
    try:
        section = academics.create_section(current_user, term_id=term.id, program_id=form.program_id.data,
                                            year_level=form.year_level.data, code=form.code.data,
                                            capacity=form.capacity.data)
    except DomainError as error:
        if not apply_errors(form, error):
            flash(error.message, "error")
        return _sections_page(section_form=form, status=error.status, term=term)
    flash(f"Section {section.code} created. Add its classes below.", "success")
    return redirect(url_for("registrar.section_detail", section_id=section.id))


@bp.post("/sections/block")
def section_block_create():
    form = BlockForm(prefix="block")
    term = _selected_term()
    if term is None:
        flash("Choose a term first.", "error")
        return redirect(url_for("registrar.sections"))
    if not form.validate():
        return _sections_page(block_form=form, status=400, term=term)
    try:
        created = academics.create_block_sections(
            current_user, term_id=term.id, program_id=form.program_id.data, year_level=form.year_level.data,
            count=form.count.data, capacity=form.capacity.data)
    except DomainError as error:
        if not apply_errors(form, error):
            flash(error.message, "error")
        return _sections_page(block_form=form, status=error.status, term=term)
    flash(f"Created {', '.join(s.code for s in created)} with {len(created[0].offerings)} classes each.", "success")
    return redirect(url_for("registrar.sections", term_id=term.id))


# ---------------------------------------------------------------- the section page

def _offering_forms(data: academics.SectionSchedule, failed: dict | None = None) -> dict:
    """Fresh forms per class (prefixed by class id), except the one that just failed."""
    failed = failed or {}
    choices = [("", "TBA")] + [(str(p.id), p.full_name) for p in data.professors]
    forms = {}
    for view in data.offerings:
        oid = view.offering.id
        prof = failed.get((oid, "prof")) or ProfessorForm(formdata=None, prefix=f"o{oid}-prof")
        prof.professor_id.choices = choices
        if (oid, "prof") not in failed:
            prof.professor_id.data = str(view.offering.professor_id or "")
        slot = failed.get((oid, "slot")) or SlotForm(formdata=None, prefix=f"o{oid}-slot")
        forms[oid] = {"prof": prof, "slot": slot}
    return forms


def _section_page(section_id: int, *, status: int = 200, failed: dict | None = None,
                  warnings: list[str] | None = None, notice: str | None = None,
                  capacity_form: CapacityForm | None = None, offering_form: OfferingForm | None = None,
                  changed: bool = False):
    data = academics.section_schedule(section_id)
    capacity_form = capacity_form or CapacityForm(formdata=None, capacity=str(data.section.capacity))
    offering_form = offering_form or OfferingForm(formdata=None)
    offering_form.subject_id.choices = [("", "Choose a subject…")] + [
        (str(s.id), f"{s.code} — {s.title} (year {s.year_level})") for s in data.addable_subjects]
    return htmx.render("registrar/section.html", "registrar/_section_schedule.html", status=status,
                           data=data, section=data.section, forms=_offering_forms(data, failed),
                           warnings=warnings or [], notice=notice, capacity_form=capacity_form,
                           offering_form=offering_form, action_form=ActionForm())


@bp.get("/sections/<int:section_id>")
def section_detail(section_id: int):
    return _section_page(section_id)


def _done(section_id: int, notice: str, warnings: list[str] | None = None):
    """After a change: HTMX gets the re-rendered schedule region; a plain post a redirect."""
    if htmx.is_partial_request():
        return _section_page(section_id, warnings=warnings, notice=notice)
    flash(notice, "success")
    for warning in warnings or []:
        flash(warning, "warning")
    return redirect(url_for("registrar.section_detail", section_id=section_id))


def _section_of_offering(offering_id: int) -> Section:
    offering = db.session.get(Offering, offering_id)
    if offering is None:
        raise NotFound("That class does not exist.")
    return offering.section


@bp.post("/sections/<int:section_id>/capacity")
def section_capacity(section_id: int):
    form = CapacityForm()
    if not form.validate():
        return _section_page(section_id, status=400, capacity_form=form)
    try:
        section = academics.update_section_capacity(current_user, section_id, form.capacity.data)
    except DomainError as error:
        if not apply_errors(form, error):
            flash(error.message, "error")
        return _section_page(section_id, status=error.status, capacity_form=form)
    return _done(section_id, f"{section.code} now seats {section.capacity}; its classes follow.")


@bp.post("/sections/<int:section_id>/offerings")
def offering_add(section_id: int):
    form = OfferingForm()
    if not form.validate():
        return _section_page(section_id, status=400, offering_form=form)
    try:
        offering = academics.add_offering(current_user, section_id, form.subject_id.data)
    except DomainError as error:
        if not apply_errors(form, error):
            flash(error.message, "error")
        return _section_page(section_id, status=error.status, offering_form=form)
    return _done(section_id, f"{offering.subject.code} added to {offering.section.code}.")


@bp.post("/offerings/<int:offering_id>/remove")
def offering_remove(offering_id: int):
    section = _section_of_offering(offering_id)
    if not ActionForm().validate():
        return _section_page(section.id, status=400, notice="The form expired; reload the page.")
    academics.remove_offering(current_user, offering_id)
    return _done(section.id, "Class removed from the section.")


@bp.post("/offerings/<int:offering_id>/professor")
def offering_professor(offering_id: int):
    section = _section_of_offering(offering_id)
    form = ProfessorForm(prefix=f"o{offering_id}-prof")
    if not form.validate():
        form.professor_id.errors = ["The form expired; reload the page and try again."]
        return _section_page(section.id, status=400, failed={(offering_id, "prof"): form})
    try:
        offering = academics.assign_professor(current_user, offering_id, form.professor_id.data,
                                               override_reason=form.override_reason.data)
    except DomainError as error:
        if not apply_errors(form, error):
            form.professor_id.errors = [error.message]
        return _section_page(section.id, status=error.status, failed={(offering_id, "prof"): form})
    who = offering.professor.full_name if offering.professor else "TBA"
    return _done(section.id, f"{offering.subject.code}: professor {who}.")


@bp.post("/offerings/<int:offering_id>/slots")
def slot_add(offering_id: int):
    section = _section_of_offering(offering_id)
    form = SlotForm(prefix=f"o{offering_id}-slot")
    if not form.validate():
        form.day.errors = ["The form expired; reload the page and try again."]
        return _section_page(section.id, status=400, failed={(offering_id, "slot"): form})
    try:
        result = academics.add_slot(current_user, offering_id, day=form.day.data, start_time=form.start_time.data,
                                     end_time=form.end_time.data, room=form.room.data,
                                     override_reason=form.override_reason.data)
    except DomainError as error:
        if not apply_errors(form, error):
            form.day.errors = [error.message]
        return _section_page(section.id, status=error.status, failed={(offering_id, "slot"): form})
    slot = result.slot
    notice = f"{slot.offering.subject.code}: {academics.describe_slot(slot)} placed"
    notice += " over a professor conflict (override recorded)." if result.overridden else "."
    return _done(section.id, notice, result.warnings)


@bp.post("/slots/<int:slot_id>/remove")
def slot_remove(slot_id: int):
    if not ActionForm().validate():
        flash("The form expired; reload the page and try again.", "error")
        return redirect(url_for("registrar.sections"))
    offering = academics.remove_slot(current_user, slot_id)
    return _done(offering.section_id, f"{offering.subject.code}: meeting removed.")
