"""Background jobs (DOMAIN.md "Background jobs"): every task idempotent, retried with backoff on
transient errors only, time-limited, recorded as a job run; the schedule in UTC; stale and
unqueued work found by the sweep; the web keeps working when the queue is down."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from huey.exceptions import CancelExecution
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from richwell import tasks
from richwell.extensions import db
from richwell.models import (
    ApiToken,
    AuditEntry,
    IncRecord,
    JobRun,
    MonthBucket,
    Notification,
    OutboxEmail,
    Payment,
    PaymentReminder,
    SubjectEnrollment,
)
from richwell.services.finance import reminders
from richwell.services.platform import archive, clock, jobs, outbox
from richwell.services.platform.errors import DomainError
from richwell.services.platform.unit_of_work import unit_of_work
from tests.factories import add_to_class, make_class, make_enrollment, make_student, make_term, make_user, post_grades


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _runs(task: str) -> list[JobRun]:
    db.session.expire_all()
    return list(db.session.scalars(select(JobRun).where(JobRun.task == task).order_by(JobRun.id)))


MANILA = clock.MANILA


def _fires_at(schedule, manila: datetime) -> bool:
    """Would this UTC crontab fire at the UTC instant of a Manila wall-clock time?"""
    return schedule(manila.replace(tzinfo=MANILA).astimezone(timezone.utc).replace(tzinfo=None))


# --- the schedule --------------------------------------------------------------------------

@pytest.mark.parametrize("task, manila, other", [
    ("expire_and_warn_incs", datetime(2026, 3, 4, 2, 0), datetime(2026, 3, 4, 18, 0)),
    ("recalculate_all_gpa", datetime(2026, 11, 29, 3, 0), datetime(2026, 11, 28, 3, 0)),  # a Sunday; Saturday not
    ("send_payment_reminders", datetime(2026, 11, 25, 8, 0), datetime(2026, 11, 24, 8, 0)),
    ("monthly_archive", datetime(2026, 12, 1, 1, 0), datetime(2026, 12, 2, 1, 0)),
    ("nightly_schedule_conflict_check", datetime(2026, 3, 4, 1, 30), datetime(2026, 3, 4, 17, 30)),
])
def test_periodic_jobs_fire_at_their_manila_time_from_a_utc_crontab(task, manila, other):
    schedule = tasks.REGISTRY[task].task_class().validate_datetime
    assert _fires_at(schedule, manila)
    if task != "monthly_archive":  # the archive's crontab fires on days 28-31; the body checks the 1st
        assert not _fires_at(schedule, other)
    assert tasks.huey.utc is True


@pytest.mark.parametrize("name", sorted(tasks.PERIODIC))
def test_a_periodic_job_already_running_elsewhere_is_skipped_by_its_lock(name):
    from huey.exceptions import TaskLockedException

    schedule, period = tasks.PERIODIC[name]
    assert schedule and period > timedelta(0)
    with tasks.huey.lock_task(f"periodic:{name}"):
        with pytest.raises(TaskLockedException):
            tasks.REGISTRY[name].call_local()


# --- the job-run record ------------------------------------------------------------------

def test_every_task_run_is_recorded_with_its_counts():
    assert tasks.ping.call_local() == "testing"
    run = _runs("ping")[-1]
    assert run.outcome == "SUCCEEDED" and run.counts == {"result": "testing"}
    assert run.started_at <= run.finished_at and run.attempt == 1 and run.args == []


def test_a_queued_task_keeps_one_record_for_all_its_attempts():
    tasks.ping()  # immediate mode: through the queue, with a queue id
    runs = _runs("ping")
    assert len(runs) == 1 and runs[0].queue_id and runs[0].outcome == "SUCCEEDED"


def test_transient_errors_are_retried_and_refusals_are_not():
    assert jobs.is_transient(OperationalError("SELECT 1", {}, Exception("server closed the connection")))
    assert jobs.is_transient(ConnectionError("redis gone"))
    assert not jobs.is_transient(DomainError("No."))
    assert not jobs.is_transient(ValueError("bug"))


def test_a_transient_failure_with_retries_left_is_recorded_retrying():
    def broken():
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with pytest.raises(OperationalError):
        jobs.run_tracked("broken", broken, (), queue_id="q-1", retries_left=2, time_limit=60)
    run = _runs("broken")[-1]
    assert run.outcome == "RETRYING" and "connection refused" in run.error
    # The retry of the same message updates the same record.
    assert jobs.run_tracked("broken", lambda: 7, (), queue_id="q-1", retries_left=1, time_limit=60) == 7
    runs = _runs("broken")
    assert len(runs) == 1 and runs[0].attempt == 2 and runs[0].outcome == "SUCCEEDED"


def test_a_domain_error_fails_the_run_and_cancels_the_retries(monkeypatch):
    def refuse(student_ids):
        raise DomainError("No such thing.")

    monkeypatch.setattr("richwell.services.grades.recompute_all", refuse)

    class Task:
        id, retries = "q-2", 3

    with pytest.raises(CancelExecution) as info:
        tasks.recalculate_gpa.func([1], task=Task())
    assert info.value.retry is False
    run = _runs("recalculate_gpa")[-1]
    assert run.outcome == "FAILED" and "No such thing." in run.error


def test_retries_back_off_doubling_the_delay():
    task = tasks.recalculate_gpa.s([1])
    assert (task.retries, task.retry_delay, task.retry_backoff) == (3, 30, 2)
    # huey multiplies the delay by the backoff at each requeue: 30 s, 60 s, 120 s.
    tasks.huey._requeue_task(task, datetime(2026, 1, 1))
    assert (task.retries, task.retry_delay) == (2, 60)
    tasks.huey.storage.flush_schedule()
    assert tasks.REGISTRY["expire_and_warn_incs"].s().retries == 3


def test_a_run_past_its_time_limit_is_recorded_failed(monkeypatch):
    ticks = iter([0.0, 100.0])
    monkeypatch.setattr(jobs.time, "monotonic", lambda: next(ticks))
    assert jobs.run_tracked("slow", lambda: 3, (), queue_id=None, retries_left=0, time_limit=10) == 3
    run = _runs("slow")[-1]
    assert run.outcome == "FAILED" and "time limit of 10 s" in run.error and run.counts == {"count": 3}


# --- stale work and a queue that is down -------------------------------------------------------

def test_a_run_left_running_past_its_time_limit_is_queued_again_once(monkeypatch):
    student = make_student()
    stale = JobRun(task="recalculate_gpa", args=[[student.id]], outcome="RUNNING", time_limit=60,
                   started_at=clock.now() - timedelta(minutes=5), created_at=clock.now() - timedelta(minutes=5))
    fresh = JobRun(task="recalculate_gpa", args=[[student.id]], outcome="RUNNING", time_limit=600,
                   started_at=clock.now(), created_at=clock.now())
    db.session.add_all([stale, fresh])
    db.session.commit()
    assert tasks.requeue_stale_jobs.call_local() == 1
    runs = _runs("recalculate_gpa")
    assert [r.outcome for r in runs] == ["REQUEUED", "RUNNING", "SUCCEEDED"]
    assert tasks.requeue_stale_jobs.call_local() == 0  # twice in a row: nothing more


def test_the_web_keeps_working_when_the_queue_is_unreachable():
    """A task that cannot be queued (Redis down) is kept PENDING and queued by the sweep."""
    from huey import PriorityRedisHuey as RedisHuey

    dead = RedisHuey("richwell-down", url="redis://127.0.0.1:1/0", immediate=False)
    original_storage, original_immediate = tasks.huey.storage, tasks.huey._immediate
    tasks.huey.storage, tasks.huey._immediate = dead.storage, False
    try:
        student = make_student()
        assert tasks.enqueue(tasks.recalculate_gpa, [student.id]) is None
    finally:
        tasks.huey.storage, tasks.huey._immediate = original_storage, original_immediate
    run = _runs("recalculate_gpa")[-1]
    assert run.outcome == "PENDING" and run.args == [[student.id]] and "Not queued" in run.error
    assert jobs.queue_state().reachable  # back in immediate mode
    assert tasks.requeue_stale_jobs.call_local() == 1
    assert [r.outcome for r in _runs("recalculate_gpa")] == ["REQUEUED", "SUCCEEDED"]


def test_a_grade_finalization_while_the_queue_is_down_leaves_its_gpa_work_for_the_sweep(monkeypatch):
    offering = make_class(units=3)
    se = add_to_class(offering)

    class Unreachable:
        name = "recalculate_gpa"

        def __call__(self, *args):
            raise ConnectionError("Error 111 connecting to redis")

    monkeypatch.setitem(tasks.REGISTRY, "recalculate_gpa", Unreachable())
    post_grades(offering, {se.id: "1.50"})  # the registrar's request succeeds
    db.session.refresh(se)
    assert se.status == "PASSED"
    assert [r.outcome for r in _runs("recalculate_gpa")] == ["PENDING"]
    monkeypatch.undo()
    assert jobs.requeue_stale() == 1
    student = se.enrollment.student
    db.session.refresh(student)
    assert student.cumulative_gpa == Decimal("1.50")


def test_queue_state_reports_an_unreachable_queue():
    from huey import PriorityRedisHuey as RedisHuey

    dead = RedisHuey("richwell-down", url="redis://127.0.0.1:1/0", immediate=False)
    original = tasks.huey.storage
    tasks.huey.storage = dead.storage
    try:
        state = jobs.queue_state()
    finally:
        tasks.huey.storage = original
    assert state.reachable is False and state.error


def test_failed_runs_are_listed_retried_and_purged(monkeypatch):
    student = make_student()
    db.session.add(JobRun(task="recalculate_gpa", args=[[student.id]], outcome="FAILED", error="boom",
                          started_at=clock.now(), finished_at=clock.now(), created_at=clock.now()))
    db.session.add(JobRun(task="ping", args=[], outcome="FAILED", error="boom", created_at=clock.now()))
    db.session.commit()
    assert jobs.failed_count() == 2
    first = jobs.failed_runs()[-1]
    assert jobs.retry_failed(first.id) == 1
    assert jobs.failed_count() == 1
    with pytest.raises(DomainError):
        jobs.retry_failed(first.id)  # no longer failed
    assert jobs.purge_failed() == 1 and jobs.failed_count() == 0


def test_a_periodic_job_without_a_success_within_twice_its_period_is_overdue():
    states = {s.name: s for s in jobs.periodic_states()}
    assert states["expire_and_warn_incs"].overdue  # never ran
    tasks.expire_and_warn_incs.call_local()
    states = {s.name: s for s in jobs.periodic_states()}
    assert not states["expire_and_warn_incs"].overdue
    run = states["expire_and_warn_incs"].last_success
    run.finished_at = clock.now() - timedelta(days=2, minutes=1)
    db.session.commit()
    assert {s.name: s for s in jobs.periodic_states()}["expire_and_warn_incs"].overdue


# --- each task: immediate mode, twice in a row, nothing new the second time -------------------------

def test_inc_expiry_job_expires_and_warns_with_the_school_date_and_changes_nothing_the_second_time(monkeypatch):
    offering = make_class(is_major=True)
    due, soon = add_to_class(offering), add_to_class(offering)
    post_grades(offering, {due.id: "INC", soon.id: "INC"})
    records = {r.subject_enrollment_id: r for r in db.session.scalars(select(IncRecord))}
    records[due.id].base_deadline = clock.today()
    records[soon.id].base_deadline = clock.today() + timedelta(days=10)
    db.session.commit()
    assert tasks.expire_and_warn_incs.call_local() == {"expired": 1, "warned": 1}
    notes = _count(Notification)
    assert tasks.expire_and_warn_incs.call_local() == {"expired": 0, "warned": 0}
    assert _count(Notification) == notes
    assert db.session.get(SubjectEnrollment, due.id).grade == "5.00"
    assert [r.outcome for r in _runs("expire_and_warn_incs")] == ["SUCCEEDED", "SUCCEEDED"]


def test_weekly_gpa_batch_twice_changes_nothing_the_second_time():
    offering = make_class(units=3)
    se = add_to_class(offering)
    post_grades(offering, {se.id: "2.00"})
    student = se.enrollment.student
    student.cumulative_gpa = None
    db.session.commit()
    tasks.recalculate_all_gpa.call_local()
    db.session.refresh(student)
    assert student.cumulative_gpa == Decimal("2.00")
    tasks.recalculate_all_gpa.call_local()
    db.session.refresh(student)
    assert student.cumulative_gpa == Decimal("2.00")


def test_nightly_conflict_check_twice_notifies_nobody_twice():
    first = tasks.nightly_schedule_conflict_check.call_local()
    second = tasks.nightly_schedule_conflict_check.call_local()
    assert second["new"] == 0 and second["open"] == first["open"]


def _enrollment_with_term_start(start: date, paid_months: int = 0):
    term = make_term()
    term.start_date = start
    db.session.commit()
    enrollment = make_enrollment(term=term)
    for bucket in enrollment.buckets:
        if bucket.month <= paid_months:
            bucket.paid = bucket.required
    db.session.commit()
    return enrollment


def test_payment_reminders_go_once_per_enrollment_for_the_month_coming_due(monkeypatch):
    day = date(2026, 9, 25)  # a term starting in August: month 3 falls due in October
    monkeypatch.setattr(clock, "today", lambda: day)
    owing = _enrollment_with_term_start(date(2026, 8, 10), paid_months=2)
    paid = make_enrollment(term=owing.term)
    for bucket in paid.buckets:
        bucket.paid = bucket.required
    db.session.commit()
    assert tasks.send_payment_reminders.call_local() == 1
    assert tasks.send_payment_reminders.call_local() == 0
    reminder = db.session.scalar(select(PaymentReminder))
    assert (reminder.term_enrollment_id, reminder.due_month, reminder.bucket_month) == (owing.id, date(2026, 10, 1), 3)
    note = db.session.scalar(select(Notification).where(Notification.kind == "payment_reminder"))
    assert note.user_id == owing.student.user_id and "installment 3" in note.message
    # The reminder names the month's due date, the one the payments page shows.
    assert "October 15, 2026" in note.message


def test_payment_reminders_skip_a_term_whose_months_are_over(monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: date(2026, 9, 25))
    enrollment = _enrollment_with_term_start(date(2026, 1, 5))
    enrollment.term.end_date = date(2026, 12, 1)
    db.session.commit()
    assert reminders.bucket_due_in(enrollment.term, date(2026, 10, 1)) == 10
    assert db.session.scalar(select(func.max(MonthBucket.month))) == 6
    assert tasks.send_payment_reminders.call_local() == 0


def test_monthly_archive_deletes_old_read_notifications_and_dead_tokens_only_on_the_first(monkeypatch):
    user = make_user()
    long_ago = clock.now() - timedelta(days=400)
    db.session.add_all([
        Notification(user_id=user.id, kind="announcement", message="old read", created_at=long_ago, read_at=long_ago),
        Notification(user_id=user.id, kind="announcement", message="old unread", created_at=long_ago),
        Notification(user_id=user.id, kind="announcement", message="new read", created_at=clock.now(),
                     read_at=clock.now()),
        ApiToken(user_id=user.id, name="dead", token_hash="x" * 64, prefix="rw_x", created_at=long_ago,
                 expires_at=long_ago),
        JobRun(task="ping", args=[], outcome="SUCCEEDED", created_at=long_ago),
        JobRun(task="ping", args=[], outcome="FAILED", created_at=long_ago),
    ])
    db.session.commit()
    monkeypatch.setattr(clock, "today", lambda: date(2026, 11, 30))
    assert tasks.monthly_archive.call_local() is None
    monkeypatch.setattr(clock, "today", lambda: date(2026, 12, 1))
    assert tasks.monthly_archive.call_local() == {"notifications": 1, "job_runs": 1, "mail": 0, "tokens": 1}
    assert sorted(n.message for n in db.session.scalars(select(Notification))) == ["new read", "old unread"]
    assert tasks.monthly_archive.call_local() == {"notifications": 0, "job_runs": 0, "mail": 0, "tokens": 0}
    assert _count(JobRun, JobRun.outcome == "FAILED") == 1  # failed runs wait for an admin
    assert _count(AuditEntry, AuditEntry.action == "archive.monthly") == 1


# --- the mail outbox -------------------------------------------------------------------------------

def test_notifications_land_in_the_outbox_once_and_wait_without_smtp(app):
    from richwell.services.platform import notifications

    user = make_user()
    with unit_of_work():
        notifications.notify(user.id, "announcement", "Classes resume Monday.")
    assert tasks.send_outbox.call_local() == {"collected": 1, "sent": 0, "failed": 0}
    assert tasks.send_outbox.call_local() == {"collected": 0, "sent": 0, "failed": 0}
    mail = db.session.scalar(select(OutboxEmail))
    assert (mail.to_address, mail.status, mail.body) == (user.email, "PENDING", "Classes resume Monday.")
    assert outbox.waiting() == [mail]


def test_with_smtp_the_outbox_is_mailed_once_and_failures_are_retried(app, monkeypatch):
    from richwell.services.platform import notifications

    sent, fail = [], {"n": 1}

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            assert host == "smtp.test"

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, message):
            if fail["n"]:
                fail["n"] -= 1
                raise OSError("connection reset")
            sent.append(message["To"])

    user = make_user()
    with unit_of_work():  # before SMTP is configured, so that only the runs below mail it
        notifications.notify(user.id, "announcement", "Hello")
    monkeypatch.setitem(app.config, "SMTP_HOST", "smtp.test")
    monkeypatch.setattr(outbox.smtplib, "SMTP", FakeSMTP)
    assert tasks.send_outbox.call_local() == {"collected": 1, "sent": 0, "failed": 0}
    assert db.session.scalar(select(OutboxEmail)).last_error == "OSError: connection reset"
    assert tasks.send_outbox.call_local() == {"collected": 0, "sent": 1, "failed": 0}
    assert tasks.send_outbox.call_local() == {"collected": 0, "sent": 0, "failed": 0}
    assert sent == [user.email]


def test_archive_keeps_the_outbox_row_of_a_deleted_notification():
    user = make_user()
    long_ago = clock.now() - timedelta(days=400)
    note = Notification(user_id=user.id, kind="announcement", message="old", created_at=long_ago, read_at=long_ago)
    db.session.add(note)
    db.session.flush()
    db.session.add(OutboxEmail(notification_id=note.id, to_address=user.email, subject="s", body="old",
                               created_at=clock.now()))
    db.session.commit()
    assert archive.run()["notifications"] == 1
    assert db.session.scalar(select(OutboxEmail)).notification_id is None


def test_payment_sweeps_twice_in_a_row_change_nothing_the_second_time(app):
    from richwell.models import ExamPermit
    from tests.factories import make_cashier, pay

    enrollment = make_enrollment(make_student(), make_term())
    paid = pay(enrollment, "5000", cashier=make_cashier())  # month 1 paid: the PRELIM permit
    payment = db.session.get(Payment, paid.payment_id)
    db.session.execute(ExamPermit.__table__.delete())  # as if the issue had been missed
    payment.receipt_pdf_path = None  # and the PDF never written
    db.session.commit()
    assert tasks.sweep_exam_permits.call_local() == 1
    assert tasks.sweep_exam_permits.call_local() == 0
    assert tasks.sweep_receipt_pdfs.call_local() == 1
    assert tasks.sweep_receipt_pdfs.call_local() == 0
    assert tasks.generate_receipt_pdf.call_local(payment.id).endswith(".pdf")
    assert [r.outcome for r in _runs("sweep_exam_permits")] == ["SUCCEEDED", "SUCCEEDED"]
