"""Concurrency on PostgreSQL (SQLite drops FOR UPDATE): the grade sheet row serializes
finalization and entry; a change request is decided once."""
import threading

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import GradeEntry, GradeSheet, GradeVersion, Notification, Role, User
from richwell.services import grades as grades_service
from richwell.services.platform.errors import DomainError
from tests.factories import add_to_class, make_class, make_user, post_grades

pytestmark = pytest.mark.postgres


def _race(app, *calls):
    """Run each call in its own thread and app context, lined up by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        with app.app_context():
            barrier.wait()
            try:
                results[i] = call()
            except DomainError as error:
                db.session.rollback()
                results[i] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def _count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_two_registrars_finalizing_at_once_post_the_grades_once(app):
    offering = make_class()
    rows = [add_to_class(offering) for _ in range(5)]
    professor = db.session.get(User, offering.professor_id)
    for se in rows:
        grades_service.save_draft(professor, offering.id, se.id, "2.00")
    grades_service.submit_sheet(professor, offering.id)
    ids = [make_user(Role.REGISTRAR).id, make_user(Role.REGISTRAR).id]
    offering_id = offering.id

    def finalize(user_id):
        return lambda: grades_service.finalize(db.session.get(User, user_id), [offering_id])

    results = _race(app, finalize(ids[0]), finalize(ids[1]))
    assert sorted(type(r).__name__ for r in results) == ["DomainError", "list"]
    assert _count(GradeVersion, GradeVersion.source == "FINALIZATION") == 5
    assert _count(Notification, Notification.kind == "grade_posted") == 5


def test_entry_racing_finalization_never_changes_a_posted_grade(app):
    offering = make_class()
    a, b = add_to_class(offering), add_to_class(offering)
    professor = db.session.get(User, offering.professor_id)
    grades_service.save_draft(professor, offering.id, a.id, "2.00")
    grades_service.save_draft(professor, offering.id, b.id, "2.00")
    grades_service.submit_sheet(professor, offering.id)
    registrar = make_user(Role.REGISTRAR)
    grades_service.reopen_sheet(registrar, offering.id, "one more look", offering.section.term.grade_deadline)
    grades_service.submit_sheet(professor, offering.id)
    offering_id, professor_id, registrar_id, a_id = offering.id, professor.id, registrar.id, a.id
    results = _race(
        app,
        lambda: grades_service.finalize(db.session.get(User, registrar_id), [offering_id]),
        lambda: grades_service.save_draft(db.session.get(User, professor_id), offering_id, a_id, "1.00"))
    assert isinstance(results[1], DomainError)  # submitted, then final: the draft is refused
    db.session.expire_all()
    assert db.session.get(type(a), a_id).grade == "2.00"


def test_two_tabs_saving_on_a_new_sheet_both_land(app):
    offering = make_class()
    a, b = add_to_class(offering), add_to_class(offering)
    professor_id, offering_id, a_id, b_id = offering.professor_id, offering.id, a.id, b.id

    def save(se_id, value):
        return lambda: grades_service.save_draft(db.session.get(User, professor_id), offering_id, se_id, value)

    results = _race(app, save(a_id, "1.00"), save(b_id, "2.00"))
    assert results == ["1.00", "2.00"]
    assert _count(GradeSheet) == 1 and _count(GradeEntry) == 2


def test_a_change_request_is_decided_once(app):
    offering = make_class()
    se = add_to_class(offering)
    post_grades(offering, {se.id: "2.00"})
    request = grades_service.request_change(db.session.get(User, offering.professor_id), se.id, "1.50", "recheck")
    ids = [make_user(Role.REGISTRAR).id, make_user(Role.HEAD_REGISTRAR).id]
    request_id = request.id

    def approve(user_id):
        return lambda: grades_service.decide_change(db.session.get(User, user_id), request_id, True)

    results = _race(app, approve(ids[0]), approve(ids[1]))
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "GradeChangeRequest"]
    assert _count(GradeVersion, GradeVersion.source == "CHANGE_REQUEST") == 1
