"""Small SQL pieces the reports share: the school's calendar day of a stored moment, and
the UTC bounds of a range of school days (so a date filter can use the column's index)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Date, func, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from richwell.models import Money
from richwell.services.platform import clock


class manila_day(FunctionElement[date]):
    """The Asia/Manila calendar date of a UTC timestamp column (grouping by school day)."""

    type = Date()
    inherit_cache = True
    name = "manila_day"


@compiles(manila_day)
def _manila_day_pg(element: manila_day, compiler: SQLCompiler, **kw: Any) -> str:
    return "CAST((%s AT TIME ZONE 'Asia/Manila') AS DATE)" % compiler.process(element.clauses, **kw)


@compiles(manila_day, "sqlite")
def _manila_day_sqlite(element: manila_day, compiler: SQLCompiler, **kw: Any) -> str:
    # Manila is UTC+8 all year (no daylight saving), so a fixed shift is exact.
    return "date(%s, '+8 hours')" % compiler.process(element.clauses, **kw)


def day_start_utc(day: date) -> datetime:
    """The first moment of a school day, in UTC."""
    return clock.day_start(day).astimezone(timezone.utc)


def day_range_utc(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC covering the school days first..last inclusive."""
    return day_start_utc(first), day_start_utc(last + timedelta(days=1))


def money_sum(expr: Any) -> ColumnElement[Decimal]:
    """SUM of a money expression read back as pesos (columns hold whole centavos)."""
    return type_coerce(func.coalesce(func.sum(expr), 0), Money())


def as_money(expr: Any) -> ColumnElement[Decimal]:
    """A centavo expression (a subquery's sum) read back as pesos."""
    return type_coerce(expr, Money())
