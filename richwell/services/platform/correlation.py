"""The request id that ties a request's log line to the queued tasks it caused.

The web layer binds it per request (from the proxy's X-Request-ID or a fresh one); the
queue carries it with each message and the task's log lines repeat it.
"""
from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

_current: ContextVar[str | None] = ContextVar("richwell_request_id", default=None)
# What we accept from a proxy: short, printable, no spaces (it goes into logs and headers).
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def new_request_id(offered: str | None = None) -> str:
    """The proxy's id when it looks like one, else a fresh random id."""
    if offered and _ACCEPTABLE.match(offered):
        return offered
    return uuid.uuid4().hex


def bind(request_id: str | None) -> None:
    """Set the current request id (None clears it)."""
    _current.set(request_id)


def current() -> str | None:
    """The request id of the work running now, if any."""
    return _current.get()
