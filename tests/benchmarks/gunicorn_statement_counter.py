"""gunicorn config for the benchmark only: each response carries X-SQL-Statements, the number
of SQL statements its request sent to the database (each cursor execution, and each parameter
set of a plain executemany, which psycopg sends as one statement per row; a batched
multi-row INSERT is one statement). Transaction control
(BEGIN/COMMIT/ROLLBACK) and pool_pre_ping's empty ";" are not counted. Used by
bench_payments.py; never in production."""
import threading


def post_worker_init(worker):
    from sqlalchemy import event
    from sqlalchemy.engine.interfaces import ExecuteStyle

    from richwell.extensions import db

    app = worker.wsgi
    counter = threading.local()
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        batched = getattr(context, "execute_style", None) is ExecuteStyle.INSERTMANYVALUES
        counter.n = getattr(counter, "n", 0) + (len(parameters) if executemany and not batched else 1)

    @app.before_request
    def _reset():
        counter.n = 0

    @app.after_request
    def _report(response):
        response.headers["X-SQL-Statements"] = str(getattr(counter, "n", 0))
        return response
