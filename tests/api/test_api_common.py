"""The shared API field types and helpers the audience modules build on."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import marshmallow as ma
import pytest

from richwell.api.common import MAX_ID, Id, Money, Text, UTCDateTime, _flatten


class _Body(ma.Schema):
    amount = Money(required=True)
    enrollment_id = Id(required=True)
    note = Text(load_default=None)
    at = UTCDateTime()


def test_money_is_dumped_as_a_string_with_exactly_two_decimals():
    dumped = _Body().dump({"amount": Decimal("5000"), "enrollment_id": 1})
    assert dumped["amount"] == "5000.00"
    assert _Body().dump({"amount": Decimal("0.5")})["amount"] == "0.50"


@pytest.mark.parametrize("raw,expected", [("1500", "1500.00"), ("1500.5", "1500.50"), (" 0.01 ", "0.01"),
                                          ("1000000.00", "1000000.00")])
def test_money_accepts_plain_amount_strings(raw, expected):
    assert _Body().load({"amount": raw, "enrollment_id": 1})["amount"] == Decimal(expected)


@pytest.mark.parametrize("raw", [1500, 1500.5, True, None, "", "1,500.00", "1e3", "NaN", "Infinity", "-5.00", "0",
                                 "0.00", "0.001", "1000000.01", "9" * 40, "12.3.4", "PHP 100"])
def test_money_refuses_floats_and_anything_but_a_sane_amount(raw):
    with pytest.raises(ma.ValidationError) as caught:
        _Body().load({"amount": raw, "enrollment_id": 1})
    assert "amount" in caught.value.messages


@pytest.mark.parametrize("raw", ["5", 5.0, 5.5, True, 0, -1, MAX_ID + 1, 10 ** 30, None, [5]])
def test_ids_are_real_integers_in_the_databases_range(raw):
    with pytest.raises(ma.ValidationError) as caught:
        _Body().load({"amount": "1.00", "enrollment_id": raw})
    assert "enrollment_id" in caught.value.messages
    assert _Body().load({"amount": "1.00", "enrollment_id": MAX_ID})["enrollment_id"] == MAX_ID


@pytest.mark.parametrize("raw", ["a\x00b", "lone \ud800 surrogate"])
def test_text_refuses_what_no_database_can_store(raw):
    with pytest.raises(ma.ValidationError):
        _Body().load({"amount": "1.00", "enrollment_id": 1, "note": raw})


def test_datetimes_are_utc_with_the_offset_spelled_out():
    manila = timezone(timedelta(hours=8))
    assert _Body().dump({"at": datetime(2026, 6, 1, 8, 30, tzinfo=manila)})["at"] == "2026-06-01T00:30:00+00:00"


def test_field_errors_are_flattened_per_field():
    messages = {"json": {"amount": ["Bad."], "items": {0: {"code": ["Missing."]}}, "_schema": ["Invalid input type."]}}
    assert _flatten(messages) == {"amount": ["Bad."], "items.0.code": ["Missing."], "body": ["Invalid input type."]}
