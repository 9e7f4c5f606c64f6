"""System settings: every key's type is known where it is read."""
from __future__ import annotations

from decimal import Decimal
from typing import get_args

from richwell.services.platform import settings


def test_the_typed_names_of_the_settings_match_their_specs():
    kinds = {"bool": settings.BoolSetting, "int": settings.IntSetting, "money": settings.MoneySetting}
    for kind, names in kinds.items():
        assert set(get_args(names)) == {key for key, spec in settings.SPECS.items() if spec.kind == kind}


def test_a_setting_reads_as_its_kind(app):
    assert settings.get("max_units") == 30 and type(settings.get("max_units")) is int
    assert settings.get("impersonation_enabled") is False  # off until an admin allows it
    assert settings.get("min_monthly_commitment") == Decimal("1000.00")
    assert settings.typed("max_units", "27") == 27 and settings.typed("max_units", None) == 30
