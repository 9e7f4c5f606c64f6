"""The background queue as services see it: a small interface that the queue module
(`richwell.tasks`) registers when the app is configured. Services ask for work by task name
(through `unit_of_work.queue_task`, after the commit) and read the queue's state for the
Jobs page, without importing the queue: the arrow points from tasks to services only."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Queue(Protocol):
    """What the services need from the queue."""

    #: every periodic task by name: (its schedule as people read it, its period)
    periodic: Mapping[str, tuple[str, timedelta]]

    def enqueue(self, name: str, *args: Any) -> bool:
        """Queue task `name`; False (and the work left for the stale sweep) if it could not be."""
        ...

    def knows(self, name: str) -> bool:
        """True if `name` is a task of the portal."""
        ...

    def counts(self) -> tuple[int, int]:
        """Messages waiting and scheduled (retries, ETAs); raises if the queue is unreachable."""
        ...


_queue: Queue | None = None


def register(queue: Queue | None) -> None:
    """Called once by the queue module when create_app configures it."""
    global _queue
    _queue = queue


def current() -> Queue | None:
    """The registered queue (None before create_app configured one)."""
    return _queue


def enqueue(name: str, *args: Any) -> bool:
    """Queue `name` now (callers outside a transaction, e.g. the stale sweep after its claim)."""
    if _queue is None:
        log.warning("no queue configured; task %s%r not queued", name, args)
        return False
    return _queue.enqueue(name, *args)
