"""The unit of work: one commit at the outermost level, nested calls join it, a rollback on any
exception, after-commit work only once the data is durable, staged rows written with the commit."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, PendingRollbackError

from richwell.extensions import db
from richwell.models import AuditEntry, Notification
from richwell.services.platform import audit, notifications, queue
from richwell.services.platform.unit_of_work import (
    after_commit,
    after_rollback,
    discard,
    in_unit_of_work,
    queue_task,
    transactional,
    unit_of_work,
)
from tests.factories import make_cashier


def _audit_count(action: str) -> int:
    with db.engine.connect() as other:  # what another connection sees: only committed rows
        return other.execute(select(func.count(AuditEntry.id)).where(AuditEntry.action == action)).scalar_one()


def test_nested_units_join_the_outer_transaction_and_commit_once():
    commits = []
    session = db.session()
    original = session.commit

    def counting_commit():
        commits.append(1)
        original()

    session.commit = counting_commit
    try:
        with unit_of_work():
            audit.record(None, "test.outer")
            with unit_of_work():
                assert in_unit_of_work()
                audit.record(None, "test.inner")
            assert commits == []  # the inner one committed nothing
            assert _audit_count("test.inner") == 0
    finally:
        session.commit = original
    assert commits == [1]
    assert _audit_count("test.outer") == 1 and _audit_count("test.inner") == 1
    assert not in_unit_of_work()


def test_an_exception_in_a_nested_unit_rolls_back_the_whole_transaction():
    ran = []
    with pytest.raises(ValueError):
        with unit_of_work():
            audit.record(None, "test.outer_kept")
            after_commit(lambda: ran.append("outer"))
            with unit_of_work():
                after_commit(lambda: ran.append("inner"))
                raise ValueError("refused")
    assert _audit_count("test.outer_kept") == 0
    assert ran == []  # after-commit work never runs after a rollback
    assert not in_unit_of_work()


def test_after_rollback_runs_only_when_the_outermost_unit_rolls_back():
    undone = []
    with unit_of_work():
        with unit_of_work():
            after_rollback(lambda: undone.append("committed one"))
    assert undone == []
    with pytest.raises(KeyError):
        with unit_of_work():
            with unit_of_work():
                after_rollback(lambda: undone.append("inner"))
            raise KeyError("outer fails after the inner unit ended")
    assert undone == ["inner"]


def test_after_commit_runs_once_the_data_is_durable_in_order():
    seen = []

    def look():
        seen.append(_audit_count("test.durable"))

    with unit_of_work():
        audit.record(None, "test.durable")
        after_commit(look)
        after_commit(lambda: seen.append("second"))
        assert seen == []
    assert seen == [1, "second"]


def test_a_failing_after_commit_callback_does_not_undo_or_fail_the_change():
    def broken():
        raise RuntimeError("mail server down")

    with unit_of_work():
        audit.record(None, "test.kept_despite_callback")
        after_commit(broken)
    assert _audit_count("test.kept_despite_callback") == 1


def test_staged_rows_are_one_insert_per_table_sent_with_the_commit():
    user = make_cashier()
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT"):
            statements.append(statement)

    from sqlalchemy import event

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with unit_of_work():
            for n in range(5):
                audit.record(user, "test.bulk", target_type="X", target_id=n)
                notifications.notify(user.id, "announcement", f"Note {n}")
            assert statements == []  # nothing sent before the commit
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 2
    assert _audit_count("test.bulk") == 5
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == user.id)) == 5


def test_queue_task_asks_after_the_commit_and_once_per_request():
    asked = []

    class Recorder:
        periodic: dict = {}

        def enqueue(self, name, *args):
            asked.append((name, args, _audit_count("test.queued")))
            return True

        def knows(self, name):
            return True

        def counts(self):
            return 0, 0

    saved = queue.current()
    queue.register(Recorder())
    try:
        with unit_of_work():
            audit.record(None, "test.queued")
            queue_task("recalculate_gpa", [1, 2])
            queue_task("recalculate_gpa", [1, 2])  # the same request twice: queued once
            queue_task("recalculate_gpa", [3])
            assert asked == []
        with pytest.raises(RuntimeError):
            with unit_of_work():
                queue_task("recalculate_gpa", [9])
                raise RuntimeError("rolled back")
    finally:
        queue.register(saved)
    assert asked == [("recalculate_gpa", ([1, 2],), 1), ("recalculate_gpa", ([3],), 1)]


def test_transactional_functions_compose_into_one_transaction():
    @transactional
    def inner():
        audit.record(None, "test.composed_inner")

    @transactional
    def outer():
        inner()
        assert _audit_count("test.composed_inner") == 0
        raise LookupError("undo both")

    with pytest.raises(LookupError):
        outer()
    assert _audit_count("test.composed_inner") == 0


def test_what_a_step_left_uncommitted_outside_a_unit_is_discarded_and_never_inside_one():
    from richwell.models import Setting
    from richwell.services.platform.unit_of_work import discard

    db.session.add(Setting(key="test.left_open", value=1))
    db.session.flush()
    discard()
    assert db.session.get(Setting, "test.left_open") is None
    with pytest.raises(RuntimeError):
        with unit_of_work():
            discard()


def test_discard_ends_a_failed_transaction_so_an_error_page_can_read():
    db.session.add(AuditEntry(action=None))  # action is NOT NULL: the flush fails
    with pytest.raises(IntegrityError):
        db.session.flush()
    with pytest.raises(PendingRollbackError):
        db.session.scalar(select(func.count(AuditEntry.id)))
    discard()
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_discard_inside_a_unit_of_work_is_refused_and_the_unit_rolls_back():
    with pytest.raises(RuntimeError, match="discard"):
        with unit_of_work():
            audit.record(None, "test.discarded_inside")
            discard()
    assert _audit_count("test.discarded_inside") == 0
    assert not in_unit_of_work()
