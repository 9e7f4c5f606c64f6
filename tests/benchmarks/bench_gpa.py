"""Demo-scale GPA batch (and INC expiry) on PostgreSQL. Not collected by pytest.

Builds a fresh database of N students (default 20,000) with about 4.5 terms each, 5 graded
subjects per term and some transfer credits, then times `gpa.recompute_all()` in one pass
and checks a sample against the per-student function. With --inc it also builds that many
due INC records (some students with LOA history) and times `grades.expire_incs`.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_grades \\
        .venv/bin/python tests/benchmarks/bench_gpa.py --students 20000 --inc 100000

The named database is DROPPED and re-created.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("RICHWELL_ENV", "development")
os.environ.setdefault("RATELIMIT_ENABLED", "0")

from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

GRADES = "ARRAY['1.00','1.25','1.50','1.75','2.00','2.25','2.50','2.75','3.00','5.00','INC','DRP']"


def fresh_database(url: str) -> None:
    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": base.database})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{base.database}"'))
        conn.execute(text(f'CREATE DATABASE "{base.database}"'))
    admin.dispose()


def build(db, students: int) -> None:
    """Programs, curricula, 8 terms, students, term and subject enrollments, credits — in SQL."""
    statements = [
        "INSERT INTO programs (code, name, years, is_active, created_at) "
        "SELECT 'P' || g, 'Program ' || g, 4, true, now() FROM generate_series(1, 4) g",
        # 5 subjects per year and semester: 40 per program
        "INSERT INTO subjects (program_id, code, title, units, is_major, year_level, semester, created_at) "
        "SELECT p.id, 'S' || y || s || n, 'Subject ' || y || s || n, 2 + ((y * 7 + n * 3 + s) % 3), n <= 3, y, "
        "CASE s WHEN 1 THEN 'FIRST' ELSE 'SECOND' END, now() "
        "FROM programs p, generate_series(1, 4) y, generate_series(1, 2) s, generate_series(1, 5) n",
        "INSERT INTO terms (academic_year, semester, start_date, end_date, enrollment_open, enrollment_close, "
        "drop_deadline, grade_deadline, is_current, created_at) "
        "SELECT (2021 + t / 2) || '-' || (2022 + t / 2), CASE t % 2 WHEN 0 THEN 'FIRST' ELSE 'SECOND' END, "
        "DATE '2021-08-01' + t * 182, DATE '2021-08-01' + t * 182 + 140, DATE '2021-08-01' + t * 182 - 20, "
        "DATE '2021-08-01' + t * 182 + 14, DATE '2021-08-01' + t * 182 + 45, DATE '2021-08-01' + t * 182 + 150, "
        "t = 7, now() FROM generate_series(0, 7) t",
        "INSERT INTO users (email, first_name, last_name, password_hash, role, is_active_account, "
        "must_change_password, session_version, created_at) "
        f"SELECT 'bench' || g || '@example.edu.ph', 'Student', 'No' || g, 'x', 'student', true, false, 1, now() "
        f"FROM generate_series(1, {students}) g",
        "INSERT INTO students (user_id, student_number, program_id, status, admission_type, year_level, "
        "created_via, created_at) "
        "SELECT u.id, (2021 + u.id % 4) || '-' || lpad((u.id / 4 + 1)::text, 5, '0'), "
        "(SELECT min(id) FROM programs) + u.id % 4, 'ACTIVE', "
        "CASE WHEN u.id % 10 = 0 THEN 'TRANSFEREE' ELSE 'FRESHMAN' END, 1, 'REGISTRAR', now() "
        "FROM users u WHERE u.role = 'student'",
        # Each student took the first 1..8 terms (4.5 on average).
        "INSERT INTO term_enrollments (student_id, term_id, status, monthly_commitment, credit_balance, "
        "enrolled_units, created_at) "
        "SELECT s.id, t.id, 'ACTIVE', 300000, 0, 15, now() FROM students s "
        "JOIN (SELECT id, row_number() OVER (ORDER BY start_date) - 1 AS k FROM terms) t ON t.k <= s.id % 8",
        # The 5 subjects of that term's year and semester, with a random grade.
        "INSERT INTO subject_enrollments (term_enrollment_id, subject_id, status, is_retake, is_irregular, grade, "
        "enrolled_at) "
        "SELECT te.id, sub.id, CASE WHEN g.v IN ('INC') THEN 'INC' WHEN g.v = 'DRP' THEN 'DROPPED' "
        "WHEN g.v = '5.00' THEN 'FAILED' ELSE 'PASSED' END, false, false, g.v, now() "
        "FROM term_enrollments te JOIN students st ON st.id = te.student_id "
        "JOIN (SELECT id, row_number() OVER (ORDER BY start_date) - 1 AS k FROM terms) t ON t.id = te.term_id "
        "JOIN subjects sub ON sub.program_id = st.program_id AND sub.year_level = t.k / 2 + 1 "
        "AND sub.semester = CASE t.k % 2 WHEN 0 THEN 'FIRST' ELSE 'SECOND' END "
        f"CROSS JOIN LATERAL (SELECT ({GRADES})[1 + floor(random() * 12)::int + (sub.id * 0)] AS v) g",
        # Transferees: two credits each, half counted in GPA.
        "INSERT INTO transfer_credits (student_id, subject_id, source_school, original_code, original_title, "
        "original_grade, units, counted_in_gpa, status, created_at) "
        "SELECT st.id, sub.id, 'Other College', 'X' || sub.code, sub.title, "
        "(ARRAY['1.5','2','2.75','85'])[1 + (st.id + sub.id) % 4], sub.units, (st.id + sub.id) % 2 = 0, "
        "'ACCEPTED', now() FROM students st JOIN subjects sub ON sub.program_id = st.program_id "
        "AND sub.code IN ('S421', 'S422') WHERE st.admission_type = 'TRANSFEREE'",
    ]
    for statement in statements:
        db.session.execute(text(statement))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def _timed(db, statement, params=None) -> None:
    started = time.perf_counter()
    db.session.execute(text(statement), params or {})
    print(f"  {time.perf_counter() - started:6.2f}s  {' '.join(statement.split())[:70]}")


def build_incs(db, count: int, today) -> None:
    """`count` INC subject enrollments whose 6-month clock ran out (5 % of students with an LOA)."""
    _timed(db, (
        "INSERT INTO subject_enrollments (term_enrollment_id, subject_id, status, is_retake, is_irregular, grade, "
        "enrolled_at) SELECT te_id, sub_id, 'INC', false, false, 'INC', now() FROM ("
        "SELECT te.id AS te_id, sub.id AS sub_id, row_number() OVER (ORDER BY te.id, sub.id) AS r "
        "FROM term_enrollments te JOIN students st ON st.id = te.student_id "
        "JOIN subjects sub ON sub.program_id = st.program_id AND sub.code IN ('S414', 'S415')) pick "
        f"WHERE r <= {count}"))
    _timed(db, (
        "INSERT INTO inc_records (subject_enrollment_id, student_id, started_on, base_deadline, status, created_at) "
        "SELECT se.id, te.student_id, CAST(:today AS date) - 200, CAST(:today AS date) - 200 + 183 "
        "- (se.id % 40), 'OPEN', now() "
        "FROM subject_enrollments se JOIN term_enrollments te ON te.id = se.term_enrollment_id "
        "WHERE se.status = 'INC'"),
        {"today": today})
    _timed(db, (
        "INSERT INTO student_status_changes (student_id, from_status, to_status, effective_date, reason, created_at) "
        "SELECT id, 'ACTIVE', 'LOA', CAST(:today AS date) - 150, 'bench', now() FROM students WHERE id % 20 = 0 "
        "UNION ALL SELECT id, 'LOA', 'ACTIVE', CAST(:today AS date) - 120, 'bench', now() "
        "FROM students WHERE id % 40 = 0"), {"today": today})
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=20000)
    parser.add_argument("--inc", type=int, default=0, help="also time INC expiry over this many INC records")
    parser.add_argument("--sample", type=int, default=300, help="students checked against compute_for_student")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it is dropped and re-created).")
    fresh_database(url)

    from flask_migrate import upgrade

    from richwell import create_app
    from richwell.extensions import db
    from richwell.models import Student, SubjectEnrollment, TermGpa
    from richwell.services import grades
    from richwell.services.grades import gpa
    from richwell.services.platform.clock import today

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "HUEY_IMMEDIATE": True})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        build(db, args.students)
        rows = db.session.scalar(text("SELECT count(*) FROM subject_enrollments"))
        credits = db.session.scalar(text("SELECT count(*) FROM transfer_credits"))
        print(f"built {args.students} students, {rows} subject enrollments, {credits} credits "
              f"in {time.perf_counter() - started:.1f}s")

        for attempt in ("first pass (empty term_gpas)", "second pass (replacing)"):
            started = time.perf_counter()
            gpa.recompute_all()
            print(f"gpa.recompute_all() {attempt}: {time.perf_counter() - started:.2f}s")
        print(f"term GPA rows: {db.session.scalar(db.select(db.func.count()).select_from(TermGpa))}")

        rng = random.Random(7)
        ids = rng.sample(db.session.scalars(db.select(Student.id)).all(), min(args.sample, args.students))
        db.session.expire_all()
        for student_id in ids:
            expected = gpa.compute_for_student(student_id)
            stored = db.session.get(Student, student_id)
            assert stored.cumulative_gpa == expected.cumulative_gpa, (student_id, stored.cumulative_gpa, expected)
            assert stored.year_level == expected.year_level, (student_id, stored.year_level, expected.year_level)
            terms = {t: row.gpa for t, row in gpa.stored_term_gpas(student_id).items()}
            assert terms == {t: f.gpa for t, f in expected.terms.items()}, student_id
        print(f"checked {len(ids)} students against gpa.compute_for_student: identical")

        if args.inc:
            day = today()
            started = time.perf_counter()
            build_incs(db, args.inc, day)
            print(f"built INC records and LOA history in {time.perf_counter() - started:.1f}s")
            open_incs = db.session.scalar(text("SELECT count(*) FROM inc_records WHERE status = 'OPEN'"))
            queued = []
            gpa.queue_recalculation = lambda ids: queued.append(len(set(ids)))  # the GPA batch is timed above
            started = time.perf_counter()
            warned = grades.warn_incs(day)
            print(f"grades.warn_incs over {open_incs} open INCs: {warned} warned in "
                  f"{time.perf_counter() - started:.2f}s")
            timings = []

            def before(conn, cursor, statement, parameters, context, executemany):
                conn.info["started"] = time.perf_counter()

            def after(conn, cursor, statement, parameters, context, executemany):
                timings.append((time.perf_counter() - conn.info["started"], " ".join(statement.split())[:70]))

            event.listen(db.engine, "before_cursor_execute", before)
            event.listen(db.engine, "after_cursor_execute", after)
            started = time.perf_counter()
            expired = grades.expire_incs(day)
            event.remove(db.engine, "before_cursor_execute", before)
            event.remove(db.engine, "after_cursor_execute", after)
            print(f"grades.expire_incs over {open_incs} open INCs: {expired} expired in "
                  f"{time.perf_counter() - started:.2f}s (GPA recalculation queued for {sum(queued)} students)")
            for seconds, statement in timings:
                print(f"  {seconds:6.2f}s  {statement}")
            started = time.perf_counter()
            again = grades.expire_incs(day)
            print(f"second run (idempotent): {again} expired in {time.perf_counter() - started:.2f}s")
            failed = db.session.scalar(db.select(db.func.count()).select_from(SubjectEnrollment)
                                       .where(SubjectEnrollment.grade == "5.00",
                                              SubjectEnrollment.status == "FAILED"))
            print(f"FAILED 5.00 rows now: {failed}")


if __name__ == "__main__":
    main()
