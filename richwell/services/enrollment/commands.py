"""Writes of enrollment, each in one unit of work: opening a term enrollment with its
installment plan, enrolling in a subject (the seven checks of DOMAIN.md, seats taken by a
conditional UPDATE under the row locks, overrides with reasons) and dropping one."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Insert, Integer, Select, Update, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import (
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
from richwell.services.platform.sql import cached_statement
from richwell.services.platform.unit_of_work import unit_of_work

from .advising import EnrolledSubject
from .queries import (
    AnyRow,
    SectionOffer,
    load_choice,
    load_history,
    lock_standing,
    off,
    run,
    se,
    sec,
    sub,
    te,
    week_meetings,
    week_with,
)
from .rules import (
    DROPPERS,
    ENROLLERS,
    HISTORY_CHECKS,
    NO_ENROLLMENT,
    REGISTRAR,
    Meeting,
    RawId,
    Refusal,
    Standing,
    SubjectFacts,
    acting_role,
    check_first_month,
    check_id,
    check_open,
    check_reason,
    check_schedule,
    date_label,
    is_irregular,
    is_retake,
    may_act_on,
    section_full,
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


# --- enrolling in a subject ----------------------------------------------------------------

def _take_seat_statement(over_capacity: bool) -> Update:
    seat = (update(off).where(off.c.id == bindparam("off_id")).values(enrolled_count=off.c.enrolled_count + 1)
            .returning(off.c.enrolled_count, off.c.capacity))
    return seat if over_capacity else seat.where(off.c.enrolled_count < off.c.capacity)


def _add_units_statement() -> Update:
    return (update(te).where(te.c.id == bindparam("te_id"))
            .values(enrolled_units=te.c.enrolled_units + bindparam("units", type_=Integer)))


def _add_row_statement() -> Insert:
    return insert(se).returning(se.c.id)


@dataclass(frozen=True)
class Enrolled:
    """What an enrollment changed: the new subject, its section's seats, the unit counter and the
    student's week after it."""

    subject_enrollment_id: int
    term_enrollment_id: int
    subject_id: int
    subject_code: str
    subject_title: str
    units: int
    section_id: int
    section_code: str
    offering_id: int
    professor: str
    capacity: int
    enrolled_count: int
    enrolled_units: int
    max_units: int
    is_retake: bool
    is_irregular: bool
    overrides: tuple[str, ...]
    timetable: tuple[Meeting, ...]

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.enrolled_count, 0)

    @property
    def meetings(self) -> list[Meeting]:
        return [m for m in self.timetable if m.offering_id == self.offering_id]

    def as_enrolled_subject(self) -> EnrolledSubject:
        """The picker's view of the subject just added."""
        return EnrolledSubject(
            subject_enrollment_id=self.subject_enrollment_id, subject_id=self.subject_id, code=self.subject_code,
            title=self.subject_title, units=self.units, section_id=self.section_id,
            section_code=self.section_code, offering_id=self.offering_id, professor=self.professor,
            meetings=tuple(self.meetings), is_retake=self.is_retake, is_irregular=self.is_irregular,
            can_drop=True, drop_refusal=None)


@dataclass(frozen=True)
class _Request:
    """An add request, checked before anything is read: the ids, and the override reasons the
    actor's role may give."""

    role: str
    term_enrollment_id: int
    subject_id: int
    section_id: int
    capacity_reason: str | None
    conflict_reason: str | None
    month1_reason: str | None

    @property
    def staff(self) -> bool:
        return self.role != Role.STUDENT.value


def _read_request(actor: User | None, term_enrollment_id: RawId, subject_id: RawId, section_id: RawId,
                  capacity_reason: str | None, conflict_reason: str | None, month1_reason: str | None) -> _Request:
    """Who may add subjects, the ids as positive keys, and override reasons only from the role
    that may give them (capacity and conflicts: a registrar; month 1: an admin)."""
    role = acting_role(actor)
    if role not in ENROLLERS:
        raise Forbidden("Only the student, a registrar or an administrator may add subjects.")
    request = _Request(
        role=role, term_enrollment_id=check_id(term_enrollment_id, "term_enrollment_id", "term enrollment"),
        subject_id=check_id(subject_id, "subject_id", "subject"),
        section_id=check_id(section_id, "section_id", "section"),
        capacity_reason=check_reason(capacity_reason, "override_capacity_reason"),
        conflict_reason=check_reason(conflict_reason, "override_conflict_reason"),
        month1_reason=check_reason(month1_reason, "override_month1_reason"))
    if (request.capacity_reason or request.conflict_reason) and role != REGISTRAR:
        raise Forbidden("Only a registrar may override section capacity or a schedule conflict.")
    if request.month1_reason and role != Role.ADMIN.value:
        raise Forbidden("Only an administrator may override the first-month payment.")
    return request


def _refuse(refusal: Refusal, field_name: str | None = None) -> DomainError:
    return DomainError(refusal.message, code=refusal.code, field=field_name)


class _Enrolling:
    """One add, step by step inside the unit of work: lock the enrollment, read the choice, run
    the checks in order, take the seat, check the week, save and record."""

    def __init__(self, request: _Request, actor: User | None) -> None:
        self.request, self.actor = request, actor
        self.subject: SubjectFacts | None = None  # known once read (the duplicate message names it)
        self.overrides: list[tuple[str, str]] = []  # (kind, reason), in the order they were needed

    def _override(self, refusal: Refusal, kind: str, reason: str | None, overrider: str) -> None:
        """Set the refusal aside with the reason given, else refuse (the reason's field named
        for the role that could give it)."""
        if not reason:
            raise _refuse(refusal, f"override_{kind}_reason" if self.request.role == overrider else None)
        self.overrides.append((kind, reason))

    def _lock(self) -> Standing:
        """Lock the student's term enrollment (always first: enrollment, then offering); another
        student's enrollment does not exist for a student."""
        standing = lock_standing(self.request.term_enrollment_id)
        if standing is None or not may_act_on(self.actor, standing.student_user_id):
            raise NotFound(NO_ENROLLMENT)
        return standing

    def _choice(self, st: Standing) -> tuple[SubjectFacts, SectionOffer, int]:
        """The subject and the section, which must belong to the student's program and term and
        offer that subject; returns them with the offering's id."""
        subject, section = load_choice(self.request.subject_id, self.request.section_id)
        if subject is None:
            raise NotFound("That subject does not exist.", field="subject_id")
        if section is None:
            raise NotFound("That section does not exist.", field="section_id")
        self.subject = subject
        if subject.program_id != st.program_id:
            raise DomainError(f"{subject.name} belongs to another program's curriculum.",
                              code="other_program", field="subject_id")
        if section.term_id != st.term_id:
            raise DomainError(f"Section {section.code} belongs to another term, not {st.term_name}.",
                              code="other_term", field="section_id")
        if section.offering_id is None:
            raise DomainError(f"Section {section.code} does not offer {subject.code}.",
                              code="not_offered", field="section_id")
        return subject, section, section.offering_id

    def _check_subject(self, st: Standing, subject: SubjectFacts) -> None:
        """Checks 1–5 in order; only month 1 may be overridden (by an admin, with a reason)."""
        refusal = check_open(st, subject, staff=self.request.staff, today=today())
        if refusal:
            raise _refuse(refusal)
        refusal = check_first_month(st, subject)
        if refusal:
            self._override(refusal, "month1", self.request.month1_reason, Role.ADMIN.value)
        load_history(st)
        for check in HISTORY_CHECKS:
            refusal = check(st, subject)
            if refusal:
                raise _refuse(refusal)

    def _take_seat(self, subject: SubjectFacts, section: SectionOffer, offering_id: int) -> AnyRow:
        """6. The seat: a conditional UPDATE under the offering's row lock (taken after the
        enrollment's). Only a registrar's written override goes past capacity."""
        seat = run(cached_statement("enrollment.take_seat", _take_seat_statement, False), off_id=offering_id).first()
        if seat is not None:
            return seat
        full = section_full(subject, section.code, cast(int, section.capacity), cast(int, section.enrolled_count))
        self._override(full, "capacity", self.request.capacity_reason, REGISTRAR)
        return run(cached_statement("enrollment.take_seat", _take_seat_statement, True), off_id=offering_id).one()

    def _check_week(self, st: Standing, subject: SubjectFacts, offering_id: int) -> list[Meeting]:
        """7. The week: the student's enrolled classes and this offering's meetings, read now
        (after the seat, under both locks). Returns the week with the new class."""
        week = week_with(st.term_enrollment_id, offering_id)
        st.meetings = [m for m in week if m.offering_id != offering_id]
        refusal = check_schedule(st, subject, [m for m in week if m.offering_id == offering_id])
        if refusal:
            self._override(refusal, "conflict", self.request.conflict_reason, REGISTRAR)
        return week

    def _save(self, st: Standing, subject: SubjectFacts, offering_id: int, retake: bool, irregular: bool) -> int:
        """The unit counter and the new row (a duplicate ENROLLED row breaks the partial unique
        index: IntegrityError, turned into a refusal once the unit of work has rolled back)."""
        run(cached_statement("enrollment.add_units", _add_units_statement),
            te_id=st.term_enrollment_id, units=subject.units)
        new_id: int = run(
            cached_statement("enrollment.add_row", _add_row_statement),
            term_enrollment_id=st.term_enrollment_id, subject_id=subject.id, offering_id=offering_id,
            status=SubjectEnrollmentStatus.ENROLLED.value, is_retake=retake, is_irregular=irregular, grade=None,
            enrolled_at=now(), enrolled_by_id=self.actor.id if self.actor else None, dropped_at=None,
            drop_reason=None).scalar_one()
        return new_id

    def _record(self, st: Standing, subject: SubjectFacts, section: SectionOffer, new_id: int,
                after: dict[str, Any]) -> None:
        """The audit entries (the add, and one per override with its reason) and, when staff
        added it, the student's notification: staged, written with the commit."""
        if self.overrides:
            after["overrides"] = [kind for kind, _ in self.overrides]
        audit.record(self.actor, "enrollment.subject_add", target_type="SubjectEnrollment", target_id=new_id,
                     after=after, reason="; ".join(f"{kind}: {why}" for kind, why in self.overrides) or None)
        for kind, why in self.overrides:
            audit.record(self.actor, f"enrollment.override_{kind}", target_type="SubjectEnrollment",
                         target_id=new_id, reason=why,
                         after={"student": st.student_number, "subject": subject.code, "section": section.code})
        if self.request.staff and self.actor is not None:
            notifications.notify(st.student_user_id, "enrollment",
                                 f"{subject.code} {subject.title} (section {section.code}) was added "
                                 f"to your {st.term_name} subjects by the {Role(self.actor.role).label.lower()}.")

    def run(self) -> Enrolled:
        """The add, in DOMAIN.md order; any refusal raises (and the unit of work rolls back)."""
        st = self._lock()
        subject, section, offering_id = self._choice(st)
        self._check_subject(st, subject)
        seat = self._take_seat(subject, section, offering_id)
        week = self._check_week(st, subject, offering_id)
        retake, irregular = is_retake(st, subject), is_irregular(st, subject)
        new_id = self._save(st, subject, offering_id, retake, irregular)
        new_units = st.enrolled_units + subject.units
        self._record(st, subject, section, new_id,
                     {"student": st.student_number, "subject": subject.code, "section": section.code,
                      "units": subject.units, "enrolled_units": new_units, "retake": retake,
                      "irregular": irregular})
        return Enrolled(
            subject_enrollment_id=new_id, term_enrollment_id=st.term_enrollment_id, subject_id=subject.id,
            subject_code=subject.code, subject_title=subject.title, units=subject.units,
            section_id=section.section_id, section_code=section.code, offering_id=offering_id,
            professor=section.professor, capacity=seat.capacity, enrolled_count=seat.enrolled_count,
            enrolled_units=new_units, max_units=st.max_units, is_retake=retake, is_irregular=irregular,
            overrides=tuple(kind for kind, _ in self.overrides),
            timetable=tuple(sorted(week, key=lambda m: (m.day, m.start, m.subject_code))))


def enroll_in_subject(term_enrollment_id: RawId, subject_id: RawId, section_id: RawId, actor: User | None, *,
                      override_capacity_reason: str | None = None, override_conflict_reason: str | None = None,
                      override_month1_reason: str | None = None) -> Enrolled:
    """Add a subject in a section to a term enrollment, applying the DOMAIN.md checks in order
    (window, month 1, not taken, prerequisites, unit cap, seats, schedule) inside one
    unit of work with the enrollment row, then the offering row, locked. Seats are taken by a
    conditional UPDATE; the unit cap has no override; a registrar may override capacity and
    conflicts and an admin the first month, each with a reason (audited). Retake and
    irregular flags are set here. A student adds only to their own enrollment."""
    request = _read_request(actor, term_enrollment_id, subject_id, section_id, override_capacity_reason,
                            override_conflict_reason, override_month1_reason)
    enrolling = _Enrolling(request, actor)
    try:
        with unit_of_work():
            return enrolling.run()
    except IntegrityError:
        # The partial unique index: one ENROLLED row per subject per term enrollment.
        if enrolling.subject is None:
            raise
        raise DomainError(f"{enrolling.subject.name} is already enrolled this term.",
                          code="already_enrolled") from None


# --- dropping --------------------------------------------------------------------------------

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
    with unit_of_work():
        st, row = _lock_for_drop(se_id, actor, named)
        subject = f"{row.code} {row.title}"
        if row.status != SubjectEnrollmentStatus.ENROLLED.value:
            raise DomainError(f"{subject} is not an enrolled subject (it is {row.status}); "
                              "there is nothing to drop.", code="not_enrolled")
        if role == Role.STUDENT.value and today() > st.drop_deadline:
            raise DomainError(f"{subject} cannot be dropped: the drop deadline for {st.term_name} was "
                              f"{date_label(st.drop_deadline)}. Ask the registrar.", code="drop_deadline_passed")
        mark_dropped, set_units = cached_statement("enrollment.drop", _drop_statements)
        run(mark_dropped, se_id=se_id, at=now(), why=why)
        seats_left = _free_seat(row.offering_id)
        new_units = max(st.enrolled_units - row.units, 0)
        run(set_units, te_id=st.term_enrollment_id, units=new_units)
        audit.record(actor, "enrollment.subject_drop", target_type="SubjectEnrollment", target_id=se_id,
                     before={"status": row.status, "enrolled_units": st.enrolled_units},
                     after={"status": SubjectEnrollmentStatus.DROPPED.value, "student": st.student_number,
                            "subject": row.code, "enrolled_units": new_units}, reason=why)
        if role == REGISTRAR:
            notifications.notify(st.student_user_id, "enrollment",
                                 f"{subject} was dropped from your {st.term_name} subjects by the "
                                 f"registrar: {why}")
        timetable = week_meetings(st.term_enrollment_id)
    return Dropped(subject_enrollment_id=se_id, term_enrollment_id=st.term_enrollment_id, subject_id=row.subject_id,
                   subject_code=row.code, subject_title=row.title, units=row.units, offering_id=row.offering_id,
                   seats_left=seats_left, enrolled_units=new_units, max_units=st.max_units,
                   timetable=tuple(timetable), section_id=row.section_id, section_code=row.section_code,
                   is_retake=row.is_retake, is_irregular=row.is_irregular, grade=row.grade)
