"""Who is acting and from where, set by the web layer for the audit trail.

Services stay free of `request`; the web layer fills this per request and
background jobs leave it empty (actor SYSTEM, no IP).
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class ActingContext:
    """Where the request came from, and the admin behind an impersonation."""

    ip: str | None = None
    impersonator_id: int | None = None


_NOBODY = ActingContext()
_current: ContextVar[ActingContext | None] = ContextVar("richwell_acting_context", default=None)


def set_acting_context(ctx: ActingContext) -> None:
    """Set by the web layer at the start of each request."""
    _current.set(ctx)


def acting_context() -> ActingContext:
    """Who acts now (nobody's context, no IP, outside a request)."""
    return _current.get() or _NOBODY
