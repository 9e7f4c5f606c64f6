"""Builders for grading: subjects, classes (offerings) with a professor, students in them,
transfer credits, and a shortcut through entry → submission → finalization."""
from __future__ import annotations

import itertools
from datetime import date

from sqlalchemy import select

from richwell.extensions import db
from richwell.models import (
    Offering,
    Program,
    Role,
    Section,
    Student,
    StudentStatusChange,
    Subject,
    SubjectEnrollment,
    Term,
    TermEnrollment,
    TransferCredit,
    User,
)
from richwell.services import grades
from tests.factories.people import make_enrollment, make_program, make_student, make_term, make_user

__all__ = ["make_curriculum_subject", "make_class", "add_to_class", "make_credit", "post_grades",
           "record_status_change"]

_seq = itertools.count(1)


def make_curriculum_subject(program: Program, *, code: str | None = None, units: int = 3, is_major: bool = True,
                            year_level: int = 1, semester: str = "FIRST", title: str | None = None) -> Subject:
    n = next(_seq)
    subject = Subject(program_id=program.id, code=code or f"S{n:03d}", title=title or f"Subject {n}",
                      units=units, is_major=is_major, year_level=year_level, semester=semester)
    db.session.add(subject)
    db.session.commit()
    return subject


def make_class(*, program: Program | None = None, term: Term | None = None, professor: User | None = None,
               subject: Subject | None = None, **subject_kwargs) -> Offering:
    """An offering of a (new or given) subject in a new section, taught by `professor`."""
    program = program or (subject.program if subject else make_program())
    term = term or db.session.scalar(select(Term).where(Term.is_current.is_(True))) or make_term()
    professor = professor or make_user(Role.PROFESSOR)
    subject = subject or make_curriculum_subject(program, **subject_kwargs)
    section = Section(term_id=term.id, program_id=program.id, year_level=subject.year_level,
                      code=f"{program.code}-{next(_seq)}A", capacity=40)
    db.session.add(section)
    db.session.flush()
    offering = Offering(section_id=section.id, subject_id=subject.id, professor_id=professor.id, capacity=40)
    db.session.add(offering)
    db.session.commit()
    return offering


def add_to_class(offering: Offering, student: Student | None = None, *, status: str = "ENROLLED",
                 grade: str | None = None, is_retake: bool = False) -> SubjectEnrollment:
    """Put a student in a class directly (the enrollment service is another area's)."""
    student = student or make_student(program=offering.subject.program)
    term = offering.section.term
    enrollment = db.session.scalar(select(TermEnrollment).where(
        TermEnrollment.student_id == student.id, TermEnrollment.term_id == term.id))
    if enrollment is None:
        enrollment = make_enrollment(student, term)
    se = SubjectEnrollment(term_enrollment_id=enrollment.id, subject_id=offering.subject_id,
                           offering_id=offering.id, status=status, grade=grade, is_retake=is_retake)
    db.session.add(se)
    offering.enrolled_count += 1
    db.session.commit()
    return se


def make_credit(student: Student, subject: Subject, *, grade: str = "1.50", units: int | None = None,
                counted: bool = False, status: str = "ACCEPTED") -> TransferCredit:
    credit = TransferCredit(student_id=student.id, subject_id=subject.id, source_school="Other College",
                            original_code=f"X{subject.code}", original_title=subject.title, original_grade=grade,
                            units=units if units is not None else subject.units, counted_in_gpa=counted,
                            status=status)
    db.session.add(credit)
    db.session.commit()
    return credit


def post_grades(offering: Offering, values: dict[int, str], *, registrar: User | None = None) -> None:
    """Enter `values` (subject enrollment id → grade) as the professor, submit, finalize."""
    professor = db.session.get(User, offering.professor_id)
    for se_id, value in values.items():
        grades.save_draft(professor, offering.id, se_id, value)
    grades.submit_sheet(professor, offering.id)
    grades.finalize(registrar or make_user(Role.REGISTRAR), [offering.id])


def record_status_change(student: Student, to_status: str, on: date) -> StudentStatusChange:
    """A dated status change (LOA periods pause INC clocks)."""
    change = StudentStatusChange(student_id=student.id, from_status=student.status, to_status=to_status,
                                 effective_date=on, reason="test")
    student.status = to_status
    db.session.add(change)
    db.session.commit()
    return change
