"""Installment due dates (README "Installment due dates")."""
from __future__ import annotations

from datetime import date

import pytest

from richwell.services.finance import days_overdue, month_due_date


def test_month_one_is_due_on_the_first_day_of_the_term():
    assert month_due_date(date(2026, 8, 10), 1, 15) == date(2026, 8, 10)


@pytest.mark.parametrize(("month", "due"), [
    (2, date(2026, 9, 15)), (3, date(2026, 10, 15)), (5, date(2026, 12, 15)), (6, date(2027, 1, 15)),
])
def test_later_months_fall_on_the_due_day_of_each_following_month(month, due):
    assert month_due_date(date(2026, 8, 10), month, 15) == due


def test_a_short_month_is_due_on_its_last_day():
    assert month_due_date(date(2027, 1, 4), 2, 28) == date(2027, 2, 28)
    assert month_due_date(date(2027, 12, 31), 3, 28) == date(2028, 2, 28)


def test_months_count_from_one():
    with pytest.raises(ValueError):
        month_due_date(date(2026, 8, 10), 0, 15)


def test_days_overdue_counts_only_past_the_due_date():
    assert days_overdue(date(2026, 9, 15), date(2026, 9, 15)) == 0
    assert days_overdue(date(2026, 9, 15), date(2026, 9, 1)) == 0
    assert days_overdue(date(2026, 9, 15), date(2026, 10, 16)) == 31
