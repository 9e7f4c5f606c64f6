"""The subject picker, shared by the student, registrar and admin blueprints: one template,
the same routes installed on each blueprint, the service deciding who may do what.

Add answers only what changed (the subject's body, the unit counter and the week preview out
of band) and asks the page to refresh the other cards (`enrollment-changed`) with one
bounded read, so the add request itself stays small on enrollment day.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from richwell.models import Role
from richwell.services.enrollment import (
    Meeting,
    advise,
    block_section,
    drop_subject,
    enroll_in_block,
    enroll_in_subject,
    preview_meetings,
)
from richwell.services.platform.errors import DomainError, Forbidden, NotFound
from richwell.web import confirm
from richwell.web.htmx import is_partial_request, refusal, render

OVERRIDE_FIELDS = ("override_capacity_reason", "override_conflict_reason", "override_month1_reason")
BAD_INPUT_FIELDS = {"subject_id", "section_id"}


def grid_entries(enrolled: Sequence[Meeting], candidate: Sequence[Meeting] = ()) -> list[dict[str, Any]]:
    """Entries for the `weekly_grid` macro; a candidate's meetings are marked as a preview and
    every meeting that overlaps the other side is marked as a clash."""
    def entry(m: Meeting, clash: bool, preview: bool = False) -> dict:
        subtitle = f"{m.section_code}" + (f" · {m.room}" if m.room else "")
        return {"day": m.day, "start": m.start, "end": m.end, "title": m.subject_code + (" (preview)" if preview
                                                                                         else ""),
                "subtitle": subtitle, "clash": clash, "preview": preview}

    entries = [entry(m, any(m.overlaps(c) for c in candidate)) for m in enrolled]
    entries += [entry(c, any(c.overlaps(m) for m in enrolled), preview=True) for c in candidate]
    return entries


def clash_notes(enrolled: list[Meeting], candidate: list[Meeting]) -> list[str]:
    return [f"{c.label} clashes with {m.label}." for c in candidate for m in enrolled if c.overlaps(m)]


class Picker:
    """The picker's routes for one role (`mode`: the blueprint's role, as the service sees the
    viewer). The service decides what the signed-in user may read and do."""

    def __init__(self, bp, mode: str, page_template: str, page_endpoint: str):
        self.bp, self.mode, self.page_template, self.page_endpoint = bp, mode, page_template, page_endpoint
        self.ep = {name: f"{bp.name}.{name}" for name in ("add_subject", "drop_subject", "picker_preview",
                                                            "picker_live", "enroll_block")}
        self.ep["page"] = page_endpoint
        bp.add_url_rule("/enrollments/<int:te_id>/subjects", "add_subject", self.add_subject, methods=["POST"])
        bp.add_url_rule("/subject-enrollments/<int:se_id>/drop", "drop_subject", self.drop_subject,
                        methods=["POST"])
        bp.add_url_rule("/enrollments/<int:te_id>/picker/preview", "picker_preview", self.preview)
        bp.add_url_rule("/enrollments/<int:te_id>/picker/live", "picker_live", self.live)
        bp.add_url_rule("/enrollments/<int:te_id>/block", "enroll_block", self.enroll_block, methods=["POST"])

    # -- helpers ---------------------------------------------------------------------------
    def page_url(self, te_id: int) -> str:
        if self.mode == Role.STUDENT.value:
            return url_for(self.page_endpoint)
        return url_for(self.page_endpoint, te_id=te_id)

    def context(self, advice, **extra) -> dict:
        entries = grid_entries(list(advice.timetable))
        return {"advice": advice, "block": block_section(advice), "mode": self.mode, "ep": self.ep,
                "entries": entries, **extra}

    def page(self, te_id: int, *, status: int = 200, error: DomainError | None = None, **extra):
        """The full picker page for a term enrollment."""
        try:
            advice = advise(te_id, current_user._get_current_object())
        except NotFound:
            abort(404)
        return render(self.page_template, status=status, **self.context(advice, error=error, **extra))

    def refused(self, error: DomainError, te_id: int | None, subject_id: str | None):
        """A refusal: HTMX gets the sentence in the subject's message slot (422/400), a plain
        form the page again with the sentence on top. Not-yours is 404, not-allowed 403."""
        if isinstance(error, NotFound) and not (set(error.fields) & BAD_INPUT_FIELDS):
            abort(404)
        if isinstance(error, Forbidden):
            abort(403, error.message)
        status = 400 if isinstance(error, NotFound) else error.status
        if is_partial_request():
            response = refusal(error.message, status)
            text = subject_id or ""
            sid = text if text.isascii() and text.isdigit() and len(text) < 11 else None
            response.headers["HX-Retarget"] = f"#subject-{sid}-msg" if sid else "#picker-status"
            response.headers["HX-Reswap"] = "innerHTML"
            response.headers["X-Refusal-Code"] = error.code  # the API's code, for scripts and tests
            return response
        if te_id is None:
            flash(error.message, "error")
            return redirect(url_for(self.page_endpoint) if self.mode == Role.STUDENT.value else url_for(
                f"{self.bp.name}.home"), 303)
        response = self.page(te_id, status=status, error=error)
        response.headers["X-Refusal-Code"] = error.code
        return response

    # -- routes ---------------------------------------------------------------------------
    def add_subject(self, te_id: int):
        form = request.form
        try:
            result = enroll_in_subject(
                te_id, form.get("subject_id"), form.get("section_id"), current_user._get_current_object(),
                **{name: form.get(name) for name in OVERRIDE_FIELDS})
        except DomainError as error:
            return self.refused(error, te_id, form.get("subject_id"))
        if not is_partial_request():
            flash(f"{result.subject_code} {result.subject_title} added (section {result.section_code}).", "success")
            return redirect(self.page_url(te_id), 303)
        response = render("enrollment/_added.html", result=result, enrolled=result.as_enrolled_subject(),
                          mode=self.mode, ep=self.ep, te_id=te_id,
                          entries=grid_entries(list(result.timetable)))
        response.headers["HX-Trigger"] = "enrollment-changed"
        return response

    def drop_subject(self, se_id: int):
        if not confirm.confirmed("drop", se_id):
            code = str(request.form.get("subject_code") or "this subject")[:20]
            return confirm.ask("drop", se_id, self.page_url(request.form.get("te_id", type=int) or 0), code=code)
        try:
            result = drop_subject(se_id, current_user._get_current_object(), request.form.get("reason"))
        except DomainError as error:
            te_id = None if self.mode == Role.STUDENT.value else request.form.get("te_id", type=int)
            return self.refused(error, te_id, request.form.get("subject_id"))
        if not is_partial_request():
            flash(f"{result.subject_code} {result.subject_title} dropped.", "success")
            return redirect(self.page_url(result.term_enrollment_id), 303)
        advice = advise(result.term_enrollment_id, current_user._get_current_object(),
                        subject_ids=[result.subject_id])
        choice = next(iter(advice.recommended + advice.irregular), None)
        response = render("enrollment/_dropped.html", dropped=result, choice=choice,
                          **self.context(advice))
        response.headers["HX-Retarget"] = f"#subject-{result.subject_id}"
        response.headers["HX-Reswap"] = "outerHTML"
        response.headers["HX-Trigger"] = "enrollment-changed"
        return response

    def preview(self, te_id: int):
        offering_id = request.args.get("offering_id")
        try:
            enrolled, candidate = preview_meetings(te_id, current_user._get_current_object(), offering_id or None)
        except NotFound:
            abort(404)
        except DomainError as error:
            return refusal(error.message, 400)
        return render("enrollment/_preview.html", entries=grid_entries(enrolled, candidate),
                      notes=clash_notes(enrolled, candidate), ep=self.ep, te_id=te_id,
                      candidate=candidate)

    def enroll_block(self, te_id: int):
        """Every subject of the block section, each under the same rules; the answer lists what
        was enrolled and what was refused, and why."""
        try:
            result = enroll_in_block(te_id, current_user._get_current_object())
        except DomainError as error:
            return self.refused(error, te_id, None)
        if not is_partial_request():
            for outcome in result.enrolled:
                flash(f"{outcome.code} {outcome.title}: {outcome.message}", "success")
            for outcome in result.refused:
                flash(f"{outcome.code} {outcome.title} was not enrolled: {outcome.message}", "warning")
            if not result.enrolled and not result.refused:
                flash(f"You are already enrolled in every subject of {result.section_code}.", "info")
            return redirect(self.page_url(te_id), 303)
        advice = advise(te_id, current_user._get_current_object())
        response = render("enrollment/_block_result.html", result=result, **self.context(advice))
        response.headers["HX-Trigger"] = "enrollment-changed"
        return response

    def live(self, te_id: int):
        """Every card, the counter and the week again, out of band (seats left, clashes, caps)."""
        try:
            advice = advise(te_id, current_user._get_current_object())
        except NotFound:
            abort(404)
        return render("enrollment/_live.html", **self.context(advice))
