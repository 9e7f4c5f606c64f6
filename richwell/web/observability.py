"""Request ids, one JSON log line per request, and the per-request metrics.

Every request gets an id (the proxy's X-Request-ID when it sends a sane one, else a fresh
one), returned as the X-Request-ID header, bound for the queue (tasks queued by the request
carry it) and written in the log line: request id, user id, role, endpoint, status,
duration and the number of SQL statements the request ran.
"""
from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from flask import Flask, g, request
from flask.wrappers import Response
from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine

from richwell.extensions import login_manager
from richwell.services.platform import correlation
from richwell.web import metrics

log = logging.getLogger("richwell.requests")


class JsonLineFormatter(logging.Formatter):
    """The record's message is already a dict: one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        payload = record.msg if isinstance(record.msg, dict) else {"message": record.getMessage()}
        return json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                           + f".{int(record.msecs):03d}Z", "level": record.levelname.lower(),
                           "logger": record.name, **payload}, default=str)


def _json_handler() -> logging.Handler:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLineFormatter())
    return handler


def configure_json_logging(*loggers: logging.Logger) -> None:
    """Production: these loggers write JSON lines to stdout (the container's log)."""
    for logger in loggers:
        if not any(isinstance(h.formatter, JsonLineFormatter) for h in logger.handlers):
            logger.addHandler(_json_handler())
        logger.setLevel(logging.INFO)
        logger.propagate = False


_counting = False


def _count_statements() -> None:
    """Count SQL statements per request (every engine; only inside a request that asked)."""
    global _counting
    if _counting:
        return
    _counting = True

    @event.listens_for(Engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        from flask import has_request_context

        if has_request_context() and "sql_count" in g:
            g.sql_count += 1


def _role_text(role: Any) -> str | None:
    return getattr(role, "value", role)


def _user_fields() -> tuple[int | None, str | None]:
    """Who made the request, without a query: a commit expires the user object, and reading
    its attributes then would cost one more SELECT per request just for the log line. Whoever
    authenticates a request sets g.log_user = (id, role): the session's user loader below, the
    API's token check (richwell.api.common)."""
    remembered = g.get("log_user")
    if remembered is not None:
        return remembered
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None, None
    state = sa_inspect(user, raiseerr=False)
    if state is None:
        return getattr(user, "id", None), _role_text(getattr(user, "role", None))
    identity = state.identity
    return (identity[0] if identity else None), _role_text(state.dict.get("role"))


def _remember_loaded_user() -> None:
    """Wrap the user loader once so the log line knows the user as loaded (id and role)."""
    original = login_manager._user_callback
    if original is None or getattr(original, "remembers_for_log", False):
        return

    def load(user_id: str) -> Any:
        user = original(user_id)
        if user is not None:
            g.log_user = (user.id, _role_text(user.role))
        return user

    load.remembers_for_log = True  # type: ignore[attr-defined]
    login_manager.user_loader(load)


def register(app: Flask) -> None:
    _count_statements()
    _remember_loaded_user()
    if app.config.get("REQUEST_LOG_JSON"):
        configure_json_logging(log, logging.getLogger("richwell.tasks"))
    metrics.register(app)

    @app.before_request
    def _start() -> None:
        g.request_id = correlation.new_request_id(request.headers.get("X-Request-ID"))
        g.request_started = time.perf_counter()
        g.sql_count = 0
        correlation.bind(g.request_id)

    @app.after_request
    def _finish(response: Response) -> Response:
        started = g.get("request_started")
        if started is None:  # a request that failed before our before_request ran
            return response
        duration = time.perf_counter() - started
        response.headers["X-Request-ID"] = g.request_id
        endpoint = request.endpoint or "(unmatched)"
        metrics.observe_request(endpoint, request.method, response.status_code, duration)
        if endpoint != "static":
            user_id, role = _user_fields()
            log.info({"request_id": g.request_id, "method": request.method, "path": request.path,
                      "endpoint": endpoint, "status": response.status_code,
                      "duration_ms": round(duration * 1000, 1), "sql_statements": g.get("sql_count", 0),
                      "user_id": user_id, "role": role, "remote_addr": request.remote_addr})
        return response

    @app.teardown_request
    def _unbind(exc: BaseException | None) -> None:
        correlation.bind(None)
