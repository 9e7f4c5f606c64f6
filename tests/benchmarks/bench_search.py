"""How fast the cashier's student search answers on 20,000 students (PostgreSQL).

Not collected by pytest. Run from the repository root:

    .venv/bin/python tests/benchmarks/bench_search.py [--students 20000]

Creates (or reuses) the database bench_payments_search with N students, each with a current
term enrollment and its 6 months, then times `queries.search_students` for typical queries
(number prefix, surname prefix, first name, two words, the second part of a compound surname)
and prints the median and 95th percentile per query with the plan PostgreSQL chose.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

FIRST = ["Maria", "Jose", "Ana", "Juan", "Liza", "Paolo", "Grace", "Mark", "Joy", "Carlo", "Rosa", "Miguel",
         "Andrea", "Ramon", "Bea", "Luis", "Carmela", "Dante", "Elena", "Fidel", "John Paul", "Mary Grace"]
# Common surnames (a few percent of students each) plus many rarer made-up ones, as in a real school.
COMMON = ["Santos", "Reyes", "Cruz", "Bautista", "Garcia", "Mendoza", "Dela Cruz", "Ramos", "Villanueva",
          "Aquino", "Castillo", "Navarro", "De Leon", "Torres", "Flores", "Del Rosario", "Tolentino"]
SYLLABLES = ["ma", "na", "lo", "ba", "ta", "si", "gan", "ra", "mo", "li", "pa", "co", "tu", "ran", "del", "sa"]


def surname(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return rng.choice(COMMON)
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
QUERIES = ["2026-0", "2026-01234", "santos", "cruz", "maria", "maria san", "paul", "rosario", "tolen", "zzz", "d"]


def prepare(url: str, students: int) -> None:
    from sqlalchemy import create_engine, func, insert, select, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": base.database}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{base.database}"'))
    admin.dispose()
    from flask_migrate import upgrade

    from richwell import create_app
    from richwell.extensions import db
    from richwell.models import MonthBucket, Program, Student, Term, TermEnrollment, User

    app = create_app({"RICHWELL_ENV": "development", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        if db.session.scalar(select(func.count()).select_from(Student)) >= students:
            return
        rng = random.Random(7)
        today = date.today()
        program = Program(code="BSIT", name="BS Information Technology")
        term = Term(academic_year="2026-2027", semester="FIRST", start_date=today - timedelta(days=30),
                    end_date=today + timedelta(days=120), enrollment_open=today - timedelta(days=40),
                    enrollment_close=today + timedelta(days=5), drop_deadline=today + timedelta(days=20),
                    grade_deadline=today + timedelta(days=110), is_current=True)
        db.session.add_all([program, term])
        db.session.flush()
        for start in range(0, students, 5000):
            count = min(5000, students - start)
            user_ids = db.session.execute(insert(User).returning(User.id), [
                {"email": f"s{start + i:06d}@search.richwell.edu.ph", "first_name": rng.choice(FIRST),
                 "last_name": surname(rng), "middle_name": surname(rng), "role": "student",
                 "password_hash": "x"} for i in range(count)]).scalars().all()
            student_ids = db.session.execute(insert(Student).returning(Student.id), [
                {"user_id": uid, "student_number": f"{2022 + (start + i) % 5}-{start + i:05d}",
                 "program_id": program.id} for i, uid in enumerate(user_ids)]).scalars().all()
            enrollment_ids = db.session.execute(insert(TermEnrollment).returning(TermEnrollment.id), [
                {"student_id": sid, "term_id": term.id, "monthly_commitment": Decimal("5000.00")}
                for sid in student_ids]).scalars().all()
            db.session.execute(insert(MonthBucket), [
                {"term_enrollment_id": eid, "month": m, "required": Decimal("5000.00"),
                 "paid": Decimal(rng.choice(["0.00", "5000.00", "2500.00"])) if m == 1 else Decimal("0.00")}
                for eid in enrollment_ids for m in range(1, 7)])
            db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_SEARCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_payments_search"))
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    prepare(args.database_url, args.students)

    from sqlalchemy import text

    from richwell import create_app
    from richwell.extensions import db
    from richwell.services.finance import queries

    app = create_app({"RICHWELL_ENV": "development", "SQLALCHEMY_DATABASE_URI": args.database_url})
    with app.app_context():
        print(f"{args.students} students; search_students(q), {args.repeat} runs each (ms, wall clock)")
        for q in QUERIES:
            timings = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                hits = queries.search_students(q)
                timings.append((time.perf_counter() - started) * 1000)
                db.session.rollback()
            timings.sort()
            print(f"  {q!r:14} {len(hits):2d} hits   p50 {statistics.median(timings):6.2f}   "
                  f"p95 {timings[int(len(timings) * 0.95) - 1]:6.2f}")
        # The plan PostgreSQL chooses for a name word (the trigram index on name_words).
        from sqlalchemy import select

        from richwell.models import Student, User
        from richwell.models.finance import NAME_WORDS

        query = (select(Student.id).join(User, User.id == Student.user_id).where(NAME_WORDS.like("% tolen%"))
                 .order_by(User.last_name, User.first_name).limit(20))
        sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
        for line in db.session.execute(text("EXPLAIN ANALYZE " + sql)).scalars():
            print("  " + line)


if __name__ == "__main__":
    main()
