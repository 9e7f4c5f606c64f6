"""The cashier's student search: number prefix or the start of any name word, at most 20."""
from __future__ import annotations

from decimal import Decimal

from richwell.extensions import db
from richwell.models import User
from richwell.services.finance.queries import search_students
from tests.factories import make_enrollment, make_student, make_term, pay


def _numbers(q: str) -> list[str]:
    return [h.student_number for h in search_students(q)]


def test_search_by_student_number_prefix():
    a = make_student(number="2026-00042")
    make_student(number="2025-00042")
    assert _numbers("2026-000") == [a.student_number]
    assert _numbers("2026-00042") == [a.student_number]


def test_a_number_prefix_finds_exactly_the_numbers_that_start_with_it():
    # The prefix is matched as a byte range [prefix, next prefix): its edges must hold.
    for number in ("2026-00009", "2026-00010", "2026-00019", "2026-00020", "2026-0001", "20260-0010", "2026-19"):
        make_student(number=number)
    assert sorted(_numbers("2026-0001")) == sorted(["2026-0001", "2026-00010", "2026-00019"])
    assert sorted(_numbers("2026-1")) == ["2026-19"]
    assert sorted(_numbers("2026-")) == sorted(["2026-0001", "2026-00009", "2026-00010", "2026-00019", "2026-00020",
                                                "2026-19"])
    assert _numbers("2027") == [] and _numbers("9") == []


def test_search_finds_any_part_of_the_name_case_insensitively():
    maria = make_student(first_name="Maria Teresa", last_name="Dela Cruz")
    jose = make_student(first_name="Jose", last_name="Santos")
    user = db.session.get(User, jose.user_id)
    user.middle_name = "Villareal"
    db.session.commit()
    assert _numbers("CRUZ") == [maria.student_number]        # second word of a compound surname
    assert _numbers("teresa") == [maria.student_number]      # second word of a double first name
    assert _numbers("dela") == [maria.student_number]
    assert _numbers("villa") == [jose.student_number]        # middle name
    assert _numbers("maria cruz") == [maria.student_number]  # every word must match
    assert _numbers("maria santos") == []
    assert _numbers("ruz") == []                             # the start of a word, not its middle


def test_search_returns_at_most_twenty_in_name_order_with_the_current_balance():
    term = make_term()
    students = [make_student(last_name=f"Garcia{n:02d}") for n in range(25)]
    make_enrollment(student=students[0], term=term, commitment="1000.00")
    paid_up = make_enrollment(student=students[1], term=term, commitment="1000.00")
    pay(paid_up, "7000.00")
    hits = search_students("garcia")
    assert len(hits) == 20
    assert [h.name for h in hits] == sorted(h.name for h in hits)
    assert hits[0].balance == Decimal("6000.00") and hits[0].credit_balance == Decimal("0.00")
    assert hits[1].balance == Decimal("0.00") and hits[1].credit_balance == Decimal("1000.00")
    assert hits[2].balance is None and hits[2].enrollment_id is None


def test_search_treats_wildcards_as_plain_text():
    make_student(last_name="Reyes")
    assert search_students("%") == [] and search_students("_") == [] and search_students("  ") == []
    assert search_students("x" * 500) == []
