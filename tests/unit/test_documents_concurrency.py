"""Release numbers under concurrency, proven on PostgreSQL with real threads (SQLite drops FOR
UPDATE): twenty registrars releasing at once get 1..20 with no gap and no repeat, and a
honorable dismissal released twice at once stands only once."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import DocumentRelease, Role, StudentStatusChange, User
from richwell.services import documents
from richwell.services.documents import commands
from richwell.services.platform.clock import today
from richwell.services.platform.errors import Conflict
from tests.factories import make_student, make_term, make_user
from tests.races import run_together

pytestmark = pytest.mark.postgres




def test_twenty_concurrent_releases_get_gapless_numbers(app):
    make_term()
    students = [make_student().id for _ in range(20)]
    registrars = [make_user(Role.REGISTRAR).id for _ in range(5)]

    def release(i):
        actor = db.session.get(User, registrars[i % 5])
        return documents.release(actor, students[i], kind="CGM", purpose="Employment").number

    numbers, errors = run_together(app, 20, release)
    assert errors == []
    year = today().year
    assert sorted(numbers) == [f"CGM-{year}-{n:06d}" for n in range(1, 21)]
    assert db.session.scalar(select(func.count()).select_from(DocumentRelease)) == 20


def test_a_release_that_fails_after_taking_its_number_gives_it_back(app, monkeypatch):
    make_term()
    students = [make_student().id for _ in range(10)]
    registrar_id = make_user(Role.REGISTRAR).id
    record = commands.audit.record

    def failing_record(actor, action, target=None, **kwargs):
        if action == "document.release" and target.purpose == "fail":
            raise RuntimeError("the disk is full")  # after the number was taken
        return record(actor, action, target, **kwargs)

    monkeypatch.setattr(commands.audit, "record", failing_record)

    def release(i):
        actor = db.session.get(User, registrar_id)
        return documents.release(actor, students[i], kind="CGM", purpose="fail" if i % 2 else "Employment").number

    numbers, errors = run_together(app, 10, release)
    assert len(errors) == 5 and all(isinstance(e, RuntimeError) for e in errors)
    year = today().year
    assert sorted(numbers) == [f"CGM-{year}-{n:06d}" for n in range(1, 6)]


def test_an_honorable_dismissal_released_twice_at_once_stands_once(app):
    make_term()
    student = make_student()
    registrar_ids = [make_user(Role.REGISTRAR).id for _ in range(8)]
    student_id = student.id

    def release(i):
        actor = db.session.get(User, registrar_ids[i])
        return documents.release(actor, student_id, kind="HD", purpose="Transfer").number

    numbers, errors = run_together(app, 8, release)
    assert len(numbers) == 1 and len(errors) == 7
    assert all(isinstance(e, Conflict) for e in errors), errors
    assert db.session.scalar(select(func.count()).select_from(DocumentRelease)) == 1
    assert db.session.scalar(select(func.count()).select_from(StudentStatusChange).where(
        StudentStatusChange.student_id == student_id)) == 1
