"""The school's clock: store UTC, reason about dates in Asia/Manila."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import overload
from zoneinfo import ZoneInfo

MANILA = ZoneInfo("Asia/Manila")


def now() -> datetime:
    """Current time in UTC (aware). Tests monkeypatch this one function."""
    return datetime.now(timezone.utc)


def day_start(day: date) -> datetime:
    """The first moment of a school day (midnight in Manila), aware: date filters compare
    stored moments against it."""
    return datetime.combine(day, time.min, tzinfo=MANILA)


def today() -> date:
    """Today's date on the school's clock (Asia/Manila)."""
    return now().astimezone(MANILA).date()


@overload
def to_manila(value: datetime) -> datetime: ...
@overload
def to_manila(value: None) -> None: ...


def to_manila(value: datetime | None) -> datetime | None:
    """A stored (UTC) moment on the school's clock, for display; None stays None."""
    if value is None:
        return None
    return value.astimezone(MANILA)
