"""Issue 15: amounts and numbers are ASCII digits only ("１００", "١٠٠" are refused)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from richwell.services.finance import rules
from richwell.services.platform import settings
from richwell.services.platform.errors import ValidationError
from richwell.services.platform.text import is_plain_decimal

OTHER_SCRIPTS = ["１００", "١٠٠", "۱۰۰", "१००", "1００", "๑๐๐", "100.５０", "1,０00", "¹⁰⁰", "𝟏𝟎𝟎"]


@pytest.mark.parametrize("raw", OTHER_SCRIPTS)
def test_a_payment_amount_in_other_digits_is_refused(raw):
    with pytest.raises(ValidationError) as caught:
        rules.parse_amount(raw)
    assert caught.value.fields == {"amount": [rules.AMOUNT_HELP]}


@pytest.mark.parametrize("raw,value", [("100", "100.00"), ("1,500.50", "1500.50"), ("1000000", "1000000.00")])
def test_ascii_amounts_still_read(raw, value):
    assert rules.parse_amount(raw) == Decimal(value)


@pytest.mark.parametrize("raw", OTHER_SCRIPTS)
def test_a_money_setting_in_other_digits_is_refused(raw):
    with pytest.raises(ValidationError):
        settings.parse("min_monthly_commitment", raw)


@pytest.mark.parametrize("raw", ["３０", "٣٠", "3０"])
def test_a_whole_number_setting_in_other_digits_is_refused(raw):
    with pytest.raises(ValidationError):
        settings.parse("max_units", raw)


@pytest.mark.parametrize("raw", OTHER_SCRIPTS)
def test_a_monthly_commitment_in_other_digits_is_refused(raw):
    from richwell.services.admissions.validation import parse_commitment

    with pytest.raises(ValidationError):
        parse_commitment(raw)


def test_the_plain_decimal_rule():
    assert is_plain_decimal("1500") and is_plain_decimal("1500.50")
    assert not any(is_plain_decimal(x) for x in ["", "1e3", "NaN", "1.", ".5", "١٠٠", "１００", "1 000"])


def test_the_api_money_field_refuses_other_digits():
    import marshmallow as ma

    from richwell.api.common import Money

    field = Money()
    assert field.deserialize("100.00") == Decimal("100.00")
    for raw in ["１００", "١٠٠.٠٠"]:
        with pytest.raises(ma.ValidationError):
            field.deserialize(raw)
