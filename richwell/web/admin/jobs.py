"""Admin: the background jobs (queue, periodic jobs, failed runs) and the mail outbox."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from richwell.services.platform import jobs, outbox
from richwell.services.platform.errors import DomainError
from richwell.web.admin.blueprint import bp
from richwell.web.forms import PortalForm


class JobsForm(PortalForm):
    """CSRF only: the buttons carry what to do."""


@bp.get("/jobs")
def jobs_page():
    return render_template("admin/jobs.html", form=JobsForm(), queue=jobs.queue_state(),
                           periodic=jobs.periodic_states(), schedule_running=jobs.schedule_running(),
                           running=jobs.running_runs(),
                           failed=jobs.failed_runs(limit=50), failed_total=jobs.failed_count(),
                           outbox=outbox.waiting(), outbox_counts=outbox.counts(),
                           smtp=outbox.smtp_configured())


@bp.post("/jobs/retry")
def jobs_retry():
    if not JobsForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("admin.jobs_page"))
    raw = request.form.get("run_id", "all")
    if raw != "all" and not (raw.isascii() and raw.isdigit()):
        abort(400)
    try:
        count = jobs.retry_failed(None if raw == "all" else int(raw))
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(f"Queued again: {count}.", "success")
    return redirect(url_for("admin.jobs_page"))


@bp.post("/jobs/purge-failed")
def jobs_purge_failed():
    if not JobsForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for("admin.jobs_page"))
    flash(f"Deleted {jobs.purge_failed()} failed runs.", "success")
    return redirect(url_for("admin.jobs_page"))
