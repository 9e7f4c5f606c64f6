"""The portal's WSGI app with a statement counter, for benchmarks under any server
(`gunicorn tests.benchmarks.counted_app:app`, `granian --interface wsgi tests.benchmarks.counted_app:app`).

Every response carries X-SQL-Statements: the statements its request sent through SQLAlchemy
(each cursor execution; a batched multi-row INSERT is one). BEGIN/COMMIT are transaction
control, not counted. Imported in each worker process, so each has its own engine and counter.
Never used in production.
"""
from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.engine.interfaces import ExecuteStyle

from richwell import create_app
from richwell.extensions import db

app = create_app()
_counter = threading.local()

with app.app_context():
    _engine = db.engine


@event.listens_for(_engine, "before_cursor_execute")
def _count(conn, cursor, statement, parameters, context, executemany):
    batched = getattr(context, "execute_style", None) is ExecuteStyle.INSERTMANYVALUES
    _counter.n = getattr(_counter, "n", 0) + (len(parameters) if executemany and not batched else 1)


_inner = app.wsgi_app


def _counting_app(environ, start_response):
    _counter.n = 0

    def _start(status, headers, exc_info=None):
        headers.append(("X-SQL-Statements", str(getattr(_counter, "n", 0))))
        return start_response(status, headers, exc_info)

    return _inner(environ, _start)


app.wsgi_app = _counting_app
