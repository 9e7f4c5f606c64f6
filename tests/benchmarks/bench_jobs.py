"""The daily INC job over 100,000+ INC records on PostgreSQL, through the task wrapper (job
run record, statement_timeout) exactly as the consumer runs it. Not collected by pytest.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_jobs \\
        .venv/bin/python tests/benchmarks/bench_jobs.py --students 15000 --inc 110000

Reuses bench_gpa's data builders. The named database is DROPPED and re-created.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("RICHWELL_ENV", "development")
os.environ.setdefault("RATELIMIT_ENABLED", "0")

from bench_gpa import build, build_incs, fresh_database  # noqa: E402
from sqlalchemy import event, text  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=15000)
    parser.add_argument("--inc", type=int, default=110000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it is dropped and re-created).")
    fresh_database(url)

    from flask_migrate import upgrade

    from richwell import create_app, tasks
    from richwell.extensions import db
    from richwell.services.grades import gpa
    from richwell.services.platform.clock import today

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "HUEY_IMMEDIATE": True})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        build(db, args.students)
        build_incs(db, args.inc, today())
        open_incs = db.session.scalar(text("SELECT count(*) FROM inc_records WHERE status = 'OPEN'"))
        print(f"built {args.students} students and {open_incs} open INC records in "
              f"{time.perf_counter() - started:.1f}s")
        gpa.queue_recalculation = lambda ids: None  # the GPA batch has its own benchmark
        timings = []

        def before(conn, cursor, statement, parameters, context, executemany):
            conn.info["started"] = time.perf_counter()

        def after(conn, cursor, statement, parameters, context, executemany):
            timings.append((time.perf_counter() - conn.info["started"], " ".join(statement.split())[:80]))

        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
        for attempt in ("first run", "second run (nothing left)"):
            timings.clear()
            started = time.perf_counter()
            result = tasks.expire_and_warn_incs.call_local()
            print(f"expire_and_warn_incs {attempt}: {result} in {time.perf_counter() - started:.2f}s, "
                  f"{len(timings)} statements")
            for seconds, statement in sorted(timings, reverse=True)[:8]:
                print(f"  {seconds:6.2f}s  {statement}")


if __name__ == "__main__":
    main()
