"""What a generated document says, built from the records at release time (never retyped):
the TOR from the transcript service, the COE from the current term's registration, the good
moral and honorable dismissal from their templates, the diploma from the graduation record.
The result is a plain snapshot kept with the release, so the page, the PDF and any reprint
say the same thing."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import (
    MonthBucket,
    ReleaseKind,
    Student,
    StudentStatus,
    StudentStatusChange,
    SubjectEnrollment,
    SubjectEnrollmentStatus,
    Term,
    TermEnrollment,
    TermEnrollmentStatus,
    TransferCredit,
    User,
)
from richwell.services import enrollment, grades
from richwell.services.platform import school
from richwell.services.platform.errors import DomainError

from .rules import long_date


def past_terms_balance(student_id: int) -> Decimal:
    """What the student still owes for terms other than the current one (months not fully paid).
    A term enrollment is only ever opened for the current term, so any other term is a past one."""
    owed = db.session.scalar(
        select(func.coalesce(func.sum(MonthBucket.required - MonthBucket.paid), 0))
        .join(TermEnrollment, TermEnrollment.id == MonthBucket.term_enrollment_id)
        .join(Term, Term.id == TermEnrollment.term_id)
        .where(TermEnrollment.student_id == student_id, Term.is_current.is_(False),
               MonthBucket.paid < MonthBucket.required))
    return Decimal(owed or 0).quantize(Decimal("0.01"))


def has_record(student_id: int) -> bool:
    """Whether the school has anything to certify: a subject ever taken or a credited one."""
    taken = db.session.scalar(
        select(SubjectEnrollment.id).join(TermEnrollment, TermEnrollment.id == SubjectEnrollment.term_enrollment_id)
        .where(TermEnrollment.student_id == student_id).limit(1))
    if taken is not None:
        return True
    credited = db.session.scalar(select(TransferCredit.id).where(TransferCredit.student_id == student_id).limit(1))
    return credited is not None


def graduation_date(student_id: int) -> date | None:
    """The effective date of the student's latest change to GRADUATED."""
    found: date | None = db.session.scalar(
        select(StudentStatusChange.effective_date)
        .where(StudentStatusChange.student_id == student_id,
               StudentStatusChange.to_status == StudentStatus.GRADUATED.value)
        .order_by(StudentStatusChange.effective_date.desc(), StudentStatusChange.id.desc()).limit(1))
    return found


def _terms_attended(student_id: int) -> tuple[str | None, str | None]:
    names = db.session.execute(
        select(Term.academic_year, Term.semester).join(TermEnrollment, TermEnrollment.term_id == Term.id)
        .join(SubjectEnrollment, SubjectEnrollment.term_enrollment_id == TermEnrollment.id)
        .where(TermEnrollment.student_id == student_id,
               SubjectEnrollment.status != SubjectEnrollmentStatus.DROPPED.value)
        .group_by(Term.id, Term.academic_year, Term.semester, Term.start_date).order_by(Term.start_date)).all()
    labels = [f"{_semester(r.semester)} {r.academic_year}" for r in names]
    return (labels[0], labels[-1]) if labels else (None, None)


def _semester(value: str) -> str:
    return {"FIRST": "1st semester", "SECOND": "2nd semester", "SUMMER": "Summer"}.get(value, value.title())


def _header(student: Student, released_on: date, released_by: User) -> dict[str, Any]:
    details = school.details()
    return {
        "student": {"name": student.full_name, "number": student.student_number,
                    "program_code": student.program.code, "program_name": student.program.name,
                    "sex": student.sex, "status": student.status},
        "school": {"name": details.name, "address": details.address,
                   "registrar_name": details.registrar_name or released_by.full_name},
        "released_on": released_on.isoformat(),
        "prepared_by": released_by.full_name,
    }


def _pronoun(student: Student) -> tuple[str, str]:
    return {"M": ("he", "his"), "F": ("she", "her")}.get(student.sex or "", ("the student", "the student's"))


def build(kind: ReleaseKind, student: Student, actor: User, purpose: str, released_on: date) -> dict[str, Any]:
    """The snapshot of a generated document; refuses when the records cannot support it."""
    snap = _header(student, released_on, actor)
    name, number = student.full_name.upper(), student.student_number
    program = f"{student.program.name} ({student.program.code})"
    he, his = _pronoun(student)
    school_name = snap["school"]["name"]
    request_line = (f"This certification is issued upon the request of {name} for the purpose of "
                    f"{purpose.lower()}, this {long_date(released_on)}.")
    if kind is ReleaseKind.TOR:
        snap["record"] = grades.build_record(actor, student.id)
        snap["paragraphs"] = []
    elif kind is ReleaseKind.COE:
        snap["enrollment"] = _current_registration(student, actor)
        e = snap["enrollment"]
        snap["paragraphs"] = [
            f"This is to certify that {name} ({number}) is officially enrolled at {school_name} as a "
            f"year {e['year_level']} student of {program} for the {e['term']}, carrying "
            f"{e['units']} units.",
            request_line]
    elif kind is ReleaseKind.CGM:
        first, last = _terms_attended(student.id)
        attended = f" from the {first} to the {last}" if first else ""
        verb = "is" if student.status == StudentStatus.ACTIVE.value else "was"
        snap["paragraphs"] = [
            f"This is to certify that {name} ({number}) {verb} a student of {program} at {school_name}"
            f"{attended}.",
            f"During {his} stay in this institution, {he} has shown good moral character and has not been "
            "subjected to any disciplinary action.",
            request_line]
    elif kind is ReleaseKind.HD:
        first, last = _terms_attended(student.id)
        attended = f" from the {first} to the {last}" if first else ""
        snap["paragraphs"] = [
            f"This is to certify that {name} ({number}) was a student of {program} at {school_name}"
            f"{attended}.",
            f"{name} is hereby granted HONORABLE DISMISSAL effective on the {long_date(released_on)}, having no "
            "pending disciplinary case with this institution. The official transcript of records will be "
            "sent to the receiving school upon its written request.",
            request_line]
    elif kind is ReleaseKind.DIP:
        graduated = graduation_date(student.id)
        if graduated is None:  # pragma: no cover - a GRADUATED student always has the change dated
            raise DomainError(f"{number} has no graduation date recorded.", code="not_graduated", field="kind")
        snap["graduated_on"] = graduated.isoformat()
        snap["paragraphs"] = [
            f"{school_name}, upon the recommendation of the faculty and by virtue of the authority vested "
            f"in it, confers upon {name} the degree of {student.program.name.upper()}, with all the "
            "rights, privileges and honors thereunto appertaining.",
            f"Given at {snap['school']['address'] or school_name} on the {long_date(graduated)}."]
    return snap


def _current_registration(student: Student, actor: User) -> dict[str, Any]:
    """The COE's facts from the current term's registration (COR): program, year, units, term."""
    te_id = enrollment.current_enrollment_id(student.user_id)
    te = db.session.get(TermEnrollment, te_id) if te_id is not None else None
    if te is None or te.status != TermEnrollmentStatus.ACTIVE.value:
        raise DomainError(f"{student.student_number} is not enrolled in the current term.",
                          code="not_enrolled", field="kind")
    cor = enrollment.registration(te.id, actor)
    if not cor.subjects:
        raise DomainError(f"{student.student_number} has no enrolled subjects in the current term.",
                          code="not_enrolled", field="kind")
    return {"term": cor.term_name, "year_level": cor.year_level, "units": cor.total_units,
            "subjects": [{"code": s.code, "title": s.title, "units": s.units} for s in cor.subjects]}
