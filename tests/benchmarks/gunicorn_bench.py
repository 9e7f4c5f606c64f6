"""Gunicorn config for the enrollment benchmark: counts, per request, the SQL the app sends.

Every worker wraps the app so each response carries:
  X-SQL-Statements  statements sent through SQLAlchemy (before_cursor_execute)
  X-SQL-Tx          transaction control round trips (COMMIT / ROLLBACK; BEGIN rides along in
                    psycopg 3, which opens the transaction implicitly on the first statement)
  X-SQL-Pings       pool pre-ping round trips (pool_pre_ping checks a connection on checkout)
Nothing in the app changes; this file is only passed with `gunicorn -c`.
"""
from __future__ import annotations

import threading

_local = threading.local()


def _bump(name: str) -> None:
    setattr(_local, name, getattr(_local, name, 0) + 1)


def post_worker_init(worker):
    from sqlalchemy import event

    from richwell.extensions import db

    app = worker.wsgi
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lambda *a: _bump("statements"))
    event.listen(engine, "commit", lambda *a: _bump("tx"))
    event.listen(engine, "rollback", lambda *a: _bump("tx"))
    dialect = engine.dialect
    original_ping = dialect.do_ping

    def counting_ping(dbapi_connection):
        _bump("pings")
        return original_ping(dbapi_connection)

    dialect.do_ping = counting_ping
    inner = app.wsgi_app

    def counting_app(environ, start_response):
        _local.statements = _local.tx = _local.pings = 0

        def _start(status, headers, exc_info=None):
            headers.extend([("X-SQL-Statements", str(_local.statements)), ("X-SQL-Tx", str(_local.tx)),
                            ("X-SQL-Pings", str(_local.pings))])
            return start_response(status, headers, exc_info)

        return inner(environ, _start)

    app.wsgi_app = counting_app
