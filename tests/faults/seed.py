"""Set-up steps of the fault suite, run in their own process against the test's own cluster
(DATABASE_URL, REDIS_URL from the environment), printing one JSON line:

    python -m tests.faults.seed setup N    # schema, a current term, N enrollments, a cashier and
                                           # an API token of the cashier
    python -m tests.faults.seed import N   # an online-payment import of N GCASH rows (queued)
"""
from __future__ import annotations

import json
import os
import sys
from decimal import Decimal


def _app():
    from richwell import create_app

    return create_app({"RICHWELL_ENV": "development", "SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"]})


def setup(enrollments: int) -> dict:
    from tests.benchmarks.bench_payments import prepare_database

    pairs, cashiers = prepare_database(os.environ["DATABASE_URL"], enrollments, 1)
    from richwell.extensions import db
    from richwell.models import Student, User
    from richwell.services.platform import api_tokens

    app = _app()
    with app.app_context():
        cashier = db.session.query(User).filter_by(email=cashiers[0]).one()
        _, token = api_tokens.issue_token(cashier, "fault suite")
        numbers = [db.session.get(Student, student_id).student_number for student_id, _ in pairs]
        db.engine.dispose()
    return {"cashier": cashiers[0], "token": token, "enrollments": [e for _, e in pairs], "students": numbers}


def start_import(rows: int) -> dict:
    from richwell.extensions import db
    from richwell.models import Student, User
    from richwell.services import finance

    app = _app()
    with app.app_context():
        cashier = db.session.query(User).filter_by(role="cashier").order_by(User.id).first()
        numbers = [s.student_number for s in db.session.query(Student).order_by(Student.id)]
        lines = ["reference,student number,amount,date"]
        lines += [f"GC-FAULT-{i:06d},{numbers[i % len(numbers)]},{Decimal('100.00') + i % 7},"
                  f"2026-01-{1 + i % 28:02d}" for i in range(rows)]
        job = finance.start_import(cashier, "fault.csv", "\n".join(lines).encode(), "GCASH")
        result = {"import_id": job.id}
        db.engine.dispose()
    return result


if __name__ == "__main__":
    step, count = sys.argv[1], int(sys.argv[2])
    print(json.dumps(setup(count) if step == "setup" else start_import(count)))
