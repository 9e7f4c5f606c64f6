"""Demo grades: a finished term with posted grades (one INC), and a current class of
prof.santos with a draft grade sheet. Idempotent: finds what exists by its codes and
reuses the curriculum and terms other steps may have seeded."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from richwell.extensions import db
from richwell.models import (
    GradeSheetStatus,
    Offering,
    Program,
    Role,
    Section,
    Student,
    StudentNumberCounter,
    Subject,
    SubjectEnrollment,
    Term,
    TermEnrollment,
    User,
)
from richwell.services import grades
from richwell.services.enrollment import open_term_enrollment
from richwell.services.platform import accounts
from richwell.services.platform.clock import today
from richwell.services.platform.unit_of_work import unit_of_work

SUBJECTS = [  # code, title, units, major, year, semester
    ("IT101", "Introduction to Computing", 3, True, 1, "FIRST"),
    ("IT102", "Computer Programming 1", 3, True, 1, "FIRST"),
    ("GE101", "Understanding the Self", 3, False, 1, "FIRST"),
    ("IT103", "Computer Programming 2", 3, True, 1, "SECOND"),
    ("GE102", "Purposive Communication", 3, False, 1, "SECOND"),
]
STUDENTS = [  # email, first, last
    ("maria.grades@example.edu.ph", "Maria", "Santiago"),
    ("jose.grades@example.edu.ph", "Jose", "Ramirez"),
    ("liza.grades@example.edu.ph", "Liza", "Gonzales"),
]


def _program() -> Program:
    program = db.session.scalar(select(Program).where(Program.code == "BSIT"))
    if program is None:
        program = Program(code="BSIT", name="Bachelor of Science in Information Technology", years=4)
        db.session.add(program)
        db.session.flush()
    return program


def _subject(program: Program, code, title, units, major, year, semester) -> Subject:
    subject = db.session.scalar(select(Subject).where(Subject.program_id == program.id, Subject.code == code))
    if subject is None:
        subject = Subject(program_id=program.id, code=code, title=title, units=units, is_major=major,
                          year_level=year, semester=semester)
        db.session.add(subject)
        db.session.flush()
    return subject


def _term(year: str, semester: str, start: date, current: bool) -> Term:
    term = db.session.scalar(select(Term).where(Term.academic_year == year, Term.semester == semester))
    if term is None:
        existing_current = db.session.scalar(select(Term).where(Term.is_current.is_(True))) if current else None
        if existing_current is not None:
            return existing_current
        term = Term(academic_year=year, semester=semester, start_date=start, end_date=start + timedelta(days=140),
                    enrollment_open=start - timedelta(days=21), enrollment_close=start + timedelta(days=14),
                    drop_deadline=start + timedelta(days=45), grade_deadline=start + timedelta(days=150),
                    is_current=current)
        db.session.add(term)
        db.session.flush()
    return term


def _offering(term: Term, program: Program, subject: Subject, professor: User) -> Offering:
    code = f"BSIT-1{'A' if term.semester == 'FIRST' else 'B'}"
    section = db.session.scalar(select(Section).where(Section.term_id == term.id, Section.code == code))
    if section is None:
        section = Section(term_id=term.id, program_id=program.id, year_level=1, code=code, capacity=40)
        db.session.add(section)
        db.session.flush()
    offering = db.session.scalar(select(Offering).where(Offering.section_id == section.id,
                                                       Offering.subject_id == subject.id))
    if offering is None:
        offering = Offering(section_id=section.id, subject_id=subject.id, professor_id=professor.id, capacity=40)
        db.session.add(offering)
        db.session.flush()
    elif offering.professor_id is None:
        offering.professor_id = professor.id  # the curriculum seed may have left it TBA
        db.session.flush()
    return offering


def _student(program: Program, email: str, first: str, last: str, password: str,
             keep_passwords: bool) -> Student:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = accounts.create_user(email=email, first_name=first, last_name=last, role=Role.STUDENT,
                                    password=password)
    elif not keep_passwords:
        user.password_hash = accounts.hash_password(password)
    if user.student is not None:
        return user.student
    year = today().year - 1
    counter = db.session.get(StudentNumberCounter, year)
    if counter is None:
        counter = StudentNumberCounter(year=year, last_value=0)
        db.session.add(counter)
    counter.last_value += 1
    student = Student(user_id=user.id, student_number=f"{year}-{counter.last_value:05d}", program_id=program.id,
                      created_via="REGISTRAR")
    db.session.add(student)
    db.session.flush()
    return student


def _take(student: Student, offering: Offering) -> SubjectEnrollment:
    term = offering.section.term
    enrollment = db.session.scalar(select(TermEnrollment).where(TermEnrollment.student_id == student.id,
                                                                TermEnrollment.term_id == term.id))
    if enrollment is None:
        enrollment = open_term_enrollment(student, term, Decimal("3000.00"), None)
    se = db.session.scalar(select(SubjectEnrollment).where(SubjectEnrollment.term_enrollment_id == enrollment.id,
                                                           SubjectEnrollment.subject_id == offering.subject_id))
    if se is None:
        se = SubjectEnrollment(term_enrollment_id=enrollment.id, subject_id=offering.subject_id,
                               offering_id=offering.id)
        db.session.add(se)
        offering.enrolled_count += 1
        db.session.flush()
    return se


def seed(password: str, *, keep_passwords: bool = False) -> list[tuple[str, str]]:
    professor = db.session.scalar(select(User).where(User.email == "prof.santos@richwell.edu.ph"))
    registrar = db.session.scalar(select(User).where(User.email == "registrar@richwell.edu.ph"))
    if professor is None or registrar is None:
        return []
    with unit_of_work():
        program = _program()
        subjects = {row[0]: _subject(program, *row) for row in SUBJECTS}
        now = today()
        # Reuse a finished term the curriculum seed made, if any; otherwise make one.
        past = db.session.scalar(select(Term).where(Term.is_current.is_(False), Term.end_date < now)
                                 .order_by(Term.end_date.desc())) or _term(
            f"{now.year - 1}-{now.year}", "FIRST", now - timedelta(days=300), current=False)
        current = _term(f"{now.year}-{now.year + 1}", "FIRST", now - timedelta(days=20), current=True)
        students = [_student(program, *row, password, keep_passwords) for row in STUDENTS]

    # The finished term: grades posted (Maria has an INC in GE101).
    posted = {"IT101": ["1.50", "2.25", "5.00"], "GE101": ["INC", "1.75", "2.00"]}
    for code, values in posted.items():
        with unit_of_work():
            offering = _offering(past, program, subjects[code], professor)
            rows = [_take(s, offering) for s in students]
        teacher = offering.professor
        assert teacher is not None  # _offering assigns the professor
        sheet = grades.find_sheet(offering.id)
        if sheet is None or sheet.status == GradeSheetStatus.OPEN.value:
            grades.reopen_sheet(registrar, offering.id, "Demo data: grades of a finished term", today())
            for se, value in zip(rows, values):
                grades.save_draft(teacher, offering.id, se.id, value)
            grades.submit_sheet(teacher, offering.id)
        sheet = grades.find_sheet(offering.id)
        if sheet is not None and sheet.status == GradeSheetStatus.SUBMITTED.value:
            grades.finalize(registrar, [offering.id])

    # The current term: prof.santos's class with a draft sheet to finish and submit.
    with unit_of_work():
        offering = _offering(current, program, subjects["IT102"], professor)
        rows = [_take(s, offering) for s in students]
    if grades.find_sheet(offering.id) is None and today() <= current.grade_deadline:
        teacher = offering.professor
        assert teacher is not None  # _offering assigns the professor
        grades.save_draft(teacher, offering.id, rows[0].id, "1.75")
    grades.recompute_all()
    return [("Student (grades)", students[0].student_number)]
