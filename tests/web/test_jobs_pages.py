"""Monitoring: `flask jobs ...` and the admin Jobs page (queue, periodic jobs with an overdue
warning, failed runs to retry or purge, the mail outbox)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from richwell import tasks
from richwell.extensions import db
from richwell.models import JobRun, OutboxEmail
from richwell.services.platform import clock, notifications
from richwell.services.platform.unit_of_work import unit_of_work
from tests.factories import make_student, make_user


def _failed_run(task="recalculate_gpa", args=None) -> JobRun:
    run = JobRun(task=task, args=args if args is not None else [[make_student().id]], outcome="FAILED",
                 error="OperationalError: server closed the connection", created_at=clock.now(),
                 started_at=clock.now(), finished_at=clock.now())
    db.session.add(run)
    db.session.commit()
    return run


def test_jobs_status_shows_queue_running_and_each_periodic_job(app):
    tasks.expire_and_warn_incs.call_local()
    db.session.add(JobRun(task="recalculate_gpa", args=[[1]], outcome="RUNNING", started_at=clock.now(),
                          created_at=clock.now()))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["jobs", "status"])
    assert result.exit_code == 0, result.output
    assert "Queue: 0 waiting, 0 scheduled" in result.output
    assert "Running or waiting runs: 1" in result.output and "recalculate_gpa RUNNING" in result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[4:] if line.startswith("  ")}
    assert "last SUCCEEDED" in lines["expire_and_warn_incs"] and "WARNING" not in lines["expire_and_warn_incs"]
    assert "never ran" in lines["send_payment_reminders"] and "WARNING" in lines["send_payment_reminders"]


def test_jobs_failed_retry_and_purge_failed_from_the_command_line(app):
    runner = app.test_cli_runner()
    assert "No failed runs." in runner.invoke(args=["jobs", "failed"]).output
    first, second = _failed_run(), _failed_run(task="ping", args=[])
    listing = runner.invoke(args=["jobs", "failed"]).output
    assert f"#{first.id} recalculate_gpa" in listing and "server closed the connection" in listing
    assert runner.invoke(args=["jobs", "retry"]).exit_code != 0  # neither an id nor --all
    assert "Queued again: 1." in runner.invoke(args=["jobs", "retry", str(first.id)]).output
    assert "No failed job run" in runner.invoke(args=["jobs", "retry", str(first.id)]).output
    third = _failed_run(task="ping", args=[])
    assert "Queued again: 2." in runner.invoke(args=["jobs", "retry", "--all"]).output
    _failed_run(task="ping", args=[])
    assert "Deleted 1 failed runs." in runner.invoke(args=["jobs", "purge-failed"]).output
    assert db.session.scalar(select(func.count(JobRun.id)).where(JobRun.outcome == "FAILED")) == 0
    requeued = {r.id for r in db.session.scalars(select(JobRun).where(JobRun.outcome == "REQUEUED"))}
    assert {second.id, third.id} <= requeued


def test_admin_jobs_page_warns_about_a_periodic_job_overdue_and_lists_failures_and_outbox(as_role):
    client, _ = as_role("admin")
    tasks.expire_and_warn_incs.call_local()
    run = db.session.scalar(select(JobRun).where(JobRun.task == "expire_and_warn_incs"))
    run.finished_at = clock.now() - timedelta(days=3)
    failed = _failed_run()
    user = make_user()
    with unit_of_work():
        notifications.notify(user.id, "announcement", "Enrollment closes Friday.")
    tasks.send_outbox.call_local()
    page = client.get("/admin/jobs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Warning: no success within twice its period." in html
    assert f"Retry run {failed.id}" in html and "server closed the connection" in html
    assert "SMTP is not configured" in html and "Enrollment closes Friday." in html


def test_admin_retries_and_purges_failed_runs_from_the_page(as_role):
    client, _ = as_role("admin")
    failed = _failed_run()
    response = client.post("/admin/jobs/retry", data={"run_id": str(failed.id)}, follow_redirects=True)
    assert "Queued again: 1." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(JobRun, failed.id).outcome == "REQUEUED"
    assert client.post("/admin/jobs/retry", data={"run_id": "x1"}).status_code == 400
    missing = client.post("/admin/jobs/retry", data={"run_id": "999999"}, follow_redirects=True)
    assert "No failed job run has that number." in missing.get_data(as_text=True)
    _failed_run()
    purged = client.post("/admin/jobs/purge-failed", follow_redirects=True)
    assert "Deleted 1 failed runs." in purged.get_data(as_text=True)


def test_only_admins_see_the_jobs_page(as_role):
    for role in ("cashier", "registrar", "student"):
        client, _ = as_role(role)
        assert client.get("/admin/jobs").status_code in (302, 403, 404)
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0


def test_in_development_the_jobs_page_says_the_schedule_is_not_running_instead_of_overdue(app, as_role):
    client, _ = as_role("admin")
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "no success within twice its period" in page and "schedule-not-running" not in page
    app.config.update(RICHWELL_ENV="development", HUEY_IMMEDIATE=True)
    try:
        page = client.get("/admin/jobs").get_data(as_text=True)
    finally:
        app.config.update(RICHWELL_ENV="testing")
    assert 'id="schedule-not-running"' in page and "The schedule is not running here" in page
    assert "no success within twice its period" not in page and "not scheduled here" in page
