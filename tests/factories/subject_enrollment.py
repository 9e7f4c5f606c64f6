"""Builders for subject enrollment tests: subjects, sections, offerings with slots, paid
first months and past results. Named new_* so they never shadow the curriculum factories."""
from __future__ import annotations

import itertools
from datetime import time
from decimal import Decimal

from richwell.extensions import db
from richwell.models import (
    MonthBucket,
    Offering,
    Program,
    ScheduleSlot,
    Section,
    Subject,
    SubjectEnrollment,
    Term,
    TermEnrollment,
    TransferCredit,
    User,
)

__all__ = ["new_subject", "new_section", "new_offering", "pay_first_month", "past_result", "new_credit"]

_seq = itertools.count(1)


def new_subject(program: Program, code: str | None = None, *, title: str | None = None, units: int = 3,
                year_level: int = 1, semester: str = "FIRST", prerequisites: list[Subject] = (),
                is_major: bool = True) -> Subject:
    n = next(_seq)
    subject = Subject(program_id=program.id, code=code or f"S{n:03d}", title=title or f"Subject {n}", units=units,
                      year_level=year_level, semester=semester, is_major=is_major)
    subject.prerequisites.extend(prerequisites)
    db.session.add(subject)
    db.session.commit()
    return subject


def new_section(term: Term, program: Program, code: str | None = None, *, year_level: int = 1,
                capacity: int = 40) -> Section:
    section = Section(term_id=term.id, program_id=program.id, code=code or f"{program.code}-{next(_seq)}",
                      year_level=year_level, capacity=capacity)
    db.session.add(section)
    db.session.commit()
    return section


def new_offering(subject: Subject, section: Section, *, capacity: int = 40, enrolled_count: int = 0,
                 professor: User | None = None,
                 slots: list[tuple[int, str, str]] | tuple = ((0, "08:00", "09:30"),),
                 room: str | None = "Rm 101") -> Offering:
    """An offering with weekly slots given as (day, "HH:MM", "HH:MM")."""
    offering = Offering(section_id=section.id, subject_id=subject.id, capacity=capacity,
                        enrolled_count=enrolled_count, professor_id=professor.id if professor else None)
    offering.slots = [ScheduleSlot(day=day, start_time=time.fromisoformat(start), end_time=time.fromisoformat(end),
                                   room=room) for day, start, end in slots]
    db.session.add(offering)
    db.session.commit()
    return offering


def pay_first_month(enrollment: TermEnrollment, amount: str | Decimal | None = None) -> MonthBucket:
    """Set bucket 1's paid amount directly (the payments area fills buckets for real)."""
    bucket = db.session.query(MonthBucket).filter_by(term_enrollment_id=enrollment.id, month=1).one()
    bucket.paid = Decimal(amount) if amount is not None else bucket.required
    db.session.commit()
    return bucket


def past_result(enrollment: TermEnrollment, subject: Subject, status: str, offering: Offering | None = None,
                grade: str | None = None) -> SubjectEnrollment:
    row = SubjectEnrollment(term_enrollment_id=enrollment.id, subject_id=subject.id, status=status,
                            offering_id=offering.id if offering else None, grade=grade)
    db.session.add(row)
    db.session.commit()
    return row


def new_credit(student, subject: Subject, status: str = "ACCEPTED") -> TransferCredit:
    credit = TransferCredit(student_id=student.id, subject_id=subject.id, source_school="STI College",
                            original_code="CS1", original_title="Intro", original_grade="1.75",
                            units=subject.units, status=status)
    db.session.add(credit)
    db.session.commit()
    return credit
