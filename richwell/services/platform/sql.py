"""SQL helpers shared by every service: the hot-path statement cache, the one multi-row
INSERT helper, the count of rows a statement touched, and small functions that SQLite and
PostgreSQL spell differently.

Each function compiles to the engine's own spelling so a batch (GPA, INC expiry) stays one
statement on both engines instead of a Python loop per row.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, Unpack, cast

from sqlalchemy import CursorResult, Integer, Numeric, Result, Table, TextClause, TextualSelect, column, insert, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from richwell.extensions import db


class day_number(FunctionElement[int]):
    """A date as a whole day count, so that day_number(b) - day_number(a) = days from a to b."""

    type = Integer()
    inherit_cache = True
    name = "day_number"


@compiles(day_number)
def _day_number_pg(element: day_number, compiler: SQLCompiler, **kw: Any) -> str:
    return "(%s - DATE '2000-01-01')" % compiler.process(element.clauses, **kw)


@compiles(day_number, "sqlite")
def _day_number_sqlite(element: day_number, compiler: SQLCompiler, **kw: Any) -> str:
    # julianday() of a plain date is always N.5, so truncation keeps differences exact.
    return "CAST(julianday(%s) AS INTEGER)" % compiler.process(element.clauses, **kw)


class _TypedByFirstArgument(FunctionElement[Any]):
    """A function whose result has the type of its first argument."""

    inherit_cache = True

    # SQLAlchemy declares `type` as a plain attribute and overrides it with properties the same
    # way, out of the type checker's sight.
    if not TYPE_CHECKING:

        @property
        def type(self):
            return self.clauses.clauses[0].type


class greatest(_TypedByFirstArgument):
    """The larger of its arguments (GREATEST on PostgreSQL, scalar max() on SQLite)."""

    inherit_cache = True
    name = "greatest"


class least(_TypedByFirstArgument):
    """The smaller of its arguments (LEAST on PostgreSQL, scalar min() on SQLite)."""

    inherit_cache = True
    name = "least"


@compiles(greatest)
def _greatest_pg(element: greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return "GREATEST(%s)" % compiler.process(element.clauses, **kw)


@compiles(greatest, "sqlite")
def _greatest_sqlite(element: greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return "max(%s)" % compiler.process(element.clauses, **kw)


@compiles(least)
def _least_pg(element: least, compiler: SQLCompiler, **kw: Any) -> str:
    return "LEAST(%s)" % compiler.process(element.clauses, **kw)


@compiles(least, "sqlite")
def _least_sqlite(element: least, compiler: SQLCompiler, **kw: Any) -> str:
    return "min(%s)" % compiler.process(element.clauses, **kw)


class hundredths(FunctionElement[Decimal]):
    """An integer count of hundredths as a 2-decimal number (113 → 1.13), exactly on PostgreSQL;
    SQLite has no exact decimal, and its REAL 1.13 reads back as Decimal('1.13') through
    Numeric(4, 2)."""

    type = Numeric(8, 2, asdecimal=True)
    inherit_cache = True
    name = "hundredths"


@compiles(hundredths)
def _hundredths_pg(element: hundredths, compiler: SQLCompiler, **kw: Any) -> str:
    return "(CAST(%s AS NUMERIC(10, 2)) / 100)" % compiler.process(element.clauses, **kw)


@compiles(hundredths, "sqlite")
def _hundredths_sqlite(element: hundredths, compiler: SQLCompiler, **kw: Any) -> str:
    return "(%s / 100.0)" % compiler.process(element.clauses, **kw)


_STATEMENTS: dict[tuple[Hashable, ...], Any] = {}
Statement = TypeVar("Statement")


def cached_statement(name: str, build: Callable[..., Statement], *variant: Hashable) -> Statement:
    """Build a hot-path statement once per (name, variant) and reuse it: constructing
    SQLAlchemy statements costs more CPU than running them. The only statement cache."""
    key = (name, *variant)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = build(*variant)
    return cast(Statement, stmt)  # stored under its name by the same `build`


# psycopg parses a query again on every execution once it is longer than this (its parse cache
# stops at 4096 characters, counted after SQLAlchemy writes each :name as %(name)s).
PSYCOPG_CACHED_QUERY_LENGTH = 4096


def hot_sql(sql: str) -> TextClause:
    """A hot path's hand-written statement, laid out for reading in the source and sent with its
    runs of whitespace folded, so that it stays within psycopg's parse cache
    (tests/unit/test_hot_statements.py holds every one there). No string literal in it may
    rely on repeated spaces."""
    return text(" ".join(sql.split()))


def returning(statement: TextClause, names: Sequence[str], types: Mapping[str, Any] | None = None) -> TextualSelect:
    """A text statement with every column it returns declared, in its SELECT list's order (with
    the types of those a row needs converted). Declared in full, SQLAlchemy keeps the result's
    layout with the cached statement; declared in part, or not at all, it matches the cursor's
    columns by name again on every run (4 % of an enrollment's CPU). Rows are still read by
    name: the names are the cursor's (tests/conftest.py checks every run against them)."""
    types = types or {}
    return statement.columns(*(column(name, types.get(name)) for name in names))


def rowcount(result: Result[Unpack[tuple[Any, ...]]]) -> int:
    """How many rows an UPDATE, a DELETE or an INSERT ... SELECT touched. Their results are
    cursor results, which the session's `execute` does not say in its type."""
    return cast("CursorResult[Unpack[tuple[Any, ...]]]", result).rowcount or 0


def insert_rows(table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT `rows` (all with the same keys) as one statement. RETURNING makes SQLAlchemy send
    them as one multi-row INSERT from a cached statement ("insertmanyvalues"); a plain
    executemany would reach PostgreSQL as one statement per row. One row (the usual case: one
    allocation, one notification, one audit entry) is a plain INSERT: batching machinery for a
    single row costs more CPU than the statement."""
    if len(rows) == 1:
        db.session.execute(cached_statement("insert_one", lambda name: insert(table), table.name), rows[0])
    elif rows:
        db.session.execute(cached_statement("insert", lambda name: insert(table).returning(table.c.id), table.name),
                           rows)


def batch_lock(name: str) -> None:
    """Let one batch of `name` run at a time (GPA recomputation, reminders …): on PostgreSQL a
    transaction-level advisory lock, held until the caller's commit or rollback, so a second
    run waits for the first and then works on what it left (never on the same rows at once).
    SQLite already runs one writer at a time. Call it first in the batch's unit of work."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
