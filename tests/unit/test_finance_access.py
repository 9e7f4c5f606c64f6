"""Ownership of money matters in one place: cashiers and admins see every student's account,
receipts and permits; a student only their own; anyone else none (answered as not found)."""
from __future__ import annotations

import pytest

from richwell.models import Role
from richwell.services import finance
from richwell.services.platform.errors import NotFound
from tests.factories import make_cashier, make_enrollment, make_student, make_user, pay


@pytest.mark.parametrize("role", [Role.CASHIER, Role.ADMIN])
def test_finance_staff_see_any_students_account_and_permits(role):
    enrollment = make_enrollment(commitment="1000.00")
    pay(enrollment, "1000.00")
    viewer = make_user(role)
    assert finance.account(enrollment.student_id, viewer=viewer).enrollment.id == enrollment.id
    assert finance.account_for_enrollment(enrollment.id, viewer).ledger
    assert [s.state for s in finance.permits_for_enrollment(enrollment.id, viewer)][0] == "issued"


def test_a_student_sees_only_their_own_account_and_permits():
    mine, theirs = make_enrollment(), make_enrollment()
    me = mine.student.user
    assert finance.account(mine.student_id, viewer=me).enrollment.id == mine.id
    assert finance.account_for_enrollment(mine.id, me).enrollment.id == mine.id
    assert len(finance.permits_for_enrollment(mine.id, me)) == 4
    with pytest.raises(NotFound, match="That student does not exist."):
        finance.account(theirs.student_id, viewer=me)
    for read in (finance.account_for_enrollment, finance.permits_for_enrollment):
        with pytest.raises(NotFound, match="That enrollment does not exist."):
            read(theirs.id, me)
        with pytest.raises(NotFound, match="That enrollment does not exist."):
            read(999_999, me)


def test_a_student_account_without_a_student_record_is_told_so():
    enrollment = make_enrollment()
    with pytest.raises(NotFound, match="There is no student record for this account."):
        finance.account_for_enrollment(enrollment.id, make_user(Role.STUDENT))


@pytest.mark.parametrize("role", [Role.REGISTRAR, Role.PROFESSOR, Role.ADMISSION])
def test_other_staff_see_no_students_money(role):
    enrollment = make_enrollment()
    viewer = make_user(role)
    with pytest.raises(NotFound):
        finance.account(enrollment.student_id, viewer=viewer)
    with pytest.raises(NotFound):
        finance.account_for_enrollment(enrollment.id, viewer)


def test_only_cashiers_and_admins_open_a_receipt_to_reverse_it():
    enrollment = make_enrollment(student=make_student())
    cashier = make_cashier()
    result = pay(enrollment, "100.00", cashier=cashier)  # their own, today: they reverse it alone
    owner = enrollment.student.user
    payment = finance.receipt_for(result.receipt_number, owner)
    assert not finance.can_reverse(payment, owner)
    with pytest.raises(NotFound):
        finance.receipt_to_reverse(result.receipt_number, owner)
    assert finance.receipt_to_reverse(result.receipt_number, cashier).id == result.payment_id
    assert finance.can_reverse(payment, cashier)
    finance.reverse_payment(result.payment_id, "Paid twice by mistake", cashier)
    assert not finance.can_reverse(finance.receipt_for(result.receipt_number, cashier), cashier)
