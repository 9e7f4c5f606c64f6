"""Writes of enrollment, each in one unit of work: opening a term enrollment with its
installment plan and dropping a subject (enrolling in one is `adding`)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, TextualSelect, Update, bindparam, select, update

from richwell.extensions import db
from richwell.models import (
    AuditEntry,
    MonthBucket,
    Role,
    Student,
    StudentStatus,
    SubjectEnrollment,
    SubjectEnrollmentStatus,
    Term,
    TermEnrollment,
    User,
)
from richwell.services.platform import audit, notifications, settings, wording
from richwell.services.platform.clock import now, today
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from richwell.services.platform.sql import cached_statement, hot_sql, returning
from richwell.services.platform.unit_of_work import stage_row, unit_of_work

from .queries import (
    MEETING_NAMES,
    AnyRow,
    lock_standing,
    lock_standing_with_attempt,
    meeting_among,
    off,
    run,
    se,
    sec,
    sub,
    te,
    week_meetings,
)
from .rules import (
    DROPPERS,
    NO_ENROLLMENT,
    REGISTRAR,
    Meeting,
    RawId,
    Standing,
    acting_role,
    check_id,
    check_reason,
    date_label,
    may_act_on,
)

# --- opening a term enrollment -------------------------------------------------------------


def check_monthly_commitment(amount: Decimal) -> Decimal:
    """The installment must be at least the configured minimum, with at most 2 decimals."""
    if not amount.is_finite():
        raise ValidationError("Enter the monthly commitment as an amount.", field="monthly_commitment")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError("The monthly commitment may have at most 2 decimals.", field="monthly_commitment")
    minimum = settings.get("min_monthly_commitment")
    if amount < minimum:
        raise ValidationError(f"The monthly commitment must be at least {wording.peso(minimum)}.",
                              field="monthly_commitment")
    if amount > settings.MAX_MONEY:
        raise ValidationError("The monthly commitment is larger than any real installment.",
                              field="monthly_commitment")
    return amount.quantize(Decimal("0.01"))


def open_term_enrollment(student: Student, term: Term, monthly_commitment: Decimal,
                         actor: User | None) -> TermEnrollment:
    """Open a student's enrollment for a term with `installment_months` buckets, each
    requiring the monthly commitment. Only ACTIVE students; one per student per term.
    Usually one step of a larger change (an admission, a student opening their own, the bulk
    opening): then it joins the caller's unit of work and commits nothing itself."""
    if student.status != StudentStatus.ACTIVE.value:
        raise DomainError(f"A student who is {student.status} cannot open a term enrollment.",
                          code="student_not_active")
    commitment = check_monthly_commitment(monthly_commitment)
    exists = db.session.scalar(select(TermEnrollment.id).where(
        TermEnrollment.student_id == student.id, TermEnrollment.term_id == term.id))
    if exists:
        raise Conflict(f"{student.student_number} already has an enrollment for {term.name}.")
    months = settings.get("installment_months")
    with unit_of_work():
        enrollment = TermEnrollment(student_id=student.id, term_id=term.id,
                                    monthly_commitment=commitment, created_at=now())
        enrollment.buckets = [MonthBucket(month=m, required=commitment) for m in range(1, months + 1)]
        db.session.add(enrollment)
        db.session.flush()
        audit.record(actor, "enrollment.open", enrollment,
                     after={"student": student.student_number, "term": term.name,
                            "monthly_commitment": commitment, "months": months})
    return enrollment


# --- dropping --------------------------------------------------------------------------------

aud = AuditEntry.__table__

@dataclass(frozen=True)
class Dropped:
    """What a drop changed: the freed seat, the unit counter and the week after it."""

    subject_enrollment_id: int
    term_enrollment_id: int
    subject_id: int
    subject_code: str
    subject_title: str
    units: int
    offering_id: int | None
    seats_left: int | None
    enrolled_units: int
    max_units: int
    timetable: tuple[Meeting, ...]
    # The dropped row as the API answers it (read under the lock; nothing is read again).
    section_id: int | None = None
    section_code: str | None = None
    is_retake: bool = False
    is_irregular: bool = False
    grade: str | None = None


def _drop_row_statement() -> Select[Any]:
    return (select(se.c.term_enrollment_id, se.c.status, se.c.offering_id, se.c.is_retake, se.c.is_irregular,
                   se.c.grade, sub.c.id.label("subject_id"), sub.c.code, sub.c.title, sub.c.units,
                   sec.c.id.label("section_id"), sec.c.code.label("section_code"))
            .join(sub, sub.c.id == se.c.subject_id).outerjoin(off, off.c.id == se.c.offering_id)
            .outerjoin(sec, sec.c.id == off.c.section_id).where(se.c.id == bindparam("se_id")))


def _drop_statements() -> tuple[Update, Update]:
    dropped = (update(se).where(se.c.id == bindparam("se_id"))
               .values(status=SubjectEnrollmentStatus.DROPPED.value, dropped_at=bindparam("at"),
                       drop_reason=bindparam("why")))
    units = update(te).where(te.c.id == bindparam("te_id")).values(enrolled_units=bindparam("units"))
    return dropped, units


def _lock_for_drop(se_id: int, actor: User | None, term_enrollment_id: int | None) -> tuple[Standing, AnyRow]:
    """Lock the term enrollment of the subject (the one named, when the caller names it) and read
    the subject enrollment after the lock: a concurrent drop of the same row has committed by
    now. Another student's subject does not exist for a student."""
    missing = NotFound("That subject enrollment does not exist.")
    te_id = term_enrollment_id
    if te_id is None:
        te_id = db.session.scalar(select(SubjectEnrollment.term_enrollment_id).where(SubjectEnrollment.id == se_id))
        if te_id is None:
            raise missing
    st = lock_standing(te_id)
    if st is None or not may_act_on(actor, st.student_user_id):
        raise missing if term_enrollment_id is None else NotFound(NO_ENROLLMENT)
    row = run(cached_statement("enrollment.drop_row", _drop_row_statement), se_id=se_id).first()
    if row is None or row.term_enrollment_id != st.term_enrollment_id:
        raise NotFound("That subject enrollment does not exist.", field="subject_enrollment_id")
    return st, row


def _free_seat_statement() -> Update:
    return (update(off).where(off.c.id == bindparam("off_id"), off.c.enrolled_count > 0)
            .values(enrolled_count=off.c.enrolled_count - 1).returning(off.c.enrolled_count, off.c.capacity))


def _free_seat(offering_id: int | None) -> int | None:
    """Give the seat back; the seats now left (None without an offering)."""
    if offering_id is None:
        return None
    seat = run(cached_statement("enrollment.free_seat", _free_seat_statement), off_id=offering_id).first()
    return None if seat is None else max(seat.capacity - seat.enrolled_count, 0)


# PostgreSQL: the drop's writes and the week after it in one statement, after the locked read.
# The week is read from the statement's snapshot, where the dropped row is still ENROLLED: it
# is left out by its id.
_DROP_AT_ONCE = """
WITH dropped AS (
    UPDATE subject_enrollments SET status = :dropped, dropped_at = :at, drop_reason = :why WHERE id = :se_id
), seat AS (
    UPDATE offerings SET enrolled_count = enrolled_count - 1
    WHERE id = :off_id AND enrolled_count > 0
    RETURNING enrolled_count, capacity
), units AS (
    UPDATE term_enrollments SET enrolled_units = :units WHERE id = :te_id
), audit_entry AS (
    INSERT INTO audit_entries (actor_id, actor_role, impersonator_id, action, target_type, target_id, before,
                               after, reason, ip, created_at)
    VALUES (:audit_actor_id, :audit_actor_role, :audit_impersonator_id, :audit_action, :audit_target_type,
            :audit_target_id, :audit_before, :audit_after, :audit_reason, :audit_ip, :audit_created_at)
), meeting AS (
    SELECT slot.offering_id, offering.subject_id, subject.code AS subject_code, subject.title AS subject_title,
           section.code AS section_code, slot.day, slot.start_time AS start, slot.end_time AS "end", slot.room
    FROM schedule_slots AS slot
    JOIN offerings AS offering ON offering.id = slot.offering_id
    JOIN subjects AS subject ON subject.id = offering.subject_id
    JOIN sections AS section ON section.id = offering.section_id
    WHERE slot.offering_id IN (SELECT offering_id FROM subject_enrollments
                               WHERE term_enrollment_id = :te_id AND status = :enrolled AND id <> :se_id
                                     AND offering_id IS NOT NULL)
)
SELECT seat.enrolled_count AS seat_enrolled_count, seat.capacity AS seat_capacity, meeting.offering_id,
       meeting.subject_id, meeting.subject_code, meeting.subject_title, meeting.section_code, meeting.day,
       meeting.start, meeting."end", meeting.room
FROM (SELECT 1) AS one LEFT JOIN seat ON TRUE LEFT JOIN meeting ON TRUE
ORDER BY meeting.day, meeting.start, meeting.subject_code
"""


def _drop_at_once_statement() -> TextualSelect:
    return returning(hot_sql(_DROP_AT_ONCE).bindparams(
        bindparam("at", type_=se.c.dropped_at.type), bindparam("audit_before", type_=aud.c.before.type),
        bindparam("audit_after", type_=aud.c.after.type), bindparam("audit_created_at", type_=aud.c.created_at.type),
        dropped=SubjectEnrollmentStatus.DROPPED.value, enrolled=SubjectEnrollmentStatus.ENROLLED.value),
        ("seat_enrolled_count", "seat_capacity", *MEETING_NAMES))


def _drop_at_once(st: Standing, se_id: int, offering_id: int | None, new_units: int, why: str | None,
                  entry: dict[str, Any]) -> tuple[int | None, list[Meeting]]:
    """The drop's writes in one statement (PostgreSQL): the row marked DROPPED, the seat given
    back, the unit counter, the audit entry; and the week after the drop. Returns the seats
    now left (None without an offering) and the week."""
    rows = run(cached_statement("enrollment.drop_at_once", _drop_at_once_statement),
               se_id=se_id, at=now(), why=why, off_id=offering_id, units=new_units, te_id=st.term_enrollment_id,
               **{f"audit_{name}": value for name, value in entry.items()}).all()
    first = rows[0]
    seats_left = None if first.seat_capacity is None else max(first.seat_capacity - first.seat_enrolled_count, 0)
    return seats_left, [meeting_among(r) for r in rows if r.offering_id is not None]


def drop_subject(subject_enrollment_id: RawId, actor: User | None, reason: str | None = None, *,
                 term_enrollment_id: RawId = None) -> Dropped:
    """Drop an enrolled subject: the student before the term's drop deadline, a registrar any
    time with a reason. The seat and the units are freed at once; audited. A student drops
    only their own; `term_enrollment_id`, when given, is the enrollment the subject must
    belong to (the API names both)."""
    role = acting_role(actor)
    if role not in DROPPERS:
        raise Forbidden("Only the student or a registrar may drop a subject.")
    se_id = check_id(subject_enrollment_id, "subject_enrollment_id", "subject")
    why = check_reason(reason, "reason")
    if role == REGISTRAR and not why:
        raise ValidationError("Give the reason for dropping this subject.", field="reason")
    named = None if term_enrollment_id is None else check_id(term_enrollment_id, "term_enrollment_id",
                                                             "term enrollment")
    at_once = named is not None and db.session.get_bind().dialect.name == "postgresql"
    with unit_of_work():
        locked = lock_standing_with_attempt(named, se_id) if at_once and named is not None else None
        if locked is None or not may_act_on(actor, locked[0].student_user_id):
            # The steps (SQLite, or a drop that does not name its enrollment) and every refusal
            # of a missing or foreign enrollment or subject.
            at_once = False
            locked = _lock_for_drop(se_id, actor, named)
        st, row = locked
        status = row.attempt_status if at_once else row.status
        subject = f"{row.code} {row.title}"
        if status != SubjectEnrollmentStatus.ENROLLED.value:
            raise DomainError(f"{subject} is not an enrolled subject (it is {status}); "
                              "there is nothing to drop.", code="not_enrolled")
        if role == Role.STUDENT.value and today() > st.drop_deadline:
            raise DomainError(f"{subject} cannot be dropped: the drop deadline for {st.term_name} was "
                              f"{date_label(st.drop_deadline)}. Ask the registrar.", code="drop_deadline_passed")
        new_units = max(st.enrolled_units - row.units, 0)
        entry = audit.entry(actor, "enrollment.subject_drop", target_type="SubjectEnrollment", target_id=se_id,
                            before={"status": status, "enrolled_units": st.enrolled_units},
                            after={"status": SubjectEnrollmentStatus.DROPPED.value, "student": st.student_number,
                                   "subject": row.code, "enrolled_units": new_units}, reason=why)
        if at_once:
            seats_left, timetable = _drop_at_once(st, se_id, row.offering_id, new_units, why, entry)
        else:
            mark_dropped, set_units = cached_statement("enrollment.drop", _drop_statements)
            run(mark_dropped, se_id=se_id, at=now(), why=why)
            seats_left = _free_seat(row.offering_id)
            run(set_units, te_id=st.term_enrollment_id, units=new_units)
            stage_row(aud, entry)
        if role == REGISTRAR:
            notifications.notify(st.student_user_id, "enrollment",
                                 f"{subject} was dropped from your {st.term_name} subjects by the "
                                 f"registrar: {why}")
        if not at_once:
            timetable = week_meetings(st.term_enrollment_id)
    return Dropped(subject_enrollment_id=se_id, term_enrollment_id=st.term_enrollment_id, subject_id=row.subject_id,
                   subject_code=row.code, subject_title=row.title, units=row.units, offering_id=row.offering_id,
                   seats_left=seats_left, enrolled_units=new_units, max_units=st.max_units,
                   timetable=tuple(timetable), section_id=row.section_id, section_code=row.section_code,
                   is_retake=row.is_retake, is_irregular=row.is_irregular, grade=row.grade)
