"""Builders for accounts, programs, terms, students and term enrollments."""
from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from richwell.extensions import db
from richwell.models import Program, Role, Student, StudentStatus, Term, TermEnrollment, User
from richwell.services.enrollment import open_term_enrollment
from richwell.services.platform import accounts
from richwell.services.platform.clock import today
from richwell.services.platform.unit_of_work import unit_of_work

__all__ = ["DEFAULT_PASSWORD", "make_user", "make_program", "make_term", "make_student", "make_enrollment"]

DEFAULT_PASSWORD = "correct-horse-9"
_seq = itertools.count(1)
_hash_cache: dict[str, str] = {}


def _hash(password: str) -> str:
    if password not in _hash_cache:
        _hash_cache[password] = accounts.hash_password(password)
    return _hash_cache[password]


def make_user(role: str | Role = Role.STUDENT, *, email: str | None = None, password: str = DEFAULT_PASSWORD,
              first_name: str = "Juan", last_name: str | None = None, active: bool = True,
              must_change_password: bool = False) -> User:
    n = next(_seq)
    role = Role(role)
    user = User(email=(email or f"{role.value}{n}@example.edu.ph").lower(), first_name=first_name,
                last_name=last_name or f"Tester{n}", role=role.value, password_hash=_hash(password),
                is_active_account=active, must_change_password=must_change_password)
    db.session.add(user)
    db.session.commit()
    return user


def make_program(code: str | None = None, name: str | None = None, years: int = 4) -> Program:
    n = next(_seq)
    program = Program(code=code or f"P{n}", name=name or f"Program {n}", years=years)
    db.session.add(program)
    db.session.commit()
    return program


def make_term(*, current: bool = True, academic_year: str = "2026-2027", semester: str = "FIRST",
              open_today: bool = True) -> Term:
    """A term whose enrollment window contains today (unless open_today=False)."""
    t = today()
    if current:
        db.session.query(Term).filter(Term.is_current.is_(True)).update({"is_current": False})
    term = Term(academic_year=academic_year, semester=semester,
                start_date=t - timedelta(days=30), end_date=t + timedelta(days=120),
                enrollment_open=t - timedelta(days=10) if open_today else t - timedelta(days=25),
                enrollment_close=t + timedelta(days=10) if open_today else t - timedelta(days=15),
                drop_deadline=t + timedelta(days=20), grade_deadline=t + timedelta(days=110),
                is_current=current)
    db.session.add(term)
    db.session.commit()
    return term


def make_student(*, program: Program | None = None, user: User | None = None, number: str | None = None,
                 status: str = StudentStatus.ACTIVE.value, year_level: int = 1,
                 admission_type: str = "FRESHMAN", **user_kwargs) -> Student:
    program = program or make_program()
    user = user or make_user(Role.STUDENT, **user_kwargs)
    n = next(_seq)
    student = Student(user_id=user.id, student_number=number or f"2026-{n:05d}", program_id=program.id,
                      status=status, year_level=year_level, admission_type=admission_type,
                      birthdate=date(2005, 1, 1), sex="F", mobile="09171234567", address="Manila")
    db.session.add(student)
    db.session.commit()
    return student


def make_enrollment(student: Student | None = None, term: Term | None = None,
                    commitment: str | Decimal = "5000.00") -> TermEnrollment:
    student = student or make_student()
    term = term or db.session.query(Term).filter(Term.is_current.is_(True)).first() or make_term()
    with unit_of_work():
        return open_term_enrollment(student, term, Decimal(commitment), actor=None)
