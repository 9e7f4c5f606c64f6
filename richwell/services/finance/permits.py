"""Exam permits: issued automatically, exactly once, when the exam's mapped month is fully
paid; revoked when a reversal leaves that month unpaid; verified publicly by their code.
Permits are never created by hand."""
from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, literal_column, null, select, update
from sqlalchemy.orm import selectinload

from richwell.extensions import db
from richwell.models import (
    DEFAULT_EXAM_MONTHS,
    Exam,
    ExamMonthMapping,
    ExamPermit,
    MonthBucket,
    PermitStatus,
    Role,
    Student,
    Term,
    TermEnrollment,
    TermEnrollmentStatus,
    User,
)
from richwell.services.platform import audit, clock, notifications, settings
from richwell.services.platform.errors import Forbidden, NotFound, ValidationError
from richwell.services.platform.sql import cached_statement
from richwell.services.platform.text import is_whole_number
from richwell.services.platform.unit_of_work import unit_of_work

from .access import visible_enrollment

EXAM_ORDER = [e.value for e in Exam]
# No 0/O or 1/I: codes are read off paper and typed in. 16 of 32 symbols = 80 random bits.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16
STUDENT_PAYMENTS_PATH = "/student/payments"


def new_code() -> str:
    """A fresh unguessable permit code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: object) -> str | None:
    """A typed or scanned code in canonical form (upper case, no spaces or dashes), or None."""
    text = re.sub(r"[\s\-]", "", str(raw or "")).upper()
    if len(text) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in text):
        return None
    return text


def default_exam_months() -> dict[str, int]:
    """The mapping of a term that has none of its own: PRELIM 1, MIDTERM 2, PREFINAL 3, FINAL 4."""
    return dict(DEFAULT_EXAM_MONTHS)


def exam_months(term_id: int) -> dict[str, int]:
    """The term's exam→month mapping (defaults PRELIM 1, MIDTERM 2, PREFINAL 3, FINAL 4)."""
    row = db.session.get(ExamMonthMapping, term_id)
    return row.as_dict() if row is not None else default_exam_months()


def _parse_exam_months(months: Mapping[str, object], top: int) -> dict[str, int]:
    """Each exam's month, 1..`top`, never earlier than the exam before it."""
    parsed: dict[str, int] = {}
    for exam in EXAM_ORDER:
        value = months.get(exam)
        raw = str(value if value is not None else "").strip()
        label = Exam(exam).label
        if not is_whole_number(raw) or len(raw) > 2 or not 1 <= int(raw) <= top:
            raise ValidationError(f"{label}: choose a month from 1 to {top}.", field=exam.lower())
        parsed[exam] = int(raw)
    for earlier, later in zip(EXAM_ORDER, EXAM_ORDER[1:]):
        if parsed[later] < parsed[earlier]:
            raise ValidationError(f"{Exam(later).label} cannot be tied to an earlier month than "
                                  f"{Exam(earlier).label}.", field=later.lower())
    return parsed


def set_exam_months(term_id: int, months: Mapping[str, object], actor: User) -> dict[str, int]:
    """Admin changes a term's exam→month mapping (each month 1..installment months, in exam
    order). Audited. A change never revokes a permit already issued; exams whose new month
    is already fully paid get their permits at once."""
    if actor is None or actor.role != Role.ADMIN.value:
        raise Forbidden("Only an administrator may change the exam→month mapping.")
    with unit_of_work():
        term = db.session.get(Term, term_id)
        if term is None:
            raise NotFound("That term does not exist.")
        parsed = _parse_exam_months(months, settings.get("installment_months"))
        row = db.session.get(ExamMonthMapping, term_id)
        before = row.as_dict() if row is not None else default_exam_months()
        if before == parsed and row is not None:
            return parsed
        if row is None:
            row = ExamMonthMapping(term_id=term_id)
            db.session.add(row)
        row.prelim_month, row.midterm_month = parsed["PRELIM"], parsed["MIDTERM"]
        row.prefinal_month, row.final_month = parsed["PREFINAL"], parsed["FINAL"]
        row.updated_by_id, row.updated_at = actor.id, clock.now()
        audit.record(actor, "permit.mapping", target_type="Term", target_id=term_id,
                     before=before, after=parsed)
    # Each owed permit in its own unit of work, once the mapping is durable (the hourly sweep's way).
    issue_missing_permits(term_id=term_id)
    return parsed


_PERMITS = ExamPermit.__table__


def _issue_statement(dialect: str) -> Insert:
    """INSERT the permits, or re-issue a REVOKED one; an ISSUED one is left alone. Built once
    per dialect (it runs inside every payment that completes a month); executed with one
    parameter set per exam, which SQLAlchemy sends as a single multi-row statement."""
    from sqlalchemy.dialects import postgresql, sqlite

    p = _PERMITS.c
    # No bound parameters outside VALUES, or SQLAlchemy cannot batch the rows.
    only_revoked = p.status == literal_column(f"'{PermitStatus.REVOKED.value}'")
    if dialect == "postgresql":
        pg = postgresql.insert(_PERMITS)
        return pg.on_conflict_do_update(
            index_elements=[p.term_enrollment_id, p.exam],
            set_={"status": pg.excluded.status, "code": pg.excluded.code, "issued_at": pg.excluded.issued_at,
                  "revoked_at": null()},
            where=only_revoked).returning(p.exam, p.code)
    lite = sqlite.insert(_PERMITS)
    return lite.on_conflict_do_update(
        index_elements=[p.term_enrollment_id, p.exam],
        set_={"status": lite.excluded.status, "code": lite.excluded.code, "issued_at": lite.excluded.issued_at,
              "revoked_at": null()},
        where=only_revoked).returning(p.exam, p.code)


def exams_for_months(months: Iterable[int], mapping: dict[str, int]) -> list[str]:
    """The exams mapped to `months`, in exam order: the permits those months being fully paid asks for."""
    wanted = set(months)
    return [exam for exam in EXAM_ORDER if mapping.get(exam) in wanted]


def issue_for_months(enrollment_id: int, months: Iterable[int], mapping: dict[str, int]) -> list[tuple[str, str]]:
    """Issue the permits of the exams mapped to `months` (the caller holds the enrollment lock,
    in its unit of work). One statement; a permit already ISSUED is left alone (exactly once), a REVOKED
    one is issued again with a fresh code. Returns the (exam, code) pairs issued now.
    (A payment on PostgreSQL issues its permits inside its own statement by the same rule:
    ISSUE_AT_ONCE below.)"""
    exams = exams_for_months(months, mapping)
    if not exams:
        return []
    issued_at = clock.now()
    dialect = db.session.get_bind().dialect.name
    rows = db.session.execute(cached_statement("finance.issue_permits", _issue_statement, dialect), [
        {"term_enrollment_id": enrollment_id, "exam": exam, "code": new_code(),
         "status": PermitStatus.ISSUED.value, "issued_at": issued_at} for exam in exams]).all()
    issued = {row.exam: row.code for row in rows}
    return [(exam, issued[exam]) for exam in EXAM_ORDER if exam in issued]


# issue_for_months' rule as part of a larger PostgreSQL statement (the payment's): the exams
# in :permit_exams with the fresh codes in :permit_codes; RETURNING the exams issued now.
ISSUE_AT_ONCE = """
    INSERT INTO exam_permits (term_enrollment_id, exam, code, status, issued_at)
    SELECT :term_enrollment_id, wanted.exam, wanted.code, 'ISSUED', :created_at
    FROM unnest(CAST(:permit_exams AS TEXT[]), CAST(:permit_codes AS TEXT[])) AS wanted(exam, code)
    ON CONFLICT (term_enrollment_id, exam) DO UPDATE
        SET status = excluded.status, code = excluded.code, issued_at = excluded.issued_at, revoked_at = NULL
        WHERE exam_permits.status = 'REVOKED'
    RETURNING exam"""


def revoke_for_months(enrollment_id: int, months: Iterable[int], mapping: dict[str, int]) -> list[str]:
    """Revoke the issued permits of the exams mapped to `months` (the caller holds the lock, in
    its unit of work). Returns the exams revoked."""
    wanted = set(months)
    exams = [exam for exam in EXAM_ORDER if mapping.get(exam) in wanted]
    if not exams:
        return []
    p = _PERMITS.c
    rows = db.session.execute(
        update(_PERMITS)
        .where(p.term_enrollment_id == enrollment_id, p.exam.in_(exams), p.status == PermitStatus.ISSUED.value)
        .values(status=PermitStatus.REVOKED.value, revoked_at=clock.now())
        .returning(p.exam)).scalars().all()
    return [exam for exam in EXAM_ORDER if exam in set(rows)]


def notify_issued(student_user_id: int, issued: Iterable[tuple[str, str]]) -> None:
    """Tell the student of each permit issued (in the caller's unit of work)."""
    for exam, _code in issued:
        notifications.notify(student_user_id, "permit_issued", issued_message(exam), link=STUDENT_PAYMENTS_PATH)


def issued_message(exam: str) -> str:
    """What the student is told of a permit issued to them."""
    return f"Your {Exam(exam).label} exam permit is issued. You can print it from your payments page."


def notify_revoked(student_user_id: int, exams: Iterable[str], receipt_number: str | None) -> None:
    """Tell the student of each permit revoked by the reversal of `receipt_number`."""
    for exam in exams:
        notifications.notify(student_user_id, "permit_revoked",
                             f"Your {Exam(exam).label} exam permit was revoked: payment {receipt_number} "
                             "was reversed, so its month is no longer fully paid.", link=STUDENT_PAYMENTS_PATH)


def issue_permits_for(enrollment_id: int, actor: User | None = None) -> list[str]:
    """Issue every permit this enrollment is owed (mapped month fully paid, no valid permit),
    under the enrollment lock, in one unit of work; notified and audited. Safe to run any
    number of times."""
    with unit_of_work():
        enrollment = db.session.scalar(
            select(TermEnrollment).where(TermEnrollment.id == enrollment_id)
            .with_for_update().execution_options(populate_existing=True))
        if enrollment is None:
            raise NotFound("That enrollment does not exist.")
        if enrollment.status == TermEnrollmentStatus.WITHDRAWN.value:
            return []
        # A fresh read after the lock: the buckets as the last committed payment left them.
        buckets = db.session.scalars(select(MonthBucket).where(MonthBucket.term_enrollment_id == enrollment_id)
                                     .execution_options(populate_existing=True)).all()
        paid_months = [b.month for b in buckets if b.paid >= b.required]
        issued = issue_for_months(enrollment_id, paid_months, exam_months(enrollment.term_id))
        if not issued:
            return []
        user_id = db.session.scalar(select(Student.user_id).where(Student.id == enrollment.student_id))
        if user_id is None:  # pragma: no cover - an enrollment always belongs to a student
            raise NotFound("That student does not exist.")
        notify_issued(user_id, issued)
        audit.record(actor, "permit.issue", target_type="TermEnrollment", target_id=enrollment_id,
                     after={"permits_issued": [exam for exam, _ in issued]})
    return [exam for exam, _ in issued]


def _owed_permits(term_ids: list[int]) -> set[int]:
    """Enrollments of these terms (not withdrawn) with a mapped month fully paid and no valid
    permit for its exam."""
    owed: set[int] = set()
    for tid in term_ids:
        for exam, month in exam_months(tid).items():
            has_valid = (select(ExamPermit.id)
                         .where(ExamPermit.term_enrollment_id == TermEnrollment.id, ExamPermit.exam == exam,
                                ExamPermit.status == PermitStatus.ISSUED.value).exists())
            owed.update(db.session.scalars(
                select(TermEnrollment.id)
                .join(MonthBucket, (MonthBucket.term_enrollment_id == TermEnrollment.id) & (MonthBucket.month == month))
                .where(TermEnrollment.term_id == tid,
                       TermEnrollment.status != TermEnrollmentStatus.WITHDRAWN.value,
                       MonthBucket.paid >= MonthBucket.required, ~has_valid)))
    return owed


def issue_missing_permits(term_id: int | None = None) -> int:
    """The hourly check: every enrollment of the current term (or `term_id`) whose mapped
    month is fully paid but has no valid permit gets it. Returns how many were issued."""
    with unit_of_work():  # a short read: the permits are issued one enrollment at a time
        if term_id is None:
            term_ids = list(db.session.scalars(select(Term.id).where(Term.is_current.is_(True))))
        else:
            term_ids = [term_id]
        owed = _owed_permits(term_ids)
    return sum(len(issue_permits_for(eid)) for eid in sorted(owed))


@dataclass(frozen=True)
class ExamState:
    """One exam as a student sees it: locked (month not paid), issued or revoked."""

    exam: str
    label: str
    month: int
    state: str  # "locked" | "issued" | "revoked"
    permit: ExamPermit | None


def exam_states(enrollment: TermEnrollment, months: Mapping[str, int] | None = None) -> list[ExamState]:
    """Each exam of the enrollment's term with its mapped month (`months`, when the caller has
    read the term's mapping already) and permit state."""
    mapping = months if months is not None else exam_months(enrollment.term_id)
    held = {p.exam: p for p in db.session.scalars(
        select(ExamPermit).where(ExamPermit.term_enrollment_id == enrollment.id))}
    states = []
    for exam in EXAM_ORDER:
        permit = held.get(exam)
        if permit is not None and permit.is_valid:
            state = "issued"
        elif permit is not None:
            state = "revoked"
        else:
            state = "locked"
        states.append(ExamState(exam, Exam(exam).label, mapping[exam], state, permit))
    return states


def permits_for_enrollment(enrollment_id: int, viewer: User) -> list[ExamState]:
    """The exam states of a term enrollment the viewer may see (a student: their own; finance
    staff: anyone's); anyone else's enrollment is not found."""
    return exam_states(visible_enrollment(enrollment_id, viewer))


def permit_for_student(permit_id: int, viewer: User) -> ExamPermit:
    """The viewer's own issued permit, to print (anything else answers not found)."""
    permit: ExamPermit | None = db.session.scalar(
        select(ExamPermit)
        .join(TermEnrollment, TermEnrollment.id == ExamPermit.term_enrollment_id)
        .join(Student, Student.id == TermEnrollment.student_id)
        .options(selectinload(ExamPermit.enrollment).selectinload(TermEnrollment.student)
                 .selectinload(Student.user),
                 selectinload(ExamPermit.enrollment).selectinload(TermEnrollment.term),
                 selectinload(ExamPermit.enrollment).selectinload(TermEnrollment.student)
                 .selectinload(Student.program))
        .where(ExamPermit.id == permit_id, Student.user_id == viewer.id))
    if permit is None or not permit.is_valid:
        raise NotFound("That permit does not exist.")
    return permit


def verify_code(code: object) -> dict[str, Any] | None:
    """What the public may learn from a permit code: valid or not, exam, term, student name
    and number. None when no permit has this code."""
    canonical = normalize_code(code)
    if canonical is None:
        return None
    row = db.session.execute(
        select(ExamPermit, Term, Student.student_number, User.first_name,
               User.middle_name, User.last_name)
        .join(TermEnrollment, TermEnrollment.id == ExamPermit.term_enrollment_id)
        .join(Term, Term.id == TermEnrollment.term_id)
        .join(Student, Student.id == TermEnrollment.student_id)
        .join(User, User.id == Student.user_id)
        .where(ExamPermit.code == canonical)).first()
    if row is None:
        return None
    permit: ExamPermit = row.ExamPermit
    term: Term = row.Term
    return {
        "kind": "Exam permit",
        "valid": permit.is_valid,
        "status": "Valid" if permit.is_valid else "Revoked",
        "exam": permit.exam_label,
        "term": term.name,
        "student_name": " ".join(p for p in (row.first_name, row.middle_name, row.last_name) if p),
        "student_number": row.student_number,
        "code": permit.display_code,
    }
