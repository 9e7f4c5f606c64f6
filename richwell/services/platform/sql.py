"""SQL helpers shared by every service: the hot-path statement cache, the one multi-row
INSERT helper, and small functions that SQLite and PostgreSQL spell differently.

Each function compiles to the engine's own spelling so a batch (GPA, INC expiry) stays one
statement on both engines instead of a Python loop per row.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import Integer, Numeric, Table, insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from richwell.extensions import db


class day_number(FunctionElement):
    """A date as a whole day count, so that day_number(b) - day_number(a) = days from a to b."""

    type = Integer()
    inherit_cache = True
    name = "day_number"


@compiles(day_number)
def _day_number_pg(element, compiler, **kw):
    return "(%s - DATE '2000-01-01')" % compiler.process(element.clauses, **kw)


@compiles(day_number, "sqlite")
def _day_number_sqlite(element, compiler, **kw):
    # julianday() of a plain date is always N.5, so truncation keeps differences exact.
    return "CAST(julianday(%s) AS INTEGER)" % compiler.process(element.clauses, **kw)


class greatest(FunctionElement):
    """The larger of its arguments (GREATEST on PostgreSQL, scalar max() on SQLite)."""

    inherit_cache = True
    name = "greatest"

    @property
    def type(self):
        return self.clauses.clauses[0].type


class least(FunctionElement):
    """The smaller of its arguments (LEAST on PostgreSQL, scalar min() on SQLite)."""

    inherit_cache = True
    name = "least"

    @property
    def type(self):
        return self.clauses.clauses[0].type


@compiles(greatest)
def _greatest_pg(element, compiler, **kw):
    return "GREATEST(%s)" % compiler.process(element.clauses, **kw)


@compiles(greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw):
    return "max(%s)" % compiler.process(element.clauses, **kw)


@compiles(least)
def _least_pg(element, compiler, **kw):
    return "LEAST(%s)" % compiler.process(element.clauses, **kw)


@compiles(least, "sqlite")
def _least_sqlite(element, compiler, **kw):
    return "min(%s)" % compiler.process(element.clauses, **kw)


class hundredths(FunctionElement):
    """An integer count of hundredths as a 2-decimal number (113 → 1.13), exactly on PostgreSQL;
    SQLite has no exact decimal, and its REAL 1.13 reads back as Decimal('1.13') through
    Numeric(4, 2)."""

    type = Numeric(8, 2, asdecimal=True)
    inherit_cache = True
    name = "hundredths"


@compiles(hundredths)
def _hundredths_pg(element, compiler, **kw):
    return "(CAST(%s AS NUMERIC(10, 2)) / 100)" % compiler.process(element.clauses, **kw)


@compiles(hundredths, "sqlite")
def _hundredths_sqlite(element, compiler, **kw):
    return "(%s / 100.0)" % compiler.process(element.clauses, **kw)


_STATEMENTS: dict[tuple[Hashable, ...], Any] = {}


def cached_statement(name: str, build: Callable[..., Any], *variant: Hashable) -> Any:
    """Build a hot-path statement once per (name, variant) and reuse it: constructing
    SQLAlchemy statements costs more CPU than running them. The only statement cache."""
    key = (name, *variant)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = build(*variant)
    return stmt


def insert_rows(table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT `rows` (all with the same keys) as one statement. RETURNING makes SQLAlchemy send
    them as one multi-row INSERT from a cached statement ("insertmanyvalues"); a plain
    executemany would reach PostgreSQL as one statement per row."""
    if rows:
        db.session.execute(cached_statement("insert", lambda name: insert(table).returning(table.c.id), table.name),
                           rows)
