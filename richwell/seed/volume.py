"""Bulk data for measuring reports: N students in a current term with month buckets, a mix of
payments (and a few reversals), sections with subject enrollments, grade sheets and INCs.
Written with multi-row INSERTs (not through the services) so 20,000 students take seconds;
used by tests/benchmarks/bench_reports.py and the statement-count test. Not part of seed-demo.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import insert, select

from richwell.extensions import db
from richwell.models import (
    AdmissionReview,
    IncRecord,
    MonthBucket,
    Offering,
    Payment,
    Program,
    Section,
    Student,
    Subject,
    SubjectEnrollment,
    Term,
    TermEnrollment,
    User,
)

COMMITMENT = Decimal("5000.00")
MONTHS = 6
METHODS = ["CASH", "GCASH", "MAYA", "BANK_TRANSFER", "CHECK"]


def _term(today: date) -> Term:
    term = db.session.scalar(select(Term).where(Term.is_current.is_(True)))
    if term is None:
        term = Term(academic_year="2026-2027", semester="FIRST", start_date=today - timedelta(days=75),
                    end_date=today + timedelta(days=75), enrollment_open=today - timedelta(days=90),
                    enrollment_close=today - timedelta(days=60), drop_deadline=today - timedelta(days=40),
                    grade_deadline=today + timedelta(days=70), is_current=True)
        db.session.add(term)
        db.session.flush()
    return term


def seed_volume(students: int, *, password_hash: str = "x", prefix: str = "vol", today: date | None = None) -> Term:
    """Add `students` students (in the session's transaction; the caller commits)."""
    today = today or date.today()
    term = _term(today)
    programs = []
    for code in ("BSIT", "BSBA", "BSED"):
        program = db.session.scalar(select(Program).where(Program.code == f"{prefix[:3].upper()}{code}"))
        if program is None:
            program = Program(code=f"{prefix[:3].upper()}{code}"[:20], name=f"{code} ({prefix})")
            db.session.add(program)
            db.session.flush()
        programs.append(program)
    offerings = []
    for p_index, program in enumerate(programs):
        subject = Subject(program_id=program.id, code=f"{prefix}-S{p_index}", title="Subject", units=3,
                          year_level=1, semester="FIRST")
        db.session.add(subject)
        db.session.flush()
        for year in range(1, 5):
            for block in "AB":
                section = Section(term_id=term.id, program_id=program.id, year_level=year,
                                  code=f"{program.code}-{year}{block}-{prefix}"[:30], capacity=40 + 10 * year)
                db.session.add(section)
                db.session.flush()
                offering = Offering(section_id=section.id, subject_id=subject.id, capacity=500)
                db.session.add(offering)
                db.session.flush()
                offerings.append((program.id, year, offering, subject.id))
    cashier = db.session.scalar(select(User).where(User.email == f"{prefix}-cashier@bench.richwell.edu.ph"))
    if cashier is None:
        cashier = User(email=f"{prefix}-cashier@bench.richwell.edu.ph", first_name="Bench", last_name="Cashier",
                       role="cashier", password_hash=password_hash)
        db.session.add(cashier)
        db.session.flush()
    user_ids = db.session.execute(insert(User).returning(User.id), [
        {"email": f"{prefix}{i:06d}@bench.richwell.edu.ph", "first_name": ["Maria", "Jose", "Ana"][i % 3],
         "last_name": f"Santos{i}", "role": "student", "password_hash": password_hash}
        for i in range(students)]).scalars().all()
    student_rows = [{"user_id": uid, "student_number": f"{prefix[:1].upper()}{i:09d}"[:10],
                     "program_id": programs[i % 3].id, "year_level": 1 + (i // 3) % 4,
                     "created_via": "ONLINE", "status": "ACTIVE" if i % 41 else "LOA"}
                    for i, uid in enumerate(user_ids)]
    student_ids = db.session.execute(insert(Student).returning(Student.id), student_rows).scalars().all()
    db.session.execute(insert(AdmissionReview), [{"student_id": sid, "documents_status": "PENDING" if i % 5 == 0
                                                  else "COMPLETE"} for i, sid in enumerate(student_ids)])
    enrollment_ids = db.session.execute(insert(TermEnrollment).returning(TermEnrollment.id), [
        {"student_id": sid, "term_id": term.id, "monthly_commitment": COMMITMENT,
         "status": "WITHDRAWN" if i % 97 == 0 else "ACTIVE"} for i, sid in enumerate(student_ids)]).scalars().all()
    months_paid = [i % 5 for i in range(students)]  # 0..4 months paid
    bucket_rows = [{"term_enrollment_id": eid, "month": m, "required": COMMITMENT,
                    "paid": COMMITMENT if m <= months_paid[i] else Decimal("0.00")}
                   for i, eid in enumerate(enrollment_ids) for m in range(1, MONTHS + 1)]
    db.session.execute(insert(MonthBucket), bucket_rows)
    start = datetime.combine(term.start_date, datetime.min.time(), tzinfo=timezone.utc)
    span = max((today - term.start_date).days, 1)
    base = db.session.scalar(select(db.func.count(Payment.id))) or 0
    payment_rows = [{"term_enrollment_id": eid, "kind": "PAYMENT", "amount": COMMITMENT * months_paid[i],
                     "method": METHODS[i % 5], "reference_number": None if i % 5 == 0 else f"REF{i}",
                     "cashier_id": cashier.id, "created_at": start + timedelta(days=i % span, hours=2),
                     "receipt_number": f"OR-9{prefix[:1].upper()}{base + i:08d}"[:14]}
                    for i, eid in enumerate(enrollment_ids) if months_paid[i]]
    db.session.execute(insert(Payment), payment_rows)
    taking = [(i, eid) for i, eid in enumerate(enrollment_ids) if months_paid[i]]
    by_key = {(pid, year): (o, sid) for pid, year, o, sid in offerings}
    se_rows = []
    for i, eid in taking:
        row = student_rows[i]
        offering, subject_id = by_key[(int(row["program_id"]), int(row["year_level"]))]
        se_rows.append({"term_enrollment_id": eid, "subject_id": subject_id, "offering_id": offering.id,
                        "status": "INC" if i % 53 == 0 else "ENROLLED", "grade": "INC" if i % 53 == 0 else None})
    se_ids = db.session.execute(insert(SubjectEnrollment).returning(SubjectEnrollment.id), se_rows).scalars().all()
    inc_rows = [{"subject_enrollment_id": se_id, "student_id": student_ids[taking[k][0]],
                 "started_on": today - timedelta(days=160), "base_deadline": today + timedelta(days=k % 60)}
                for k, se_id in enumerate(se_ids) if se_rows[k]["status"] == "INC"]
    if inc_rows:
        db.session.execute(insert(IncRecord), inc_rows)
    for _, _, offering, _ in offerings:
        offering.enrolled_count = sum(1 for r in se_rows if r["offering_id"] == offering.id)
    db.session.flush()
    return term
