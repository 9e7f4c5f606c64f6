"""seed-demo's students step: about 60 students in varied states, idempotent."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import Program, Student, TransferCredit
from richwell.seed import staff
from richwell.seed import students as student_seed
from richwell.services.platform import accounts
from tests.factories import make_program, make_subject

pytestmark = pytest.mark.usefixtures("empty_uploads")


def _by(column) -> dict:
    return dict(db.session.execute(select(column, func.count(Student.id)).group_by(column)).all())


def test_seed_creates_about_sixty_students_in_varied_states_and_is_idempotent():
    bsit = make_program("BSIT", "Bachelor of Science in Information Technology")
    for code in ("IT101", "IT102", "IT103"):
        make_subject(bsit, code)
    staff.seed("demo-password")
    logins = student_seed.seed("demo-password")
    assert db.session.scalar(select(func.count(Student.id))) == 60
    assert set(db.session.scalars(select(Program.code))) == {"BSIT", "BSBA"}
    assert _by(Student.status) == {"ACTIVE": 48, "LOA": 6, "WITHDRAWN": 3, "GRADUATED": 3}
    assert _by(Student.admission_type)["TRANSFEREE"] == 10
    # BSIT has subjects, BSBA none: only BSIT transferees are credited.
    credits = db.session.scalars(select(TransferCredit)).all()
    assert credits and {c.subject.program.code for c in credits} == {"BSIT"}
    assert any(c.status == "DISPUTED" for c in credits)
    [(label, number)] = logins
    assert label == "Student"
    assert accounts.authenticate(number, "demo-password") is not None
    student_seed.seed("demo-password")
    assert db.session.scalar(select(func.count(Student.id))) == 60
    assert db.session.scalar(select(func.count(TransferCredit.id))) == len(credits)
