"""Installment due dates (README "Installment due dates")."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

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


def test_dated_buckets_mark_unpaid_months_past_their_due_date_as_overdue():
    from types import SimpleNamespace

    from richwell.services.finance.rules import dated_buckets

    rows = [SimpleNamespace(month=1, required=Decimal("3000.00"), paid=Decimal("3000.00")),
            SimpleNamespace(month=2, required=Decimal("3000.00"), paid=Decimal("1000.00")),
            SimpleNamespace(month=3, required=Decimal("3000.00"), paid=Decimal("0.00"))]
    months = dated_buckets(rows, date(2026, 8, 10), 15, date(2026, 10, 1))
    assert [m.due for m in months] == [date(2026, 8, 10), date(2026, 9, 15), date(2026, 10, 15)]
    # Month 1 is long past its date but paid; month 2 is 16 days late; month 3 not yet due.
    assert [m.days_overdue for m in months] == [0, 16, 0]
    assert [m.is_overdue for m in months] == [False, True, False]
