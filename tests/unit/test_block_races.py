"""Concurrency proof on PostgreSQL: students pressing "enroll in my block" at the same moment
never pass a subject's capacity, and a subject lost in the race does not cost them the others."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import Offering, SubjectEnrollment, User
from richwell.services.enrollment import enroll_in_block
from tests.factories import (
    make_enrollment,
    make_program,
    make_student,
    make_term,
    new_offering,
    new_section,
    new_subject,
    pay_first_month,
)

pytestmark = pytest.mark.postgres


def test_twelve_students_racing_for_their_block_with_three_seats_left_in_one_subject(app):
    program = make_program(code="BSIT")
    term = make_term()
    block = new_section(term, program, "BSIT-1A")
    scarce = new_offering(new_subject(program, "IT101"), block, capacity=3, slots=[(0, "08:00", "09:30")])
    roomy = [new_offering(new_subject(program, f"IT10{i}"), block, capacity=40, slots=[(i, "08:00", "09:30")])
             for i in (2, 3)]
    racers = []
    for _ in range(12):
        te = make_enrollment(make_student(program=program), term)
        pay_first_month(te)
        racers.append((te.id, te.student.user_id))
    barrier = threading.Barrier(len(racers))
    results: dict[int, object] = {}
    lock = threading.Lock()

    def worker(te_id, user_id):
        with app.app_context():
            barrier.wait()
            try:
                outcome: object = enroll_in_block(te_id, db.session.get(User, user_id))
            except Exception as error:  # noqa: BLE001 - a crash is an outcome the test must see
                outcome = f"crash: {error!r}"
            finally:
                db.session.remove()
        with lock:
            results[te_id] = outcome

    threads = [threading.Thread(target=worker, args=racer) for racer in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    crashes = [r for r in results.values() if isinstance(r, str)]
    assert not crashes and len(results) == 12, crashes
    got_scarce = [r for r in results.values() if any(o.code == "IT101" for o in r.enrolled)]
    assert len(got_scarce) == 3
    for result in results.values():
        assert {o.code for o in result.enrolled} >= {"IT102", "IT103"}  # the rest still enrolled
        assert all(o.refusal_code == "section_full" for o in result.refused)
    db.session.expire_all()
    assert db.session.get(Offering, scarce.id).enrolled_count == 3
    for offering in roomy:
        assert db.session.get(Offering, offering.id).enrolled_count == 12
    assert db.session.scalar(select(func.count()).select_from(SubjectEnrollment)
                             .where(SubjectEnrollment.offering_id == scarce.id)) == 3
