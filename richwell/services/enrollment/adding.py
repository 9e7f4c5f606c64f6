"""Enrolling in a subject, in one unit of work: the seven checks of DOMAIN.md in order, the
seat taken by a conditional UPDATE under the row locks (enrollment, then offering),
overrides with reasons, the retake and irregular flags, the audit entry."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Insert,
    Integer,
    TextualSelect,
    Update,
    bindparam,
    insert,
    update,
)
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import (
    AuditEntry,
    CreditStatus,
    Role,
    SubjectEnrollmentStatus,
    User,
)
from richwell.services.academics import CREDITED
from richwell.services.platform import audit, notifications
from richwell.services.platform.clock import now, today
from richwell.services.platform.errors import DomainError, Forbidden, NotFound
from richwell.services.platform.sql import cached_statement, hot_sql, returning
from richwell.services.platform.unit_of_work import stage_row, unit_of_work

from .advising import EnrolledSubject
from .queries import (
    MEETING_NAMES,
    AnyRow,
    LockedChoice,
    SectionOffer,
    apply_history,
    load_history,
    lock_standing_with_choice,
    meeting_among,
    off,
    run,
    se,
    te,
    week_with,
)
from .rules import (
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
    is_irregular,
    is_retake,
    may_act_on,
    section_full,
)

# --- enrolling in a subject ----------------------------------------------------------------

aud = AuditEntry.__table__

def _take_seat_statement(over_capacity: bool) -> Update:
    seat = (update(off).where(off.c.id == bindparam("off_id")).values(enrolled_count=off.c.enrolled_count + 1)
            .returning(off.c.enrolled_count, off.c.capacity))
    return seat if over_capacity else seat.where(off.c.enrolled_count < off.c.capacity)


def _add_units_statement() -> Update:
    return (update(te).where(te.c.id == bindparam("te_id"))
            .values(enrolled_units=te.c.enrolled_units + bindparam("units", type_=Integer)))


def _add_row_statement() -> Insert:
    return insert(se).returning(se.c.id)


# PostgreSQL reads and writes an add in two statements after the locked read, each a
# data-modifying WITH (SQLite, whose writers are serialised anyway, sends the same steps one
# statement at a time). Each reads with a snapshot taken once the locks it needs are held.
# They are text: SQLAlchemy derives a Core statement's cache key on every execution, and
# for statements this size that costs more CPU than PostgreSQL spends running them.

_SEAT_AND_HISTORY = """
WITH seat AS (
    UPDATE offerings SET enrolled_count = enrolled_count + 1
    WHERE id = :off_id AND enrolled_count < capacity
    RETURNING enrolled_count, capacity
), attempt AS (
    SELECT attempt.subject_id, attempt.status, attempt.id AS subject_enrollment_id, attempt.term_enrollment_id,
           attempt.offering_id, term.academic_year, term.semester, section.code AS section_code, term.start_date,
           attempt.enrolled_at
    FROM subject_enrollments AS attempt
    JOIN term_enrollments AS enrollment ON enrollment.id = attempt.term_enrollment_id
    JOIN terms AS term ON term.id = enrollment.term_id
    LEFT JOIN offerings AS offering ON offering.id = attempt.offering_id
    LEFT JOIN sections AS section ON section.id = offering.section_id
    WHERE enrollment.student_id = :student_id
    UNION ALL
    SELECT subject_id, :credited, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM transfer_credits WHERE student_id = :student_id AND status = :accepted
)
SELECT seat.enrolled_count AS seat_enrolled_count, seat.capacity AS seat_capacity, attempt.subject_id,
       attempt.status, attempt.subject_enrollment_id, attempt.term_enrollment_id, attempt.offering_id,
       attempt.academic_year, attempt.semester, attempt.section_code, attempt.start_date, attempt.enrolled_at
FROM (SELECT 1) AS one LEFT JOIN seat ON TRUE LEFT JOIN attempt ON TRUE
"""


def _seat_and_history_statement() -> TextualSelect:
    """Take the seat (the conditional UPDATE, which locks the offering) and read the student's
    history (the rows of `history_statement`), which the enrollment's lock, held since the
    previous statement, keeps still. One row at least: the seat's columns are NULL when the
    section is full, the history's when the student has none."""
    return returning(hot_sql(_SEAT_AND_HISTORY).bindparams(credited=CREDITED, accepted=CreditStatus.ACCEPTED.value),
                     ("seat_enrolled_count", "seat_capacity", "subject_id", "status", "subject_enrollment_id",
                      "term_enrollment_id", "offering_id", "academic_year", "semester", "section_code", "start_date",
                      "enrolled_at"))


_SAVE_AND_WEEK = """
WITH units AS (
    UPDATE term_enrollments SET enrolled_units = enrolled_units + :units WHERE id = :te_id
), added AS (
    INSERT INTO subject_enrollments (term_enrollment_id, subject_id, offering_id, status, is_retake, is_irregular,
                                     grade, enrolled_at, enrolled_by_id, dropped_at, drop_reason)
    VALUES (:te_id, :row_subject_id, :off_id, :enrolled, :row_is_retake, :row_is_irregular, NULL,
            :row_enrolled_at, :row_enrolled_by_id, NULL, NULL)
    RETURNING id
), audit_entry AS (
    INSERT INTO audit_entries (actor_id, actor_role, impersonator_id, action, target_type, target_id, before,
                               after, reason, ip, created_at)
    SELECT :audit_actor_id, :audit_actor_role, :audit_impersonator_id, :audit_action, :audit_target_type,
           CAST(added.id AS TEXT), :audit_before, :audit_after, :audit_reason, :audit_ip, :audit_created_at
    FROM added
), meeting AS (
    SELECT slot.offering_id, offering.subject_id, subject.code AS subject_code, subject.title AS subject_title,
           section.code AS section_code, slot.day, slot.start_time AS start, slot.end_time AS "end", slot.room
    FROM schedule_slots AS slot
    JOIN offerings AS offering ON offering.id = slot.offering_id
    JOIN subjects AS subject ON subject.id = offering.subject_id
    JOIN sections AS section ON section.id = offering.section_id
    WHERE slot.offering_id IN (SELECT CAST(:off_id AS INTEGER) UNION ALL
                               SELECT offering_id FROM subject_enrollments
                               WHERE term_enrollment_id = :te_id AND status = :enrolled AND offering_id IS NOT NULL)
)
SELECT added.id AS new_subject_enrollment_id, meeting.offering_id, meeting.subject_id, meeting.subject_code,
       meeting.subject_title, meeting.section_code, meeting.day, meeting.start, meeting."end", meeting.room
FROM added LEFT JOIN meeting ON TRUE
ORDER BY meeting.day, meeting.start, meeting.subject_code
"""
# The audit entry's columns that are bound (its target is the new row's id).
_AUDIT_COLUMNS = ("actor_id", "actor_role", "impersonator_id", "action", "target_type", "before", "after", "reason",
                  "ip", "created_at")


def _save_and_week_statement() -> TextualSelect:
    """The unit counter, the new row and its audit entry written, and the student's week with
    the new class read (the rows of `week_with_statement`), all under both locks (the
    offering's taken by the previous statement). The week is read from the statement's
    snapshot: without the new row, as `week_with` reads it before the row is saved."""
    return returning(hot_sql(_SAVE_AND_WEEK).bindparams(
        bindparam("row_enrolled_at", type_=se.c.enrolled_at.type),
        bindparam("audit_before", type_=aud.c.before.type), bindparam("audit_after", type_=aud.c.after.type),
        bindparam("audit_created_at", type_=aud.c.created_at.type),
        enrolled=SubjectEnrollmentStatus.ENROLLED.value), ("new_subject_enrollment_id", *MEETING_NAMES))


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


@dataclass(frozen=True)
class Seat:
    """The offering's seats once this add has one."""

    capacity: int
    enrolled_count: int


class _Enrolling:
    """One add, step by step inside the unit of work: lock the enrollment and read the choice,
    run the checks in order, take the seat, check the week, save and record."""

    def __init__(self, request: _Request, actor: User | None) -> None:
        self.request, self.actor = request, actor
        self.subject: SubjectFacts | None = None  # known once read (the duplicate message names it)
        self.overrides: list[tuple[str, str]] = []  # (kind, reason), in the order they were needed
        # PostgreSQL sends the steps after the locked read in two statements; SQLite one a statement.
        self.at_once = db.session.get_bind().dialect.name == "postgresql"

    def _override(self, refusal: Refusal, kind: str, reason: str | None, overrider: str) -> None:
        """Set the refusal aside with the reason given, else refuse (the reason's field named
        for the role that could give it)."""
        if not reason:
            raise _refuse(refusal, f"override_{kind}_reason" if self.request.role == overrider else None)
        self.overrides.append((kind, reason))

    def _lock(self) -> LockedChoice:
        """Lock the student's term enrollment (always first: enrollment, then offering) and read
        the choice beside it; another student's enrollment does not exist for a student."""
        locked = lock_standing_with_choice(self.request.term_enrollment_id, self.request.subject_id,
                                           self.request.section_id)
        if locked is None or not may_act_on(self.actor, locked.standing.student_user_id):
            raise NotFound(NO_ENROLLMENT)
        return locked

    def _choice(self, locked: LockedChoice) -> tuple[SubjectFacts, SectionOffer, int]:
        """The subject and the section, which must belong to the student's program and term and
        offer that subject; returns them with the offering's id."""
        st, subject, section = locked.standing, locked.subject, locked.section
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

    def _check_open(self, st: Standing, subject: SubjectFacts) -> None:
        """Checks 1–2 in order; month 1 may be overridden (by an admin, with a reason)."""
        refusal = check_open(st, subject, staff=self.request.staff, today=today())
        if refusal:
            raise _refuse(refusal)
        refusal = check_first_month(st, subject)
        if refusal:
            self._override(refusal, "month1", self.request.month1_reason, Role.ADMIN.value)

    def _history_and_seat(self, st: Standing, offering_id: int) -> AnyRow | None:
        """The student's history, read after the enrollment's lock (a concurrent add of the same
        student has committed by now), and the seat tried by a conditional UPDATE under the
        offering's row lock. The seat is tried before checks 3–5 so that PostgreSQL sends both
        in one statement: a refusal rolls the seat back with the rest, and the checks still
        answer in DOMAIN.md order. Returns the seat's counts, None when the section was full."""
        if not self.at_once:
            load_history(st)
            return run(cached_statement("enrollment.take_seat", _take_seat_statement, False),
                       off_id=offering_id).first()
        rows = run(cached_statement("enrollment.seat_and_history", _seat_and_history_statement),
                   off_id=offering_id, student_id=st.student_id).all()
        apply_history(st, rows)
        return rows[0] if rows and rows[0].seat_capacity is not None else None

    def _check_history(self, st: Standing, subject: SubjectFacts) -> None:
        """Checks 3–5 in order (not taken, prerequisites, units); none may be overridden."""
        for check in HISTORY_CHECKS:
            refusal = check(st, subject)
            if refusal:
                raise _refuse(refusal)

    def _seat(self, subject: SubjectFacts, section: SectionOffer, offering_id: int, seat: AnyRow | None) -> Seat:
        """6. The seat taken, else (the section full) only a registrar's written override goes
        past capacity."""
        if seat is not None:
            return Seat(seat.seat_capacity, seat.seat_enrolled_count) if self.at_once \
                else Seat(seat.capacity, seat.enrolled_count)
        full = section_full(subject, section.code, section.capacity or 0, section.enrolled_count or 0)
        self._override(full, "capacity", self.request.capacity_reason, REGISTRAR)
        taken = run(cached_statement("enrollment.take_seat", _take_seat_statement, True), off_id=offering_id).one()
        return Seat(taken.capacity, taken.enrolled_count)

    def _check_week(self, st: Standing, subject: SubjectFacts, offering_id: int, week: list[Meeting]) -> None:
        """7. The week (the student's enrolled classes and this offering's meetings, read under
        both locks) has no clash, else only a registrar's written override lets it pass."""
        st.meetings = [m for m in week if m.offering_id != offering_id]
        refusal = check_schedule(st, subject, [m for m in week if m.offering_id == offering_id])
        if refusal:
            self._override(refusal, "conflict", self.request.conflict_reason, REGISTRAR)

    def _row(self, st: Standing, subject: SubjectFacts, offering_id: int, retake: bool,
             irregular: bool) -> dict[str, Any]:
        return {"term_enrollment_id": st.term_enrollment_id, "subject_id": subject.id, "offering_id": offering_id,
                "status": SubjectEnrollmentStatus.ENROLLED.value, "is_retake": retake, "is_irregular": irregular,
                "grade": None, "enrolled_at": now(), "enrolled_by_id": self.actor.id if self.actor else None,
                "dropped_at": None, "drop_reason": None}

    def _entry(self, after: dict[str, Any]) -> dict[str, Any]:
        """The add's audit entry (its target, the new row, is known once saved): the overrides
        needed and their reasons."""
        if self.overrides:
            after["overrides"] = [kind for kind, _ in self.overrides]
        return audit.entry(self.actor, "enrollment.subject_add", target_type="SubjectEnrollment", after=after,
                           reason="; ".join(f"{kind}: {why}" for kind, why in self.overrides) or None)

    def _save_in_steps(self, st: Standing, subject: SubjectFacts, offering_id: int, row: dict[str, Any],
                       after: dict[str, Any]) -> tuple[int, list[Meeting]]:
        """7 and the save a statement at a time: the week read, checked, then the unit counter
        and the new row (a duplicate ENROLLED row breaks the partial unique index:
        IntegrityError, turned into a refusal once the unit of work has rolled back) and the
        staged audit entry. Returns the new row's id and the week."""
        week = week_with(st.term_enrollment_id, offering_id)
        self._check_week(st, subject, offering_id, week)
        run(cached_statement("enrollment.add_units", _add_units_statement),
            te_id=st.term_enrollment_id, units=subject.units)
        new_id: int = run(cached_statement("enrollment.add_row", _add_row_statement), **row).scalar_one()
        stage_row(aud, {**self._entry(after), "target_id": str(new_id)})
        return new_id, week

    def _save_at_once(self, st: Standing, subject: SubjectFacts, offering_id: int, row: dict[str, Any],
                      after: dict[str, Any]) -> tuple[int, list[Meeting]]:
        """The save and 7 in one statement (PostgreSQL): the unit counter, the new row and its
        audit entry written and the week read; a clash then refuses and rolls it all back. Only
        without a conflict reason: with one, the audit entry depends on the week."""
        entry = self._entry(after)
        rows = run(cached_statement("enrollment.save_and_week", _save_and_week_statement),
                   te_id=st.term_enrollment_id, units=subject.units, off_id=offering_id,
                   **{f"row_{name}": row[name] for name in ("subject_id", "is_retake", "is_irregular", "enrolled_at",
                                                            "enrolled_by_id")},
                   **{f"audit_{name}": entry[name] for name in _AUDIT_COLUMNS}).all()
        week = [meeting_among(r) for r in rows if r.offering_id is not None]
        self._check_week(st, subject, offering_id, week)
        return rows[0].new_subject_enrollment_id, week

    def _record(self, st: Standing, subject: SubjectFacts, section: SectionOffer, new_id: int) -> None:
        """The override entries, one per override with its reason, and, when staff added it,
        the student's notification: staged, written with the commit."""
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
        locked = self._lock()
        st = locked.standing
        subject, section, offering_id = self._choice(locked)
        self._check_open(st, subject)
        tried = self._history_and_seat(st, offering_id)
        self._check_history(st, subject)
        seat = self._seat(subject, section, offering_id, tried)
        retake, irregular = is_retake(st, subject), is_irregular(st, subject)
        new_units = st.enrolled_units + subject.units
        row = self._row(st, subject, offering_id, retake, irregular)
        after = {"student": st.student_number, "subject": subject.code, "section": section.code,
                 "units": subject.units, "enrolled_units": new_units, "retake": retake, "irregular": irregular}
        save = self._save_at_once if self.at_once and not self.request.conflict_reason else self._save_in_steps
        new_id, week = save(st, subject, offering_id, row, after)
        self._record(st, subject, section, new_id)
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
