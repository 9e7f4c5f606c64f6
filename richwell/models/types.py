"""Column types shared by every model: exact money and UTC timestamps."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")

# What may be handed to a money column or to money(): never a float (binary fractions of a
# peso). The float guards stay for callers that are not type checked (forms, JSON).
MoneyInput = Decimal | str | int


class Money(TypeDecorator[Decimal]):
    """Pesos as integer centavos in the database, Decimal in Python.

    SQLite has no exact decimal (Numeric goes through float there), so both
    engines store whole centavos and nothing is ever rounded silently.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: MoneyInput | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be a Decimal or str, never a float")
        amount = Decimal(value)
        if amount != amount.quantize(CENT):
            raise ValueError(f"money has more than 2 decimals: {amount}")
        return int(amount * 100)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(CENT)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both engines (SQLite hands back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use richwell.models.types.utcnow()")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    """The current moment as an aware UTC datetime (what every timestamp column stores)."""
    return datetime.now(timezone.utc)


def money(value: MoneyInput) -> Decimal:
    """A Decimal peso amount from a str/int/Decimal (never float), rounded to the centavo."""
    if isinstance(value, float):
        raise TypeError("money must be a Decimal or str, never a float")
    return Decimal(value).quantize(CENT)
