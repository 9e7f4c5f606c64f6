"""In-process CPU ratios: what an API payment and an enroll/drop pair cost next to GET /readyz.

    .venv/bin/python tests/benchmarks/ratios.py            # 600 of each, SQLite in a temp folder
    .venv/bin/python tests/benchmarks/ratios.py --show-sql # also print each request's statements

Not collected by pytest. The Flask test client on a fresh SQLite database (no server, no
network), so the figures are the app's own CPU: process time per request, measured in one
run and printed as ratios to the floor, which hold still when other work shares the cores.
The issue's bar: an API payment ≤ 4× and an enroll/drop pair ≤ 5.5× GET /readyz.
"""
from __future__ import annotations

import argparse
import gc
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PAYMENT_BAR, ENROLL_DROP_BAR = 4.0, 5.5


def build(app, payers: int):
    """A current term, one program with one subject in one roomy section, `payers` students with
    month 1 paid, a cashier; an API token for each of them."""
    from tests.factories.api import make_api_token
    from tests.factories.curriculum import make_offering, make_section, make_slot, make_subject
    from tests.factories.payments import make_cashier
    from tests.factories.people import make_enrollment, make_program, make_student, make_term
    from tests.factories.subject_enrollment import pay_first_month

    with app.app_context():
        term, program = make_term(), make_program()
        subject = make_subject(program, units=3, year_level=1)
        section = make_section(term, program, year_level=1)
        offering = make_offering(section, subject, capacity=500)
        make_slot(offering)
        enrollments = []
        for _ in range(payers):
            enrollment = make_enrollment(make_student(program=program), term, commitment="5000.00")
            pay_first_month(enrollment)
            enrollments.append(enrollment.id)
        from richwell.extensions import db
        from richwell.models import TermEnrollment

        # Each student enrolls and drops in turn: one student adding and dropping 600 times
        # would carry a history no real student has (every drop stays a row).
        students = [(te, make_api_token(db.session.get(TermEnrollment, te).student.user)) for te in enrollments]
        cashier_token = make_api_token(make_cashier())
        db.session.commit()
        return {"enrollments": enrollments, "subject": subject.id, "section": section.id,
                "students": students, "cashier_token": cashier_token}


def measure(label: str, n: int, request) -> float:
    """CPU seconds per call of `request` (process time, so waiting does not count)."""
    for i in range(min(20, n)):  # warm-up: compiled statements and templates cached
        request(-1 - i)
    gc.collect()
    started = time.process_time()
    for i in range(n):
        request(i)
    per = (time.process_time() - started) / n
    print(f"{label:34} {per * 1000:7.3f} ms CPU per request")
    return per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=600, help="requests of each kind")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/1",
                        help="the queue and /readyz's Redis check, as in production (empty: none)")
    parser.add_argument("--show-sql", action="store_true", help="print one payment's and one add's statements")
    parser.add_argument("--database-url", default="",
                        help="a PostgreSQL database to empty and use instead of SQLite (e.g. "
                             "postgresql+psycopg://postgres@127.0.0.1:5432/t_ratios)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the payments into FILE (pstats)")
    args = parser.parse_args()

    from richwell import create_app

    folder = tempfile.mkdtemp(prefix="richwell-ratios-")
    app = create_app({"RICHWELL_ENV": "testing", "SECRET_KEY": "ratios", "RATELIMIT_ENABLED": False,
                      "RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": args.redis_url or None,
                      "HUEY_IMMEDIATE": False,
                      "HUEY_SQLITE_PATH": f"{folder}/huey.db", "SQLITE_BEGIN_IMMEDIATE": True,
                      "SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{folder}/ratios.db",
                      "UPLOAD_FOLDER": f"{folder}/uploads", "RECEIPT_FOLDER": f"{folder}/receipts"})
    with app.app_context():
        from flask_migrate import upgrade

        if args.database_url:
            from richwell.extensions import db

            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
    fx = build(app, payers=50)
    client = app.test_client()
    cashier = {"Authorization": f"Token {fx['cashier_token']}"}
    enrollments = fx["enrollments"]

    def readyz(_):
        assert client.get("/readyz").status_code == 200

    def payment(i):
        response = client.post("/api/v1/cashier/payment/record_payment/",
                               json={"enrollment_id": enrollments[i % len(enrollments)], "amount": "100.00",
                                     "method": "CASH"},
                               headers={**cashier, "Idempotency-Key": secrets.token_urlsafe(16)})
        assert response.status_code == 201, response.get_data(as_text=True)

    def enroll_drop(i):
        te, token = fx["students"][i % len(fx["students"])]
        student = {"Authorization": f"Token {token}"}
        added = client.post(f"/api/v1/student/enrollment/{te}/enroll_subject/",
                            json={"subject_id": fx["subject"], "section_id": fx["section"]}, headers=student)
        assert added.status_code == 201, added.get_data(as_text=True)
        dropped = client.post(f"/api/v1/student/enrollment/{te}/drop_subject/",
                              json={"subject_enrollment_id": added.get_json()["id"]}, headers=student)
        assert dropped.status_code == 200, dropped.get_data(as_text=True)

    if args.show_sql:
        _show_sql(app, payment, enroll_drop)

    floor = measure("GET /readyz", args.n, readyz)
    if args.profile:
        import cProfile

        with cProfile.Profile(time.process_time) as profile:  # CPU, not waiting
            measure("API payment (profiled)", args.n, payment)
        profile.dump_stats(args.profile)
    pay = measure("API payment", args.n, payment)
    pair = measure("API enroll + drop (a pair)", args.n, enroll_drop)
    # The floor again: the machine is shared, so bracket the run and use the mean.
    floor = (floor + measure("GET /readyz (again)", args.n, readyz)) / 2
    print(f"\nAPI payment / readyz      {pay / floor:5.2f}×  (bar ≤ {PAYMENT_BAR}×)")
    print(f"enroll+drop / readyz      {pair / floor:5.2f}×  (bar ≤ {ENROLL_DROP_BAR}×)")
    ok = pay / floor <= PAYMENT_BAR and pair / floor <= ENROLL_DROP_BAR
    print("within the bars" if ok else "OVER a bar")
    with app.app_context():
        from richwell.extensions import db

        db.engine.dispose()
    sys.exit(0 if ok else 1)


def _show_sql(app, *requests) -> None:
    from sqlalchemy import event

    from richwell.extensions import db

    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def log(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split())[:160])

    event.listen(engine, "before_cursor_execute", log)
    for request in requests:
        seen.clear()
        request(-100)
        print(f"--- {request.__name__}: {len(seen)} statements")
        for statement in seen:
            print("   ", statement)
    event.remove(engine, "before_cursor_execute", log)


if __name__ == "__main__":
    main()
