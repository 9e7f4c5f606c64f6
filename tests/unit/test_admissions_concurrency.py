"""Student numbers under concurrent applications (row locks: PostgreSQL only)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import Student, StudentNumberCounter
from richwell.services import admissions
from richwell.services.platform import clock
from richwell.services.platform.errors import Conflict
from tests.factories import application_values, open_admissions

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("empty_uploads")]


def _race(app, payloads: list[dict]) -> tuple[list[str], list[Exception]]:
    barrier = threading.Barrier(len(payloads))
    numbers: list[str] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def apply(values):
        with app.app_context():
            barrier.wait()
            try:
                number = admissions.submit_application(**values).student_number
                with lock:
                    numbers.append(number)
            except Exception as error:  # noqa: BLE001 - collected and asserted below
                with lock:
                    errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=apply, args=(values,)) for values in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return numbers, errors


def test_twenty_concurrent_applications_get_twenty_distinct_consecutive_numbers(app):
    program = open_admissions()
    payloads = [application_values(program) for _ in range(20)]
    db.session.commit()
    numbers, errors = _race(app, payloads)
    assert errors == []
    year = clock.today().year
    assert sorted(numbers) == [f"{year}-{n:05d}" for n in range(1, 21)]
    assert db.session.scalar(select(StudentNumberCounter.last_value).where(StudentNumberCounter.year == year)) == 20


def test_concurrent_applications_with_one_email_create_one_student(app):
    program = open_admissions()
    payloads = [application_values(program, email="same.person@example.com") for _ in range(5)]
    payloads += [application_values(program) for _ in range(5)]
    db.session.commit()
    numbers, errors = _race(app, payloads)
    assert len(numbers) == 6 and len(errors) == 4
    assert all(isinstance(e, Conflict) for e in errors)
    year = clock.today().year
    # The refused applications gave their numbers back: still no gap.
    assert sorted(numbers) == [f"{year}-{n:05d}" for n in range(1, 7)]
    assert db.session.scalar(select(func.count(Student.id))) == 6
