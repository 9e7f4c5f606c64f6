"""Who is acting and from where, set by the web layer for the audit trail.

Services stay free of `request`; the web layer fills this per request and
background jobs leave it empty (actor SYSTEM, no IP).
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class ActingContext:
    ip: str | None = None
    impersonator_id: int | None = None


_NOBODY = ActingContext()
_current: ContextVar[ActingContext | None] = ContextVar("richwell_acting_context", default=None)


def set_acting_context(ctx: ActingContext) -> None:
    _current.set(ctx)


def acting_context() -> ActingContext:
    return _current.get() or _NOBODY
