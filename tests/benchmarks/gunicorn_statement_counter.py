"""gunicorn config for the benchmark only: each response carries X-SQL-Statements, the number
of SQL statements (SQLAlchemy cursor executions) its request sent. Used by bench_payments.py;
never in production."""
import threading


def post_worker_init(worker):
    from sqlalchemy import event

    from richwell.extensions import db

    app = worker.wsgi
    counter = threading.local()
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        counter.n = getattr(counter, "n", 0) + 1

    @app.before_request
    def _reset():
        counter.n = 0

    @app.after_request
    def _report(response):
        response.headers["X-SQL-Statements"] = str(getattr(counter, "n", 0))
        return response
