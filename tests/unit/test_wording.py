"""One money format and one table of status words for everything people read."""
from __future__ import annotations

from decimal import Decimal

import pytest

from richwell.models import PaymentMethod, StudentStatus, TermEnrollmentStatus
from richwell.services.platform import wording


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("1234"), "₱\u00a01,234.00"),
    (Decimal("0.5"), "₱\u00a00.50"),
    ("7500.5", "₱\u00a07,500.50"),
    (Decimal("-1234"), "\u2212₱\u00a01,234.00"),
    (Decimal("1000000.00"), "₱\u00a01,000,000.00"),
    (None, "—"),
])
def test_money_has_the_peso_sign_a_non_breaking_space_and_a_real_minus(value, expected):
    assert wording.peso(value) == expected


def test_the_page_filter_and_service_messages_use_the_same_format(app):
    from richwell.services.enrollment.rules import pesos
    from richwell.web.filters import peso

    assert peso(Decimal("-25")) == pesos(Decimal("-25")) == wording.peso(Decimal("-25")) == "\u2212₱\u00a025.00"


def test_every_stored_status_of_people_and_enrollments_has_words():
    for enum in (StudentStatus, TermEnrollmentStatus, PaymentMethod):
        for member in enum:
            label = wording.status_label(member)
            assert label == wording.STATUS_LABELS[member.value]
            assert label != member.value or member.value.istitle()


@pytest.mark.parametrize(("value", "expected"), [
    ("LOA", "Leave of absence"), ("DONE", "Finished"), ("GCASH", "GCash"), ("BANK_TRANSFER", "Bank transfer"),
    ("SOMETHING_NEW", "Something new"), (None, "—"),
])
def test_status_words_are_never_raw_codes(value, expected):
    assert wording.status_label(value) == expected


def test_status_pill_renders_words_and_colour(app):
    with app.test_request_context():
        html = app.jinja_env.from_string(
            '{% from "macros/records.html" import status_pill %}{{ status_pill("LOA") }}{{ status_pill("DONE") }}'
        ).render()
    assert "Leave of absence" in html and "Finished" in html and "LOA" not in html and "DONE" not in html
    assert "pill-warn" in html and "pill-ok" in html
