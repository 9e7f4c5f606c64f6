"""Who may read a student's enrollment records is decided by the service: a student their own,
registrars and administrators any, anyone else finds nothing (no existence leak)."""
from __future__ import annotations

import pytest

from richwell.extensions import db
from richwell.models import Role
from richwell.services import enrollment
from richwell.services.platform.errors import NotFound
from tests.factories import make_enrollment, make_student, make_user


def test_a_student_reads_only_their_own_term_enrollments_and_subjects():
    mine, theirs = make_enrollment(), make_enrollment()
    me = mine.student.user
    assert enrollment.term_enrollment_for(mine.id, me).id == mine.id
    assert enrollment.subjects_of(mine.id, me) == []
    assert [te.id for te in db.session.scalars(enrollment.term_enrollments_of(me))] == [mine.id]
    for read in (enrollment.term_enrollment_for, enrollment.subjects_of):
        with pytest.raises(NotFound, match="That enrollment does not exist."):
            read(theirs.id, me)


@pytest.mark.parametrize("role", [Role.REGISTRAR, Role.HEAD_REGISTRAR, Role.ADMIN])
def test_registrars_and_administrators_read_any_enrollment(role):
    te = make_enrollment()
    assert enrollment.term_enrollment_for(te.id, make_user(role)).id == te.id


@pytest.mark.parametrize("role", [Role.CASHIER, Role.PROFESSOR, Role.ADMISSION])
def test_other_staff_find_no_enrollment(role):
    te = make_enrollment()
    with pytest.raises(NotFound):
        enrollment.term_enrollment_for(te.id, make_user(role))


def test_a_student_account_without_a_record_has_nothing_to_show():
    with pytest.raises(NotFound, match="There is no student record for this account."):
        enrollment.student_of(make_user(Role.STUDENT))
    student = make_student()
    assert enrollment.student_of(student.user).id == student.id
