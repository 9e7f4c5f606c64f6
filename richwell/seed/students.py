"""Demo students: about 60 of BSIT and BSBA in varied states (fresh applicants with and
without documents and reviews, transferees with credits, continuing students not yet
opened, students on leave, withdrawn). Idempotent: a student whose email exists is skipped.

Runs after the curriculum seed when there is one; on its own it creates the two programs
and a current term if they are missing, and credits subjects only if the program has any.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from richwell.extensions import db
from richwell.models import Program, Student, Subject, Term, User
from richwell.services import admissions
from richwell.services.academics import current_term
from richwell.services.platform.clock import now, today
from richwell.services.platform.errors import DomainError
from richwell.services.platform.unit_of_work import unit_of_work

PROGRAMS = [("BSIT", "Bachelor of Science in Information Technology"),
            ("BSBA", "Bachelor of Science in Business Administration")]
DEMO_EMAIL = "student.demo@richwell.edu.ph"
FIRST = ["Andrea", "Paolo", "Bea", "Miguel", "Kristine", "Joshua", "Camille", "Gabriel", "Patricia", "Carlo",
         "Nicole", "Rafael", "Angelica", "Jerome", "Trisha", "Mark", "Jasmine", "Kevin", "Bianca", "Christian"]
LAST = ["Santos", "Reyes", "Cruz", "Bautista", "Ocampo", "Garcia", "Mendoza", "Torres", "Castillo", "Flores",
        "Villanueva", "Ramos", "Aquino", "Navarro", "Domingo", "Salazar", "Mercado", "Soriano", "Aguilar", "Pascual"]
SCHOOLS = [("STI College Malolos", "BS Computer Science"), ("AMA Computer College", "BS Information Technology"),
           ("Bulacan State University", "BS Accountancy"), ("La Consolacion University", "BS Business Administration")]
TOWNS = ["Malolos", "Meycauayan", "Marilao", "Bocaue", "Guiguinto", "Plaridel", "Baliuag", "Sta. Maria"]

MINI_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

# (how many, kind) in order: the first fresh applicant is the printed demo login.
PLAN = [(30, "fresh"), (10, "transferee"), (8, "continuing"), (6, "loa"), (3, "withdrawn"), (3, "graduated")]


def _program(code: str, name: str) -> Program:
    program = db.session.scalar(select(Program).where(Program.code == code))
    if program is None:
        with unit_of_work():
            program = Program(code=code, name=name, years=4, is_active=True)
            db.session.add(program)
    return program


def _ensure_current_term() -> Term:
    """The current term, or a minimal one around today on the school's calendar."""
    term = current_term()
    if term is not None:
        return term
    t = today()
    if t.month >= 8:
        year, semester = f"{t.year}-{t.year + 1}", "FIRST"
    elif t.month <= 5:
        year, semester = f"{t.year - 1}-{t.year}", "SECOND"
    else:
        year, semester = f"{t.year - 1}-{t.year}", "SUMMER"
    with unit_of_work():
        term = db.session.scalar(select(Term).where(Term.academic_year == year, Term.semester == semester))
        if term is None:
            term = Term(academic_year=year, semester=semester, start_date=t - timedelta(days=20),
                        end_date=t + timedelta(days=120), enrollment_open=t - timedelta(days=20),
                        enrollment_close=t + timedelta(days=20), drop_deadline=t + timedelta(days=40),
                        grade_deadline=t + timedelta(days=125))
            db.session.add(term)
        term.is_current = True
    return term


def _staff(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _values(n: int, program: Program, transferee: bool) -> dict:
    first, last = FIRST[n % len(FIRST)], LAST[(n * 7 + n // len(FIRST)) % len(LAST)]
    school, course = SCHOOLS[n % len(SCHOOLS)]
    return {
        "first_name": first, "middle_name": LAST[(n * 3 + 5) % len(LAST)], "last_name": last,
        "email": DEMO_EMAIL if n == 0 else f"{first}.{last}.{n:02d}@demo.richwell.edu.ph".lower(),
        "birthdate": f"{2000 + n % 8}-{1 + n % 12:02d}-{1 + (n * 5) % 28:02d}", "sex": "FM"[n % 2],
        "mobile": f"0917{5550000 + n:07d}", "address": f"{10 + n} Rizal St., {TOWNS[n % len(TOWNS)]}, Bulacan",
        "program_id": program.id, "admission_type": "TRANSFEREE" if transferee else "FRESHMAN",
        "previous_school": school if transferee else None, "previous_course": course if transferee else None,
        "monthly_commitment": str(Decimal(1500 + 250 * (n % 9))),
    }


def _documents(n: int) -> list:
    kinds = ["ID", "FORM138_OR_TOR", "GOOD_MORAL"]
    return [(kind, f"{kind.lower()}.pdf", MINI_PDF) for kind in (kinds if n % 3 else kinds[:2])]


def _credit_subjects(program: Program) -> list[Subject]:
    return list(db.session.scalars(select(Subject).where(Subject.program_id == program.id, Subject.year_level == 1)
                                   .order_by(Subject.semester, Subject.code).limit(3)))


def seed(password: str, *, keep_passwords: bool = False) -> list[tuple[str, str]]:
    programs = [_program(code, name) for code, name in PROGRAMS]
    _ensure_current_term()
    registrar = _staff("registrar@richwell.edu.ph")
    admission = _staff("admission@richwell.edu.ph")
    n = 0
    for count, kind in PLAN:
        for _ in range(count):
            _seed_one(n, kind, programs[n % 2], password, registrar, admission)
            n += 1
    demo = db.session.scalar(select(Student).join(User, User.id == Student.user_id).where(User.email == DEMO_EMAIL))
    return [("Student", demo.student_number)] if demo else []


def _seed_one(n: int, kind: str, program: Program, password: str, registrar: User | None,
              admission: User | None) -> None:
    transferee = kind == "transferee"
    values = _values(n, program, transferee)
    if db.session.scalar(select(User.id).where(User.email == values["email"])):
        return
    applicant = admissions.validate_applicant(password=password, **values)
    documents = admissions.check_documents(_documents(n)) if kind == "fresh" and n % 4 != 3 else []
    admitted = admissions.admit(applicant, password=password, actor=registrar if transferee else None,
                                created_via="REGISTRAR" if transferee else "ONLINE", documents=documents,
                                open_enrollment=kind not in ("continuing", "graduated", "withdrawn"))
    student = admitted.student
    with unit_of_work():
        # Spread applications over the last weeks so the admission list has dates to filter.
        student.created_at = now() - timedelta(days=(59 - n) // 2, hours=n % 9)
        if kind in ("continuing", "graduated"):
            student.year_level = 2 if kind == "continuing" else 4
    if kind == "fresh" and admission is not None and documents:
        if n % 5 == 1:
            admissions.review_documents(admission, student.id, "COMPLETE", None)
        elif n % 5 == 2:
            admissions.review_documents(admission, student.id, "INCOMPLETE", "The good moral certificate is "
                                        "missing its dry seal. Please upload a clear copy.")
    if registrar is None:
        return
    if transferee:
        for i, subject in enumerate(_credit_subjects(program)):
            try:
                credit = admissions.add_credit(registrar, student.id, subject_id=subject.id,
                                            source_school=values["previous_school"], original_code=f"X{subject.code}",
                                            original_title=subject.title, original_grade=["1.75", "2.00", "A"][i % 3],
                                            units=subject.units, counted_in_gpa=i == 0)
            except DomainError:
                continue
            if n % 4 == 0 and i == 1:
                admissions.dispute_credit(registrar, credit.id, "Units on the transcript do not match the syllabus.")
    status = {"loa": ("LOA", "Leave of absence for family reasons."),
              "withdrawn": ("WITHDRAWN", "Transferred to another school."),
              "graduated": ("GRADUATED", "Completed the program.")}.get(kind)
    if status:
        admissions.change_status(registrar, student.id, status[0], today(), status[1])
