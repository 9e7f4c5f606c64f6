"""Issue 15: two batch recomputations at once never collide (PostgreSQL advisory lock):
two GPA recomputations (full and per student) and two reminder runs side by side."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import Student, TermGpa
from richwell.services.grades import gpa
from tests.factories import add_to_class, make_class, make_student, make_term

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
