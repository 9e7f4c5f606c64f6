"""One way in and out of a transaction.

Every service that writes does so inside `unit_of_work()`. The outermost one owns the
transaction: it commits once when its block ends and rolls back on any exception; a
unit of work opened inside another (a service calling a service) joins the outer one
and commits nothing. What must wait until the data is durable (queueing a task, moving
a staged upload, sending mail) is registered with `after_commit` and runs only after the
outermost commit, never after a rollback; `after_rollback` undoes work done outside the
database (deleting staged files) when the outermost unit rolls back.

Rows that nobody reads back inside the transaction (audit entries, notifications) are
staged with `stage_row` and sent as one multi-row INSERT per table just before the
commit: cheaper than the ORM's flush on the hot paths, and one mechanism for all.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Table
from sqlalchemy.orm import Session

from richwell.extensions import db

from . import queue
from .sql import insert_rows

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

_KEY = "richwell.unit_of_work"


@dataclass
class _Work:
    """What the outermost unit of work collects for its commit."""

    depth: int = 0
    after_commit: list[Callable[[], object]] = field(default_factory=list)
    after_rollback: list[Callable[[], object]] = field(default_factory=list)
    staged: dict[Table, list[dict[str, Any]]] = field(default_factory=dict)
    queued: set[tuple[str, str]] = field(default_factory=set)


def _current(session: Session) -> _Work | None:
    work = session.info.get(_KEY)
    return work if isinstance(work, _Work) else None


def in_unit_of_work() -> bool:
    """True inside a unit of work (what the transaction helpers below require)."""
    return _current(db.session()) is not None


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Run the block in one transaction: the outermost commits once (after sending the
    staged rows) or rolls back on any exception; nested ones join it."""
    session = db.session()
    work = _current(session)
    if work is not None:
        work.depth += 1
        try:
            yield session
        finally:
            work.depth -= 1
        return

    work = session.info[_KEY] = _Work(depth=1)
    committed = False
    try:
        yield session
        _send_staged(work)
        session.commit()
        committed = True
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_KEY, None)
        _run(work.after_commit if committed else work.after_rollback,
             "after-commit" if committed else "after-rollback")


def _run(callbacks: list[Callable[[], object]], when: str) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:  # noqa: BLE001 - the outcome is final; a sweep redoes what failed here
            log.exception("%s work failed: %r", when, callback)


def discard() -> None:
    """Roll back what a failed or finished step left open outside any unit of work, so an error
    page can read and the next unit of work starts clean (the job runner after a task body
    that lost its connection or ran past its time limit). Inside a unit of work the exception
    leaving its block does this instead."""
    session = db.session()
    if _current(session) is not None:
        raise RuntimeError("discard() inside a unit of work: let the exception leave its block instead")
    session.rollback()


def transactional(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator form: the whole function is one unit of work (or joins the caller's)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with unit_of_work():
            return fn(*args, **kwargs)

    return wrapper


def _require(what: str) -> _Work:
    work = _current(db.session())
    if work is None:
        raise RuntimeError(f"{what} needs a unit of work: call it inside `with unit_of_work():`")
    return work


def after_commit(callback: Callable[[], object]) -> None:
    """Run `callback` once the outermost unit of work has committed (never after a rollback)."""
    _require("after_commit").after_commit.append(callback)


def after_rollback(callback: Callable[[], object]) -> None:
    """Run `callback` if the outermost unit of work rolls back (undo work done outside the
    database, e.g. delete files staged for rows that will never exist)."""
    _require("after_rollback").after_rollback.append(callback)


def queue_task(name: str, *args: Any) -> None:
    """Ask for the background task `name` with these arguments (primary keys, not objects),
    queued only once this transaction is durable."""
    work = _require("queue_task")
    key = (name, repr(args))  # args may be lists (ids): compare them by value
    if key in work.queued:  # the same request twice in one transaction: queued once
        return
    work.queued.add(key)
    work.after_commit.append(functools.partial(queue.enqueue, name, *args))


def stage_row(table: Table, values: dict[str, Any]) -> None:
    """Add a row that is written with the commit (one INSERT per table for all staged rows)."""
    _require("stage_row").staged.setdefault(table, []).append(values)


def _send_staged(work: _Work) -> None:
    # Tables in the order first staged; rows of one table share their keys by construction.
    for table, rows in work.staged.items():
        insert_rows(table, rows)
    work.staged.clear()
