"""Dashboards and reports (services.reports): each figure against data worked out by hand."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import event

from richwell.extensions import db
from richwell.models import Role, Term
from richwell.services import reports
from richwell.services.platform import clock
from richwell.services.platform.errors import Forbidden, ValidationError
from tests.factories.curriculum import make_offering, make_section
from tests.factories.grading import add_to_class, make_curriculum_subject
from tests.factories.payments import pay
from tests.factories.people import make_enrollment, make_program, make_student, make_user

# 2026-08-20 12:00 Manila. The term started 2026-06-01; installment_due_day is 15 (default):
# month 1 due Jun 1 (80 days late), 2 Jul 15 (36), 3 Aug 15 (5), 4 Sep 15, 5 Oct 15, 6 Nov 15.
NOW = datetime(2026, 8, 20, 4, 0, tzinfo=timezone.utc)


@pytest.fixture
def school(app, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    term = Term(academic_year="2026-2027", semester="FIRST", start_date=date(2026, 6, 1), end_date=date(2026, 10, 30),
                enrollment_open=date(2026, 5, 1), enrollment_close=date(2026, 6, 15),
                drop_deadline=date(2026, 7, 1), grade_deadline=date(2026, 8, 10), is_current=True)
    db.session.add(term)
    db.session.commit()
    program = make_program("BSIT")
    a = make_enrollment(make_student(program=program), term)                   # pays nothing
    b = make_enrollment(make_student(program=program, year_level=2), term)     # pays 7,000
    c = make_enrollment(make_student(program=program), term)                   # withdrawn, owes all
    d = make_enrollment(make_student(program=program), term)                   # pays 5,000, in a class, LOA
    e = make_enrollment(make_student(program=program), term)                   # pays 30,000, in a class
    pay(b, "7000.00")
    pay(d, "5000.00")
    pay(e, "30000.00", method="GCASH")
    c.status = "WITHDRAWN"
    d.student.status = "LOA"
    db.session.commit()
    section = make_section(term, program, code="BSIT-1A", capacity=40)
    empty = make_section(term, program, code="BSIT-1B", capacity=10)
    offering = make_offering(section, make_curriculum_subject(program))
    add_to_class(offering, d.student)
    add_to_class(offering, e.student)
    add_to_class(offering, b.student, status="DROPPED")
    return {"term": term, "program": program, "a": a, "b": b, "c": c, "d": d, "e": e, "section": section,
            "empty": empty}


def test_receivables_aging_buckets_follow_the_due_dates(school):
    aging = reports.due_months(reports.Filters(), date(2026, 8, 20))
    # a owes all 6 months; b owes 3,000 of month 2 and months 3-6; d owes months 2-6; c is withdrawn.
    assert aging.totals == {"current": Decimal("45000.00"), "1-30": Decimal("15000.00"),
                            "31-60": Decimal("13000.00"), "over 60": Decimal("5000.00")}
    assert {(m.month, m.due, m.days_late) for m in aging.months} >= {(1, date(2026, 6, 1), 80),
                                                                      (2, date(2026, 7, 15), 36)}


def test_aging_report_lists_each_student_by_bucket(school):
    admin = make_user(Role.ADMIN)
    page = reports.run_page(admin, "aging", {})
    rows = {r["student_number"]: r for r in page.rows}
    a, b = rows[school["a"].student.student_number], rows[school["b"].student.student_number]
    assert (a["over_60"], a["31_60"], a["1_30"], a["current"]) == (5000, 5000, 5000, 15000)
    assert (b["over_60"], b["31_60"], b["1_30"], b["overdue"]) == (0, 3000, 5000, 8000)
    assert school["c"].student.student_number not in rows
    assert school["e"].student.student_number not in rows
    assert page.rows[0]["student_number"] == school["a"].student.student_number  # most overdue first


def test_funnel_counts_each_stage(school):
    board = reports.registrar_dashboard(make_user(Role.REGISTRAR))
    # applied: 5; month 1 paid: b, d, e; enrolled in subjects: d, e (b only dropped); attending: e (d is on LOA).
    assert board.funnel_totals == {"applied": 5, "paid": 3, "enrolled": 2, "attending": 1}
    fill = {s.code: (s.students, s.percent) for s in board.sections}
    assert fill == {"BSIT-1A": (2, 5), "BSIT-1B": (0, 0)}
    assert board.fullest[0].code == "BSIT-1A" and board.emptiest[0].code == "BSIT-1B"
    assert board.past_deadline is True


def test_blocked_students_need_everything_up_to_the_mapped_month(school):
    board = reports.finance_dashboard(make_user(Role.CASHIER), "FINAL")  # month 4
    needs = {b.student_number: b.needed for b in board.blocked}
    assert needs == {school["a"].student.student_number: Decimal("20000.00"),
                     school["b"].student.student_number: Decimal("13000.00"),
                     school["d"].student.student_number: Decimal("15000.00")}
    assert (board.blocked_count, board.blocked_total) == (3, Decimal("48000.00"))


def test_next_exam_is_the_first_whose_month_is_not_yet_due(school):
    board = reports.finance_dashboard(make_user(Role.CASHIER))
    # Prelim's month 1 was due Jun 1, midterm's Jul 15, pre-final's Aug 15: all past on Aug 20.
    assert (board.exam, board.exam_month) == ("FINAL", 4)


def test_collections_are_net_by_day_and_method(school):
    board = reports.finance_dashboard(make_user(Role.ADMIN))
    assert board.today_by_method["CASH"] == Decimal("12000.00")
    assert board.today_by_method["GCASH"] == Decimal("30000.00")
    assert board.by_day == [(date(2026, 8, 20), Decimal("42000.00"))]


def test_each_dashboard_refuses_other_roles(school):
    for role, allowed in [(Role.CASHIER, {"finance"}), (Role.REGISTRAR, {"registrar"}),
                          (Role.ADMIN, {"finance", "admin"}),
                          (Role.ADMISSION, {"admission"}), (Role.PROFESSOR, set()), (Role.STUDENT, set())]:
        user = make_user(role)
        for name, fn in [("registrar", reports.registrar_dashboard), ("finance", reports.finance_dashboard),
                         ("admission", reports.admission_dashboard), ("admin", reports.admin_dashboard)]:
            if name in allowed:
                fn(user)
            else:
                with pytest.raises(Forbidden):
                    fn(user)


@pytest.mark.parametrize("args,field", [
    ({"date_from": "2026-08-10", "date_to": "2026-08-01"}, "date_to"),
    ({"date_from": "2024-01-01", "date_to": "2026-08-01"}, "date_to"),
    ({"program_id": "999999"}, "program_id"),
    ({"term_id": "999999"}, "term_id"),
    ({"year_level": "9"}, "year_level"),
    ({"method": "BITCOIN"}, "method"),
])
def test_bad_filters_are_refused_at_their_field(school, args, field):
    with pytest.raises(ValidationError) as caught:
        reports.run_page(make_user(Role.ADMIN), "payments", args)
    assert field in caught.value.fields


def test_filters_that_match_nothing_are_an_empty_report(school):
    other = make_program("BSBA")
    page = reports.run_page(make_user(Role.ADMIN), "aging", {"program_id": str(other.id)})
    assert (page.total, page.rows) == (0, [])


@pytest.mark.parametrize("text", ["=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx"])
def test_formulas_are_neutralised(text):
    assert reports.neutralise(text) == "'" + text


def test_plain_text_is_left_alone():
    assert reports.neutralise("Dela Cruz") == "Dela Cruz"


@contextmanager
def count_statements():
    seen: list[str] = []

    def listener(conn, cursor, statement, *args):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def _statements_per_dashboard(students: int, prefix: str) -> dict[str, int]:
    from richwell.seed.volume import seed_volume

    seed_volume(students, prefix=prefix, today=clock.today())
    db.session.commit()
    users = {role: make_user(role) for role in (Role.REGISTRAR, Role.CASHIER, Role.ADMISSION, Role.ADMIN)}
    calls = {"registrar": lambda: reports.registrar_dashboard(users[Role.REGISTRAR]),
             "finance": lambda: reports.finance_dashboard(users[Role.CASHIER]),
             "admission": lambda: reports.admission_dashboard(users[Role.ADMISSION]),
             "admin": lambda: reports.admin_dashboard(users[Role.ADMIN]),
             "pending": reports.pending_work,
             "aging report": lambda: reports.run_page(users[Role.ADMIN], "aging", {}),
             "enrollment report": lambda: reports.run_page(users[Role.ADMIN], "enrollment", {})}
    counts = {}
    for name, call in calls.items():
        call()  # warm the settings cache
        db.session.expire_all()
        with count_statements() as seen:
            call()
        counts[name] = len(seen)
    return counts


@pytest.mark.parametrize("big", [2000])
def test_statement_counts_do_not_grow_with_students(app, big):
    small = _statements_per_dashboard(50, "sml")
    db.session.rollback()
    large = _statements_per_dashboard(big - 50, "big")  # 2,000 students in all
    assert small == large
    # The admin dashboard reads each periodic job's last runs (jobs.periodic_states): more, but fixed.
    assert all(n <= 12 for name, n in large.items() if name != "admin"), large


def test_grade_distribution_per_class_and_per_program(school):
    from tests.factories.grading import make_class

    offering = make_class(program=school["program"], term=school["term"])
    for grade in ("1.00", "1.00", "5.00", "INC"):
        add_to_class(offering, make_student(program=school["program"]), status="PASSED", grade=grade)
    registrar = make_user(Role.REGISTRAR)
    per_class = reports.run_page(registrar, "grades", {}).rows
    row = next(r for r in per_class if r["students"] == 4)
    assert (row["g1_00"], row["g5_00"], row["gINC"], row["g3_00"]) == (2, 1, 1, 0)
    per_program = reports.run_page(registrar, "grades_by_program", {}).rows
    assert [(r["program"], r["classes"], r["g1_00"]) for r in per_program] == [("BSIT", 2, 2)]
