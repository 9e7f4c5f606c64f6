"""Issue 15: two batch recomputations at once never collide (PostgreSQL advisory lock):
two GPA recomputations (full and per student) and two reminder runs side by side."""
from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import Student, TermGpa
from richwell.services.grades import gpa
from tests.factories import add_to_class, make_class, make_enrollment, make_student, make_term

pytestmark = pytest.mark.postgres


def _race(app, *calls):
    """Each call in its own thread and app context (its own connection), lined up by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        with app.app_context():
            barrier.wait()
            try:
                results[i] = call()
            except Exception as error:  # noqa: BLE001 - the test asserts nothing failed
                results[i] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def _graded_students(count: int):
    term = make_term(current=False, academic_year="2025-2026")
    students = []
    for n in range(count):
        student = make_student()
        for units, grade in ((3, "1.50"), (3, "2.00"), (2, "5.00" if n % 3 == 0 else "1.25")):
            offering = make_class(program=student.program, term=term, units=units)
            add_to_class(offering, student, status="FAILED" if grade == "5.00" else "PASSED", grade=grade)
        students.append(student)
    return students


@pytest.mark.parametrize("round_", range(3))
def test_two_gpa_recomputations_at_once_both_finish(app, round_):
    students = _graded_students(12)
    ids = [s.id for s in students]
    gpa.recompute_all()  # rows exist already: both runs delete and insert the same keys
    calls = [gpa.recompute_all, gpa.recompute_all, lambda: gpa.recompute_all(ids),
             lambda: gpa.recompute_student(ids[0])]
    results = _race(app, *calls)
    assert results == [None] * len(calls), results
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(TermGpa)) == len(students)
    for student in students:
        expected = gpa.compute_for_student(student.id).cumulative_gpa
        assert db.session.get(Student, student.id).cumulative_gpa == expected
        assert expected in {Decimal("2.56"), Decimal("1.63")}


def test_two_reminder_runs_at_once_remind_each_enrollment_once(app, monkeypatch):
    from richwell.models import Notification, PaymentReminder
    from richwell.services import finance
    from richwell.services.platform import clock
    from tests.unit.test_jobs import _enrollment_with_term_start

    day = date(2026, 9, 25)  # a term starting in August: month 3 falls due in October
    monkeypatch.setattr(clock, "today", lambda: day)
    first = _enrollment_with_term_start(date(2026, 8, 10), paid_months=2)
    owing = [first]
    for _ in range(7):
        enrollment = make_enrollment(term=first.term)
        for bucket in enrollment.buckets[:2]:
            bucket.paid = bucket.required
        owing.append(enrollment)
    db.session.commit()
    results = _race(app, finance.send_payment_reminders, finance.send_payment_reminders,
                    finance.send_payment_reminders)
    assert not any(isinstance(r, Exception) for r in results), results
    assert sum(results) == len(owing)  # one run reminded them; the others found nothing left
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PaymentReminder)) == len(owing)
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.kind == "payment_reminder")) == len(owing)
