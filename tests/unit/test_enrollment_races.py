"""Concurrency proofs on PostgreSQL (real row locks; SQLite drops FOR UPDATE): seats and the
unit cap hold exactly when requests race."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import Offering, Subject, SubjectEnrollment, TermEnrollment, User
from richwell.services.enrollment import enroll_in_subject
from richwell.services.platform.errors import DomainError
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


def _race(app, calls):
    """Run each call in its own thread and app context (its own session), all released at once."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(call):
        with app.app_context():
            barrier.wait()
            try:
                call()
                outcome = "ok"
            except DomainError as error:
                outcome = error.code
            except Exception as error:  # noqa: BLE001  (a crash is an outcome the test must see)
                outcome = f"crash: {error!r}"
            finally:
                db.session.remove()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def _paid_student(program, term):
    te = make_enrollment(make_student(program=program), term)
    pay_first_month(te)
    return te


def test_forty_students_racing_for_the_last_five_seats_leave_exactly_five_enrolled(app):
    program = make_program(code="BSIT")
    term = make_term()
    section = new_section(term, program, "BSIT-1A")
    subject = new_subject(program, "IT101")
    offering = new_offering(subject, section, capacity=40)
    for _ in range(35):  # 35 seats really taken: 5 left
        te = _paid_student(program, term)
        enroll_in_subject(te.id, subject.id, section.id, te.student.user)
    racers = [(te.id, te.student.user_id) for te in (_paid_student(program, term) for _ in range(40))]
    ids = (subject.id, section.id, offering.id)

    def call_for(te_id, user_id):
        return lambda: enroll_in_subject(te_id, ids[0], ids[1], db.session.get(User, user_id))

    outcomes = _race(app, [call_for(te_id, user_id) for te_id, user_id in racers])
    assert sorted(set(outcomes)) == ["ok", "section_full"], outcomes
    assert outcomes.count("ok") == 5
    db.session.expire_all()
    rows = db.session.scalar(select(func.count()).select_from(SubjectEnrollment)
                             .where(SubjectEnrollment.offering_id == ids[2],
                                    SubjectEnrollment.status == "ENROLLED"))
    assert rows == 40
    assert db.session.get(Offering, ids[2]).enrolled_count == rows


def test_one_student_firing_ten_subjects_at_once_never_passes_thirty_units(app):
    program = make_program(code="BSIT")
    term = make_term()
    section = new_section(term, program, "BSIT-1A")
    student = make_student(program=program)
    te = make_enrollment(student, term)
    pay_first_month(te)
    subjects = []
    for i in range(10):  # 10 × 4 units = 40 > 30; no two classes meet at the same time
        subject = new_subject(program, f"IT{100 + i}", units=4)
        new_offering(subject, section, slots=[(i % 6, f"{7 + i:02d}:00", f"{7 + i:02d}:50")])
        subjects.append(subject.id)
    te_id, user_id, section_id = te.id, student.user_id, section.id

    def call_for(subject_id):
        return lambda: enroll_in_subject(te_id, subject_id, section_id, db.session.get(User, user_id))

    outcomes = _race(app, [call_for(sid) for sid in subjects])
    assert outcomes.count("ok") == 7 and outcomes.count("unit_cap") == 3, outcomes
    db.session.expire_all()
    units = db.session.scalar(
        select(func.sum(Subject.units)).join(SubjectEnrollment, SubjectEnrollment.subject_id == Subject.id)
        .where(SubjectEnrollment.term_enrollment_id == te_id, SubjectEnrollment.status == "ENROLLED"))
    assert units == 28 == db.session.get(TermEnrollment, te_id).enrolled_units


def test_the_same_subject_fired_twice_at_once_enrolls_once(app):
    program = make_program(code="BSIT")
    term = make_term()
    section = new_section(term, program, "BSIT-1A")
    subject = new_subject(program, "IT101")
    offering = new_offering(subject, section)
    student = make_student(program=program)
    te = make_enrollment(student, term)
    pay_first_month(te)
    args = (te.id, subject.id, section.id)
    user_id, offering_id = student.user_id, offering.id

    outcomes = _race(app, [lambda: enroll_in_subject(*args, db.session.get(User, user_id))] * 6)
    assert outcomes.count("ok") == 1 and outcomes.count("already_enrolled") == 5, outcomes
    db.session.expire_all()
    assert db.session.get(Offering, offering_id).enrolled_count == 1


def test_the_same_subject_fired_at_once_into_its_last_seat_and_units_is_already_enrolled(app):
    """The racers that lose see the winner's row (the history is read after the enrollment's
    lock), so they are told it is already enrolled, not that the section or the units are full."""
    from richwell.services.platform import settings

    program = make_program(code="BSIT")
    term = make_term()
    section = new_section(term, program, "BSIT-1A")
    subject = new_subject(program, "IT101", units=3)
    offering = new_offering(subject, section, capacity=1)
    settings.set_value(None, "max_units", 3)
    student = make_student(program=program)
    te = make_enrollment(student, term)
    pay_first_month(te)
    args = (te.id, subject.id, section.id)
    user_id, offering_id = student.user_id, offering.id

    outcomes = _race(app, [lambda: enroll_in_subject(*args, db.session.get(User, user_id))] * 6)
    assert outcomes.count("ok") == 1 and outcomes.count("already_enrolled") == 5, outcomes
    db.session.expire_all()
    assert db.session.get(Offering, offering_id).enrolled_count == 1


@pytest.mark.parametrize("named", [False, True], ids=["steps", "naming_its_enrollment"])
def test_the_same_drop_fired_at_once_frees_one_seat(app, named):
    from richwell.services.enrollment import drop_subject

    program = make_program(code="BSIT")
    term = make_term()
    section = new_section(term, program, "BSIT-1A")
    subject = new_subject(program, "IT101")
    offering = new_offering(subject, section, capacity=3)
    student = make_student(program=program)
    te = make_enrollment(student, term)
    pay_first_month(te)
    added = enroll_in_subject(te.id, subject.id, section.id, student.user)
    other = make_student(program=program)
    other_te = make_enrollment(other, term)
    pay_first_month(other_te)
    enroll_in_subject(other_te.id, subject.id, section.id, other.user)
    se_id, user_id, offering_id, te_id = added.subject_enrollment_id, student.user_id, offering.id, te.id

    outcomes = _race(app, [lambda: drop_subject(se_id, db.session.get(User, user_id),
                                                term_enrollment_id=te_id if named else None)] * 6)
    assert outcomes.count("ok") == 1 and outcomes.count("not_enrolled") == 5, outcomes
    db.session.expire_all()
    assert db.session.get(Offering, offering_id).enrolled_count == 1
    assert db.session.get(TermEnrollment, te_id).enrolled_units == 0
