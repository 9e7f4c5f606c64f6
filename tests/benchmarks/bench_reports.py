"""Dashboards and reports on many students: statements and p50/p95 per dashboard/report.

Not collected by pytest (bench_*.py). Run from the repository root on PostgreSQL:

    .venv/bin/python tests/benchmarks/bench_reports.py --url postgresql+psycopg://postgres@127.0.0.1:5432/t_reports
    .venv/bin/python tests/benchmarks/bench_reports.py --url ... --reuse   # measure again, no reseeding

It (re)creates that database, migrates it, seeds --students students (default 20,000) with
richwell/seed/volume.py (a current term, six month buckets each, a mix of payments, sections,
subject enrollments, INCs and pending reviews), then calls each dashboard and report page in
process --runs times and prints the statements each sends and its p50/p95 in milliseconds.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--students", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reuse", action="store_true", help="measure the database seeded by an earlier run")
    args = parser.parse_args()

    from sqlalchemy.engine import make_url

    base = make_url(args.url)
    if not args.reuse:
        _recreate(base)
    measure(args)


def _recreate(base) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": base.database})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{base.database}"'))
        conn.execute(text(f'CREATE DATABASE "{base.database}"'))
    admin.dispose()


def measure(args) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import event, select, text

    from richwell import create_app
    from richwell.extensions import db
    from richwell.models import Role, User
    from richwell.seed.volume import seed_volume
    from richwell.services import reports
    from richwell.services.platform import unit_of_work

    app = create_app({"RICHWELL_ENV": "development", "SQLALCHEMY_DATABASE_URI": args.url, "HUEY_IMMEDIATE": True})
    with app.app_context():
        upgrade()
        roles = (Role.REGISTRAR, Role.CASHIER, Role.ADMISSION, Role.ADMIN)
        if args.reuse:
            users = {role: db.session.scalar(select(User).where(User.email == f"{role.value}@bench.richwell.edu.ph"))
                     for role in roles}
        else:
            started = time.perf_counter()
            with unit_of_work.unit_of_work():
                seed_volume(args.students, prefix="bench")
                users = {}
                for role in roles:
                    users[role] = User(email=f"{role.value}@bench.richwell.edu.ph", first_name="Bench",
                                       last_name=role.value, role=role.value, password_hash="x")
                    db.session.add(users[role])
            with unit_of_work.unit_of_work():  # planner statistics, committed (a rolled-back ANALYZE is lost)
                db.session.execute(text("ANALYZE"))
            print(f"seeded {args.students:,} students in {time.perf_counter() - started:.1f} s")
        calls = {
            "registrar dashboard": lambda: reports.registrar_dashboard(users[Role.REGISTRAR]),
            "finance dashboard": lambda: reports.finance_dashboard(users[Role.CASHIER]),
            "admission dashboard": lambda: reports.admission_dashboard(users[Role.ADMISSION]),
            "admin dashboard": lambda: reports.admin_dashboard(users[Role.ADMIN]),
            "pending work (home pages)": reports.pending_work,
        }
        from richwell.services.reports.access import REPORT_ROLES

        for name in reports.REPORTS:  # each report as the first of these roles allowed to read it
            reader = next(users[r] for r in (Role.ADMIN, Role.CASHIER, Role.REGISTRAR) if r.value in REPORT_ROLES[name])
            calls[f"report: {name} (page)"] = lambda n=name, u=reader: reports.run_page(u, n, {})
        seen: list[str] = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
        # min shows what the statements cost when nothing else competes for the CPU.
        print(f"{'page':34} {'statements':>10} {'min ms':>8} {'p50 ms':>8} {'p95 ms':>8}")
        for name, call in calls.items():
            call()
            times = []
            for _ in range(args.runs):
                db.session.expire_all()
                seen.clear()
                t0 = time.perf_counter()
                call()
                times.append((time.perf_counter() - t0) * 1000)
                db.session.rollback()
            times.sort()
            p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
            print(f"{name:34} {len(seen):>10} {times[0]:>8.1f} {statistics.median(times):>8.1f} {p95:>8.1f}")


if __name__ == "__main__":
    main()
