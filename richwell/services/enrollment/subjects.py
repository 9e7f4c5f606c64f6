"""Term enrollments and their installment plan; subject enrollment (the seven checks of
DOMAIN.md), advising for the subject picker, and drops."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import Integer, and_, bindparam, insert, literal, null, select, union_all, update
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import (
    DAYS,
    CreditStatus,
    MonthBucket,
    Offering,
    Program,
    Role,
    ScheduleSlot,
    Section,
    Semester,
    Setting,
    Student,
    StudentStatus,
    Subject,
    SubjectEnrollment,
    SubjectEnrollmentStatus,
    Term,
    TermEnrollment,
    TermEnrollmentStatus,
    TransferCredit,
    User,
    subject_prerequisites,
)
from richwell.services.academics import CREDITED, MET, NOT_TAKEN, UnmetPrerequisite, fold_results
from richwell.services.platform import audit, notifications, settings
from richwell.services.platform.clock import now, today
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from richwell.services.platform.limits import MAX_ID


def check_monthly_commitment(amount: Decimal) -> Decimal:
    """The installment must be at least the configured minimum, with at most 2 decimals."""
    if not amount.is_finite():
        raise ValidationError("Enter the monthly commitment as an amount.", field="monthly_commitment")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError("The monthly commitment may have at most 2 decimals.", field="monthly_commitment")
    minimum = settings.get("min_monthly_commitment")
    if amount < minimum:
        raise ValidationError(f"The monthly commitment must be at least PHP {minimum:,.2f}.",
                              field="monthly_commitment")
    if amount > settings.MAX_MONEY:
        raise ValidationError("The monthly commitment is larger than any real installment.",
                              field="monthly_commitment")
    return amount.quantize(Decimal("0.01"))


def open_term_enrollment(student: Student, term: Term, monthly_commitment: Decimal,
                         actor: User | None, *, commit: bool = True) -> TermEnrollment:
    """Open a student's enrollment for a term with `installment_months` buckets, each
    requiring the monthly commitment. Only ACTIVE students; one per student per term."""
    if student.status != StudentStatus.ACTIVE.value:
        raise DomainError(f"A student who is {student.status} cannot open a term enrollment.",
                          code="student_not_active")
    commitment = check_monthly_commitment(monthly_commitment)
    exists = db.session.scalar(select(TermEnrollment.id).where(
        TermEnrollment.student_id == student.id, TermEnrollment.term_id == term.id))
    if exists:
        raise Conflict(f"{student.student_number} already has an enrollment for {term.name}.")
    months = settings.get("installment_months")
    enrollment = TermEnrollment(student_id=student.id, term_id=term.id,
                                monthly_commitment=commitment, created_at=now())
    enrollment.buckets = [MonthBucket(month=m, required=commitment) for m in range(1, months + 1)]
    db.session.add(enrollment)
    db.session.flush()
    audit.record(actor, "enrollment.open", enrollment,
                 after={"student": student.student_number, "term": term.name,
                        "monthly_commitment": commitment, "months": months})
    if commit:
        db.session.commit()
    return enrollment


# ---------------------------------------------------------------------------
# Subject enrollment: the seven checks of DOMAIN.md, advising, drops.
# ---------------------------------------------------------------------------

# Who may add subjects: the student, a registrar (_role folds in the head registrar), an
# admin (for the month-1 override page), or SYSTEM (seed and jobs).
ENROLLERS = {Role.STUDENT.value, "registrar", Role.ADMIN.value, "system"}
REGISTRARS = {Role.REGISTRAR.value, Role.HEAD_REGISTRAR.value}
REASON_MAX = 500
# Ids arrive from forms and URLs; anything outside a 32-bit key cannot exist (and must not
# reach PostgreSQL as an out-of-range integer).
SEMESTER_ORDER = {"FIRST": 1, "SECOND": 2, "SUMMER": 3}
PASSED_OR_CREDITED = {SubjectEnrollmentStatus.PASSED.value, CREDITED}
RETAKE_AFTER = {SubjectEnrollmentStatus.FAILED.value, SubjectEnrollmentStatus.DROPPED.value}
# An earlier attempt whose result is still open: completed or graded, never taken again.
STILL_OPEN = {SubjectEnrollmentStatus.INC.value, SubjectEnrollmentStatus.ENROLLED.value}

# Who may override what (DOMAIN.md): capacity and conflicts the registrar, month 1 the admin.
OVERRIDABLE_BY = {"section_full": "registrar", "schedule_conflict": "registrar", "first_month_unpaid": "admin"}


def _clock(value: time) -> str:
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def hours_label(start: time, end: time) -> str:
    """'8:00 AM–9:30 AM': how the school writes a class's hours."""
    return f"{_clock(start)}–{_clock(end)}"


def _date(value: date) -> str:
    return value.strftime("%b %d, %Y")


def _pesos(amount: Decimal) -> str:
    return f"PHP {amount:,.2f}"


@dataclass(frozen=True)
class Meeting:
    """One weekly meeting of a class the student takes (or might take)."""

    offering_id: int
    subject_id: int
    subject_code: str
    subject_title: str
    section_code: str
    day: int
    start: time
    end: time
    room: str | None

    @property
    def when(self) -> str:
        return f"{DAYS[self.day]} {hours_label(self.start, self.end)}"

    @property
    def label(self) -> str:
        return f"{self.subject_code} in section {self.section_code} ({self.when})"

    def overlaps(self, other: Meeting) -> bool:
        return self.day == other.day and self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Refusal:
    """Why a subject or section cannot be added: the DOMAIN.md code and a sentence.

    `override` names who may set it aside with a reason ("registrar", "admin") or None.
    """

    code: str
    message: str

    @property
    def override(self) -> str | None:
        return OVERRIDABLE_BY.get(self.code)


@dataclass(frozen=True)
class _Attempt:
    subject_id: int
    status: str
    subject_enrollment_id: int | None
    term_enrollment_id: int | None
    offering_id: int | None
    term_name: str | None
    section_code: str | None


@dataclass
class _Standing:
    """A student's term enrollment as the checks see it (read once, under lock when saving)."""

    term_enrollment_id: int
    student_id: int
    student_user_id: int
    student_number: str
    program_id: int
    year_level: int
    status: str
    enrolled_units: int
    monthly_commitment: Decimal
    term_id: int
    term_name: str
    term_semester: str
    term_is_current: bool
    enrollment_open: date
    enrollment_close: date
    drop_deadline: date
    month1_required: Decimal | None
    month1_paid: Decimal | None
    max_units: int
    history: list[_Attempt] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)

    @property
    def first_month_paid(self) -> bool:
        return self.month1_required is not None and self.month1_paid >= self.month1_required

    @property
    def month1_due(self) -> Decimal:
        if self.month1_required is None:
            return Decimal("0.00")
        return max(self.month1_required - self.month1_paid, Decimal("0.00"))

    def window_open(self, today: date) -> bool:
        return self.enrollment_open <= today <= self.enrollment_close

    # Results derived from the history (oldest attempt first; a credit wins).
    def results(self, subject_ids, *, earlier_terms_only: bool = False) -> dict[int, str]:
        rows = [(a.subject_id, a.status) for a in self.history
                if a.status != CREDITED
                and not (earlier_terms_only and a.term_enrollment_id == self.term_enrollment_id)]
        credited = [a.subject_id for a in self.history if a.status == CREDITED]
        return fold_results(subject_ids, rows, credited)

    def current_attempt(self, subject_id: int) -> _Attempt | None:
        for attempt in self.history:
            if (attempt.term_enrollment_id == self.term_enrollment_id and attempt.subject_id == subject_id
                    and attempt.status == SubjectEnrollmentStatus.ENROLLED.value):
                return attempt
        return None

    def last_attempt(self, subject_id: int, *, earlier_terms_only: bool = True) -> _Attempt | None:
        found = None
        for attempt in self.history:
            if attempt.subject_id != subject_id or attempt.status == CREDITED:
                continue
            if earlier_terms_only and attempt.term_enrollment_id == self.term_enrollment_id:
                continue
            found = attempt
        return found


@dataclass(frozen=True)
class _SubjectFacts:
    id: int
    program_id: int
    code: str
    title: str
    units: int
    year_level: int
    semester: str
    prerequisites: tuple[PrerequisiteRef, ...]

    @property
    def name(self) -> str:
        return f"{self.code} {self.title}"


@dataclass(frozen=True)
class PrerequisiteRef:
    id: int
    code: str
    title: str


def _role(actor: User | None) -> str:
    if actor is None:
        return "system"
    if actor.role in REGISTRARS:
        return "registrar"
    return actor.role


def check_id(value, field_name: str, label: str) -> int:
    """An id from a form or URL as a positive 32-bit integer, else a ValidationError at its field."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"Choose a {label}.", field=field_name) from None
    if isinstance(value, bool) or not 1 <= number <= MAX_ID:
        raise ValidationError(f"Choose a {label}.", field=field_name)
    return number


def _check_reason(raw: str | None, field_name: str) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    if len(text) > REASON_MAX:
        raise ValidationError(f"Keep the reason under {REASON_MAX} characters.", field=field_name)
    return text


@functools.cache
def _sql() -> SimpleNamespace:
    """The statements of the add path, built once with binds and run on the session's
    connection: enrollment day runs them thousands of times a minute, so neither the
    statement objects nor the ORM layer are rebuilt for every request."""
    te, st, tm, mb = (m.__table__ for m in (TermEnrollment, Student, Term, MonthBucket))
    se, sec, off, sub, slot, tc, usr = (m.__table__ for m in (SubjectEnrollment, Section, Offering, Subject,
                                                             ScheduleSlot, TransferCredit, User))
    setting = Setting.__table__
    prereq = sub.alias("prereq")
    standing = (
        select(te.c.id, te.c.student_id, te.c.status, te.c.enrolled_units, te.c.monthly_commitment, st.c.user_id,
               st.c.student_number, st.c.program_id, st.c.year_level, tm.c.id, tm.c.academic_year, tm.c.semester,
               tm.c.is_current, tm.c.enrollment_open, tm.c.enrollment_close, tm.c.drop_deadline, mb.c.required,
               mb.c.paid,
               select(setting.c.value).where(setting.c.key == "max_units").scalar_subquery().label("max_units"))
        .select_from(te.join(st, st.c.id == te.c.student_id).join(tm, tm.c.id == te.c.term_id)
                     .outerjoin(mb, and_(mb.c.term_enrollment_id == te.c.id, mb.c.month == 1)))
        .where(te.c.id == bindparam("te_id"))
    )
    attempts = (
        select(se.c.subject_id, se.c.status, se.c.id, se.c.term_enrollment_id, se.c.offering_id,
               tm.c.academic_year, tm.c.semester, sec.c.code, tm.c.start_date, se.c.enrolled_at)
        .select_from(se.join(te, te.c.id == se.c.term_enrollment_id).join(tm, tm.c.id == te.c.term_id)
                     .outerjoin(off, off.c.id == se.c.offering_id).outerjoin(sec, sec.c.id == off.c.section_id))
        .where(te.c.student_id == bindparam("student_id"))
    )
    credits = (
        select(tc.c.subject_id, literal(CREDITED), null(), null(), null(), null(), null(), null(), null(), null())
        .where(tc.c.student_id == bindparam("student_id"), tc.c.status == CreditStatus.ACCEPTED.value)
    )
    choice = (
        select(sub.c.id, sub.c.program_id, sub.c.code, sub.c.title, sub.c.units, sub.c.year_level, sub.c.semester,
               prereq.c.id, prereq.c.code, prereq.c.title, sec.c.id, sec.c.term_id, sec.c.code, off.c.id,
               off.c.capacity, off.c.enrolled_count, usr.c.first_name, usr.c.last_name)
        .select_from(
            sub.outerjoin(subject_prerequisites, subject_prerequisites.c.subject_id == sub.c.id)
            .outerjoin(prereq, prereq.c.id == subject_prerequisites.c.prerequisite_id)
            .outerjoin(sec, sec.c.id == bindparam("section_id"))
            .outerjoin(off, and_(off.c.section_id == sec.c.id, off.c.subject_id == sub.c.id))
            .outerjoin(usr, usr.c.id == off.c.professor_id))
        .where(sub.c.id == bindparam("subject_id"))
        .order_by(prereq.c.code)
    )
    enrolled_offerings = (select(se.c.offering_id)
                          .where(se.c.term_enrollment_id == bindparam("te_id"),
                                 se.c.status == SubjectEnrollmentStatus.ENROLLED.value,
                                 se.c.offering_id.is_not(None)))
    week = (
        select(slot.c.offering_id, off.c.subject_id, sub.c.code, sub.c.title, sec.c.code, slot.c.day,
               slot.c.start_time, slot.c.end_time, slot.c.room)
        .select_from(slot.join(off, off.c.id == slot.c.offering_id).join(sub, sub.c.id == off.c.subject_id)
                     .join(sec, sec.c.id == off.c.section_id))
        # One IN over a union (not an OR): the planner then walks the slot index for these few
        # offerings instead of scanning every offering of the term.
        .where(slot.c.offering_id.in_(union_all(select(bindparam("off_id", type_=Integer)), enrolled_offerings)))
        .order_by(slot.c.day, slot.c.start_time, sub.c.code)
    )
    seat = (update(off).values(enrolled_count=off.c.enrolled_count + 1)
            .returning(off.c.enrolled_count, off.c.capacity))
    return SimpleNamespace(
        standing=standing,
        standing_locked=standing.with_for_update(of=te),
        history=union_all(attempts, credits),
        choice=choice,
        week=week,
        take_seat=seat.where(off.c.id == bindparam("off_id"), off.c.enrolled_count < off.c.capacity),
        take_seat_over_capacity=seat.where(off.c.id == bindparam("off_id")),
        add_units=(update(te).where(te.c.id == bindparam("te_id"))
                   .values(enrolled_units=te.c.enrolled_units + bindparam("units", type_=Integer))),
        add_row=insert(se).returning(se.c.id),
    )


def _run(statement, **params):
    """Run a prebuilt statement inside the session's transaction (Core, no ORM layer)."""
    return db.session.connection().execute(statement, params)


def _load_standing(term_enrollment_id: int, *, lock: bool) -> _Standing | None:
    """One statement: the enrollment, its student, term, month-1 bucket and the unit cap."""
    sql = _sql()
    row = _run(sql.standing_locked if lock else sql.standing, te_id=term_enrollment_id).first()
    if row is None:
        return None
    (te_id, student_id, status, units, commitment, user_id, number, program_id, year_level, term_id,
     academic_year, semester, is_current, opens, closes, drop_deadline, required, paid, max_units) = row
    return _Standing(
        term_enrollment_id=te_id, student_id=student_id, student_user_id=user_id, student_number=number,
        program_id=program_id, year_level=year_level, status=status, enrolled_units=units or 0,
        monthly_commitment=commitment, term_id=term_id,
        term_name=f"{Semester(semester).label} {academic_year}", term_semester=semester,
        term_is_current=bool(is_current), enrollment_open=opens, enrollment_close=closes,
        drop_deadline=drop_deadline, month1_required=required, month1_paid=paid,
        max_units=settings.typed("max_units", max_units))


def _load_history(standing: _Standing) -> None:
    """One statement: every attempt of the student (all terms) and accepted transfer credits."""
    rows = _run(_sql().history, student_id=standing.student_id).all()
    ordered = sorted((r for r in rows if r[1] != CREDITED),
                     key=lambda r: (r[8], r[9], r[2]))  # oldest attempt first: the last one wins
    history = [
        _Attempt(subject_id=r[0], status=r[1], subject_enrollment_id=r[2], term_enrollment_id=r[3],
                 offering_id=r[4], term_name=f"{Semester(r[6]).label} {r[5]}", section_code=r[7])
        for r in ordered
    ]
    history.extend(_Attempt(r[0], CREDITED, None, None, None, None, None) for r in rows if r[1] == CREDITED)
    standing.history = history


def _meetings_query(where):
    return (
        select(ScheduleSlot.offering_id, Offering.subject_id, Subject.code, Subject.title, Section.code,
               ScheduleSlot.day, ScheduleSlot.start_time, ScheduleSlot.end_time, ScheduleSlot.room)
        .join(Offering, Offering.id == ScheduleSlot.offering_id)
        .join(Subject, Subject.id == Offering.subject_id)
        .join(Section, Section.id == Offering.section_id)
        .where(where)
        .order_by(ScheduleSlot.day, ScheduleSlot.start_time, Subject.code)
    )


def load_meetings(where) -> list[Meeting]:
    """The weekly meetings matching `where` (one statement), by day and start."""
    return [Meeting(*row) for row in db.session.execute(_meetings_query(where)).all()]


def _enrolled_offering_ids(term_enrollment_id: int):
    return (select(SubjectEnrollment.offering_id)
            .where(SubjectEnrollment.term_enrollment_id == term_enrollment_id,
                   SubjectEnrollment.status == SubjectEnrollmentStatus.ENROLLED.value,
                   SubjectEnrollment.offering_id.is_not(None))
            .scalar_subquery())


def professor_name(first: str | None, last: str | None) -> str:
    return f"{first} {last}" if last else "TBA"


# --- the checks, in DOMAIN.md order; each returns a Refusal or None -------------------

def _check_open(st: _Standing, subject: _SubjectFacts, *, staff: bool, today: date) -> Refusal | None:
    """1. The term enrollment is ACTIVE and (for students) inside the enrollment window."""
    code = "enrollment_closed"
    if st.status != TermEnrollmentStatus.ACTIVE.value:
        return Refusal(code, f"{subject.code} cannot be added: this enrollment for {st.term_name} is "
                             f"on {st.status}, not ACTIVE.")
    if not st.term_is_current:
        return Refusal(code, f"{subject.code} cannot be added: {st.term_name} is not the current term.")
    if not staff:
        if today < st.enrollment_open:
            return Refusal(code, f"{subject.code} cannot be added yet: enrollment for {st.term_name} opens "
                                 f"on {_date(st.enrollment_open)}.")
        if today > st.enrollment_close:
            return Refusal(code, f"{subject.code} cannot be added: enrollment for {st.term_name} closed on "
                                 f"{_date(st.enrollment_close)}. Ask the registrar.")
    return None


def _check_first_month(st: _Standing, subject: _SubjectFacts) -> Refusal | None:
    """2. The first month is fully paid (a hard block only an admin overrides)."""
    if st.first_month_paid:
        return None
    return Refusal("first_month_unpaid",
                   f"{subject.code} cannot be added until the first month is paid: "
                   f"{_pesos(st.month1_due)} is still due for month 1.")


def _check_not_taken(st: _Standing, subject: _SubjectFacts) -> Refusal | None:
    """3. Not already enrolled in it this term, not already passed or credited (nor an
    earlier attempt still open: INC or awaiting its grade)."""
    current = st.current_attempt(subject.id)
    if current is not None:
        return Refusal("already_enrolled", f"{subject.name} is already enrolled this term "
                                           f"(section {current.section_code or 'TBA'}).")
    result = st.results([subject.id])[subject.id]
    if result == CREDITED:
        return Refusal("already_passed", f"{subject.name} is already credited from a previous school; "
                                         "it is not taken again.")
    if result == SubjectEnrollmentStatus.PASSED.value:
        last = st.last_attempt(subject.id)
        when = f" in {last.term_name}" if last else ""
        return Refusal("already_passed", f"{subject.name} was already passed{when}; it is not taken again.")
    if result in STILL_OPEN:
        last = st.last_attempt(subject.id)
        when = f" from {last.term_name}" if last else ""
        if result == SubjectEnrollmentStatus.INC.value:
            text = f"{subject.name} has an INC{when}: it is completed with the professor, not taken again."
        else:
            text = f"{subject.name} is still awaiting its grade{when}; it cannot be taken again yet."
        return Refusal("already_enrolled", text)
    return None


def _check_prerequisites(st: _Standing, subject: _SubjectFacts) -> Refusal | None:
    """4. Each prerequisite's latest result is PASSED or CREDITED."""
    if not subject.prerequisites:
        return None
    results = st.results([p.id for p in subject.prerequisites])
    unmet = [UnmetPrerequisite(p, results[p.id]) for p in subject.prerequisites if results[p.id] not in MET]
    if not unmet:
        return None
    which = "; ".join(u.sentence for u in unmet)
    noun = "prerequisite" if len(unmet) == 1 else "prerequisites"
    return Refusal("prerequisite", f"{subject.name} cannot be taken yet: {noun} {which}.")


def _check_units(st: _Standing, subject: _SubjectFacts) -> Refusal | None:
    """5. Enrolled units + the subject's units stay within `max_units` (nobody overrides)."""
    total = st.enrolled_units + subject.units
    if total <= st.max_units:
        return None
    return Refusal("unit_cap", f"{subject.name} ({subject.units} units) would bring the total to {total} units; "
                               f"the limit is {st.max_units} units per term ({st.enrolled_units} enrolled).")


def _section_full(subject: _SubjectFacts, section_code: str, capacity: int, taken: int) -> Refusal:
    """6. The section still has a seat (the registrar may override with a reason)."""
    return Refusal("section_full", f"Section {section_code} is full for {subject.code} "
                                   f"({taken} of {capacity} seats taken).")


def _check_schedule(st: _Standing, subject: _SubjectFacts, candidate: list[Meeting]) -> Refusal | None:
    """7. No overlap with the student's other classes this term (the registrar may override)."""
    clashes = _clashes(candidate, st.meetings, subject.id)
    if not clashes:
        return None
    mine, theirs = clashes[0]
    more = f" (and {len(clashes) - 1} more)" if len(clashes) > 1 else ""
    return Refusal("schedule_conflict", f"{mine.label} clashes with {theirs.label}{more}.")


def _clashes(candidate: list[Meeting], enrolled: list[Meeting], subject_id: int) -> list[tuple[Meeting, Meeting]]:
    return [(mine, theirs) for mine in candidate for theirs in enrolled
            if theirs.subject_id != subject_id and mine.overlaps(theirs)]


def _subject_refusals(st: _Standing, subject: _SubjectFacts, *, staff: bool, today: date) -> list[Refusal]:
    """Checks 1–5, in order, every one that fails (pages list them all; the service stops at the first)."""
    checks = (
        _check_open(st, subject, staff=staff, today=today),
        _check_first_month(st, subject),
        _check_not_taken(st, subject),
        _check_prerequisites(st, subject),
        _check_units(st, subject),
    )
    return [r for r in checks if r is not None]


def _is_irregular(st: _Standing, subject: _SubjectFacts) -> bool:
    return subject.year_level != st.year_level or subject.semester != st.term_semester


def _is_retake(st: _Standing, subject: _SubjectFacts) -> bool:
    prior = st.results([subject.id], earlier_terms_only=True)[subject.id]
    return prior in RETAKE_AFTER


# --- enrolling ------------------------------------------------------------------------

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


def _load_choice(subject_id: int, section_id: int):
    """One statement: the subject with its prerequisites, the section, and the offering of that
    subject in that section (with its professor), if any."""
    rows = _run(_sql().choice, subject_id=subject_id, section_id=section_id).all()
    if not rows:
        return None, None
    first = rows[0]
    prereqs = tuple(PrerequisiteRef(r[7], r[8], r[9]) for r in rows if r[7] is not None)
    subject = _SubjectFacts(first[0], first[1], first[2], first[3], first[4], first[5], first[6], prereqs)
    section = None
    if first[10] is not None:
        section = {"id": first[10], "term_id": first[11], "code": first[12], "offering_id": first[13],
                   "capacity": first[14], "enrolled_count": first[15],
                   "professor": professor_name(first[16], first[17])}
    return subject, section


def _refuse(refusal: Refusal, field_name: str | None = None):
    raise DomainError(refusal.message, code=refusal.code, field=field_name)


def _lock_for(term_enrollment_id: int, actor: User | None) -> _Standing:
    """Lock the student's term enrollment (always first: enrollment, then offering) and check
    the actor may act on it; another student's enrollment does not exist for them."""
    standing = _load_standing(term_enrollment_id, lock=True)
    if standing is None or (_role(actor) == Role.STUDENT.value and standing.student_user_id != actor.id):
        raise NotFound("That term enrollment does not exist.")
    return standing


def enroll_in_subject(term_enrollment_id, subject_id, section_id, actor: User | None, *,
                      override_capacity_reason: str | None = None, override_conflict_reason: str | None = None,
                      override_month1_reason: str | None = None) -> Enrolled:
    """Add a subject in a section to a term enrollment, applying the DOMAIN.md checks in order
    (window, month 1, not taken, prerequisites, unit cap, seats, schedule) inside one
    transaction with the enrollment row, then the offering row, locked. Seats are taken by a
    conditional UPDATE; the unit cap has no override; a registrar may override capacity and
    conflicts and an admin the first month, each with a reason (audited). Retake and
    irregular flags are set here."""
    role = _role(actor)
    if role not in ENROLLERS:
        raise Forbidden("Only the student, a registrar or an administrator may add subjects.")
    te_id = check_id(term_enrollment_id, "term_enrollment_id", "term enrollment")
    subj_id = check_id(subject_id, "subject_id", "subject")
    sect_id = check_id(section_id, "section_id", "section")
    capacity_reason = _check_reason(override_capacity_reason, "override_capacity_reason")
    conflict_reason = _check_reason(override_conflict_reason, "override_conflict_reason")
    month1_reason = _check_reason(override_month1_reason, "override_month1_reason")
    if (capacity_reason or conflict_reason) and role != "registrar":
        raise Forbidden("Only a registrar may override section capacity or a schedule conflict.")
    if month1_reason and role != Role.ADMIN.value:
        raise Forbidden("Only an administrator may override the first-month payment.")
    staff = role != Role.STUDENT.value

    sql = _sql()
    try:
        st = _lock_for(te_id, actor)
        subject, section = _load_choice(subj_id, sect_id)
        if subject is None:
            raise NotFound("That subject does not exist.", field="subject_id")
        if section is None:
            raise NotFound("That section does not exist.", field="section_id")
        if subject.program_id != st.program_id:
            raise DomainError(f"{subject.name} belongs to another program's curriculum.",
                              code="other_program", field="subject_id")
        if section["term_id"] != st.term_id:
            raise DomainError(f"Section {section['code']} belongs to another term, not {st.term_name}.",
                              code="other_term", field="section_id")
        if section["offering_id"] is None:
            raise DomainError(f"Section {section['code']} does not offer {subject.code}.",
                              code="not_offered", field="section_id")

        overrides: list[tuple[str, str]] = []
        today_ = today()
        refusal = _check_open(st, subject, staff=staff, today=today_)
        if refusal:
            _refuse(refusal)
        refusal = _check_first_month(st, subject)
        if refusal:
            if not month1_reason:
                _refuse(refusal, "override_month1_reason" if role == Role.ADMIN.value else None)
            overrides.append(("month1", month1_reason))
        _load_history(st)
        for check in (_check_not_taken, _check_prerequisites, _check_units):
            refusal = check(st, subject)
            if refusal:
                _refuse(refusal)

        # 6. The seat: a conditional UPDATE under the offering's row lock (taken after the
        # enrollment's). Only a registrar's written override goes past capacity.
        offering_id = section["offering_id"]
        seat = _run(sql.take_seat, off_id=offering_id).first()
        if seat is None:
            full = _section_full(subject, section["code"], section["capacity"], section["enrolled_count"])
            if not capacity_reason:
                _refuse(full, "override_capacity_reason" if role == "registrar" else None)
            seat = _run(sql.take_seat_over_capacity, off_id=offering_id).first()
            overrides.append(("capacity", capacity_reason))
        enrolled_count, capacity = seat

        # 7. The week: the student's enrolled classes and this offering's meetings, read now.
        rows = _run(sql.week, off_id=offering_id, te_id=st.term_enrollment_id).all()
        all_meetings = [Meeting(*row) for row in rows]
        candidate = [m for m in all_meetings if m.offering_id == offering_id]
        st.meetings = [m for m in all_meetings if m.offering_id != offering_id]
        refusal = _check_schedule(st, subject, candidate)
        if refusal:
            if not conflict_reason:
                _refuse(refusal, "override_conflict_reason" if role == "registrar" else None)
            overrides.append(("conflict", conflict_reason))

        is_retake, is_irregular = _is_retake(st, subject), _is_irregular(st, subject)
        new_units = st.enrolled_units + subject.units
        _run(sql.add_units, te_id=st.term_enrollment_id, units=subject.units)
        try:
            new_id = _run(sql.add_row, term_enrollment_id=st.term_enrollment_id, subject_id=subject.id,
                          offering_id=offering_id, status=SubjectEnrollmentStatus.ENROLLED.value,
                          is_retake=is_retake, is_irregular=is_irregular, grade=None, enrolled_at=now(),
                          enrolled_by_id=actor.id if actor else None, dropped_at=None,
                          drop_reason=None).scalar_one()
        except IntegrityError:  # the caller's rollback below ends the failed transaction
            # The partial unique index: one ENROLLED row per subject per term enrollment.
            raise DomainError(f"{subject.name} is already enrolled this term.",
                              code="already_enrolled") from None
        after = {"student": st.student_number, "subject": subject.code, "section": section["code"],
                 "units": subject.units, "enrolled_units": new_units, "retake": is_retake,
                 "irregular": is_irregular}
        if overrides:
            after["overrides"] = [kind for kind, _ in overrides]
        audit.record(actor, "enrollment.subject_add", target_type="SubjectEnrollment", target_id=new_id,
                     after=after, reason="; ".join(f"{kind}: {why}" for kind, why in overrides) or None)
        for kind, why in overrides:
            audit.record(actor, f"enrollment.override_{kind}", target_type="SubjectEnrollment",
                             target_id=new_id, reason=why, after={"student": st.student_number,
                                                                  "subject": subject.code,
                                                                  "section": section["code"]})
        if staff and actor is not None:
            notifications.notify(st.student_user_id, "enrollment",
                                 f"{subject.code} {subject.title} (section {section['code']}) was added "
                                 f"to your {st.term_name} subjects by the {Role(actor.role).label.lower()}.")
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    return Enrolled(
        subject_enrollment_id=new_id, term_enrollment_id=st.term_enrollment_id, subject_id=subject.id,
        subject_code=subject.code, subject_title=subject.title, units=subject.units, section_id=sect_id,
        section_code=section["code"], offering_id=offering_id, professor=section["professor"],
        capacity=capacity, enrolled_count=enrolled_count, enrolled_units=new_units, max_units=st.max_units,
        is_retake=is_retake, is_irregular=is_irregular, overrides=tuple(k for k, _ in overrides),
        timetable=tuple(sorted(all_meetings, key=lambda m: (m.day, m.start, m.subject_code))))


# --- dropping -------------------------------------------------------------------------

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


def drop_subject(subject_enrollment_id, actor: User | None, reason: str | None = None) -> Dropped:
    """Drop an enrolled subject: the student before the term's drop deadline, a registrar any
    time with a reason. The seat and the units are freed at once; audited."""
    role = _role(actor)
    if role not in {Role.STUDENT.value, "registrar", "system"}:
        raise Forbidden("Only the student or a registrar may drop a subject.")
    se_id = check_id(subject_enrollment_id, "subject_enrollment_id", "subject")
    why = _check_reason(reason, "reason")
    if role == "registrar" and not why:
        raise ValidationError("Give the reason for dropping this subject.", field="reason")
    missing = NotFound("That subject enrollment does not exist.")
    try:
        te_id = db.session.scalar(
            select(SubjectEnrollment.term_enrollment_id).where(SubjectEnrollment.id == se_id))
        if te_id is None:
            raise missing
        st = _load_standing(te_id, lock=True)
        if st is None or (role == Role.STUDENT.value and st.student_user_id != actor.id):
            raise missing
        # Read after the lock: a concurrent drop of the same row has committed by now.
        row = db.session.execute(
            select(SubjectEnrollment.status, SubjectEnrollment.offering_id, Subject.id, Subject.code,
                   Subject.title, Subject.units)
            .join(Subject, Subject.id == SubjectEnrollment.subject_id)
            .where(SubjectEnrollment.id == se_id)).one()
        status, offering_id, subject_id, code, title, units = row
        if status != SubjectEnrollmentStatus.ENROLLED.value:
            raise DomainError(f"{code} {title} is not an enrolled subject (it is {status}); "
                              "there is nothing to drop.", code="not_enrolled")
        if role == Role.STUDENT.value and today() > st.drop_deadline:
            raise DomainError(f"{code} {title} cannot be dropped: the drop deadline for {st.term_name} was "
                              f"{_date(st.drop_deadline)}. Ask the registrar.", code="drop_deadline_passed")
        db.session.execute(
            update(SubjectEnrollment).where(SubjectEnrollment.id == se_id)
            .values(status=SubjectEnrollmentStatus.DROPPED.value, dropped_at=now(), drop_reason=why)
            .execution_options(synchronize_session=False))
        seats_left = None
        if offering_id is not None:
            seat = db.session.execute(
                update(Offering).where(Offering.id == offering_id, Offering.enrolled_count > 0)
                .values(enrolled_count=Offering.enrolled_count - 1)
                .returning(Offering.enrolled_count, Offering.capacity)
                .execution_options(synchronize_session=False)).first()
            if seat is not None:
                seats_left = max(seat[1] - seat[0], 0)
        new_units = max(st.enrolled_units - units, 0)
        db.session.execute(
            update(TermEnrollment).where(TermEnrollment.id == st.term_enrollment_id)
            .values(enrolled_units=new_units).execution_options(synchronize_session=False))
        audit.record(actor, "enrollment.subject_drop", target_type="SubjectEnrollment", target_id=se_id,
                     before={"status": status, "enrolled_units": st.enrolled_units},
                     after={"status": SubjectEnrollmentStatus.DROPPED.value, "student": st.student_number,
                            "subject": code, "enrolled_units": new_units}, reason=why)
        if role == "registrar":
            notifications.notify(st.student_user_id, "enrollment",
                                 f"{code} {title} was dropped from your {st.term_name} subjects by the "
                                 f"registrar: {why}")
        timetable = load_meetings(
            ScheduleSlot.offering_id.in_(_enrolled_offering_ids(st.term_enrollment_id)))
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    return Dropped(subject_enrollment_id=se_id, term_enrollment_id=st.term_enrollment_id, subject_id=subject_id,
                   subject_code=code, subject_title=title, units=units, offering_id=offering_id,
                   seats_left=seats_left, enrolled_units=new_units, max_units=st.max_units,
                   timetable=tuple(timetable))


# --- advising -------------------------------------------------------------------------

@dataclass(frozen=True)
class SectionChoice:
    """A section offering a subject this term, as the picker shows it."""

    section_id: int
    offering_id: int
    section_code: str
    professor: str
    meetings: tuple[Meeting, ...]
    capacity: int
    enrolled_count: int
    refusals: tuple[Refusal, ...]  # checks 6 and 7 for this section
    can_enroll: bool  # every check passes, without any override
    can_override: bool  # only refusals the viewer may override stand in the way

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.enrolled_count, 0)


@dataclass(frozen=True)
class EnrolledSubject:
    subject_enrollment_id: int
    subject_id: int
    code: str
    title: str
    units: int
    section_id: int | None
    section_code: str | None
    offering_id: int | None
    professor: str
    meetings: tuple[Meeting, ...]
    is_retake: bool
    is_irregular: bool
    can_drop: bool
    drop_refusal: str | None


@dataclass(frozen=True)
class SubjectChoice:
    """A subject of the student's curriculum for this term: why it is listed, its sections,
    and what stands in the way (checks 1–5; sections carry 6 and 7)."""

    subject_id: int
    code: str
    title: str
    units: int
    year_level: int
    semester: str
    category: str  # regular | retake | back | irregular
    reason: str
    is_retake: bool
    is_irregular: bool
    refusals: tuple[Refusal, ...]
    sections: tuple[SectionChoice, ...]
    enrolled: EnrolledSubject | None

    @property
    def can_enroll(self) -> bool:
        return any(s.can_enroll for s in self.sections)


@dataclass(frozen=True)
class Advice:
    """Everything the subject picker needs for one term enrollment, as plain data."""

    term_enrollment_id: int
    student_id: int
    student_number: str
    student_name: str
    program_code: str
    year_level: int
    term_id: int
    term_name: str
    semester: str
    status: str
    window_open: bool
    enrollment_open: date
    enrollment_close: date
    drop_deadline: date
    drop_deadline_passed: bool
    first_month_paid: bool
    month1_due: Decimal
    enrolled_units: int
    max_units: int
    viewer: str  # student | registrar | admin
    recommended: tuple[SubjectChoice, ...]
    irregular: tuple[SubjectChoice, ...]
    enrolled: tuple[EnrolledSubject, ...]
    timetable: tuple[Meeting, ...]

    @property
    def can_add(self) -> bool:
        """False while something blocks every subject for this viewer (closed, month 1 unpaid)."""
        if self.status != TermEnrollmentStatus.ACTIVE.value:
            return False
        if self.viewer == Role.STUDENT.value and not self.window_open:
            return False
        return self.first_month_paid or self.viewer == Role.ADMIN.value


CATEGORY_ORDER = {"regular": 0, "retake": 1, "back": 2, "irregular": 3}


def _year_sem(year_level: int, semester: str) -> str:
    return f"Year {year_level}, {Semester(semester).label}"


def current_enrollment_id(student_user_id: int) -> int | None:
    """The id of the student's term enrollment for the current term (None when not opened)."""
    return db.session.scalar(
        select(TermEnrollment.id)
        .join(Student, Student.id == TermEnrollment.student_id)
        .join(Term, Term.id == TermEnrollment.term_id)
        .where(Student.user_id == student_user_id, Term.is_current.is_(True)))


def advise(term_enrollment_id, *, viewer: str = "student", subject_ids=None) -> Advice:
    """Advising for a term enrollment: recommended subjects (the program's subjects for the
    student's year level and the term's semester, plus back subjects and retakes whose
    prerequisites are met), each with a reason line, then the other offered subjects as
    irregular; every subject with its sections this term, `can_enroll` and the reasons it
    cannot — the same checks as `enroll_in_subject`. A bounded number of statements however
    many subjects and sections exist. `subject_ids` narrows the lists (one picker card)."""
    te_id = check_id(term_enrollment_id, "term_enrollment_id", "term enrollment")
    viewer = "registrar" if viewer in REGISTRARS else viewer
    staff = viewer != Role.STUDENT.value
    st = _load_standing(te_id, lock=False)
    if st is None:
        raise NotFound("That term enrollment does not exist.")
    name_row = db.session.execute(
        select(User.first_name, User.middle_name, User.last_name, Program.code)
        .join(Student, Student.user_id == User.id).join(Program, Program.id == Student.program_id)
        .where(Student.id == st.student_id)).one()
    _load_history(st)

    subjects = db.session.execute(
        select(Subject.id, Subject.code, Subject.title, Subject.units, Subject.year_level, Subject.semester)
        .where(Subject.program_id == st.program_id).order_by(Subject.code)).all()
    codes = {row[0]: (row[1], row[2]) for row in subjects}
    links = db.session.execute(
        select(subject_prerequisites.c.subject_id, subject_prerequisites.c.prerequisite_id)
        .join(Subject, Subject.id == subject_prerequisites.c.subject_id)
        .where(Subject.program_id == st.program_id)).all()
    prereqs: dict[int, list[int]] = {}
    for sid, pid in links:
        prereqs.setdefault(sid, []).append(pid)
    facts = {}
    for sid, code, title, units, year, sem in subjects:
        refs = sorted((PrerequisiteRef(pid, *codes.get(pid, ("?", "?"))) for pid in prereqs.get(sid, [])),
                      key=lambda p: p.code)
        facts[sid] = _SubjectFacts(sid, st.program_id, code, title, units, year, sem, tuple(refs))

    # Offerings this term of the program's subjects (and of anything the student is enrolled in).
    # One IN over a union rather than an OR: the planner estimates it well and walks indexes.
    in_scope = Offering.subject_id.in_(union_all(
        select(Subject.id).where(Subject.program_id == st.program_id),
        select(SubjectEnrollment.subject_id).where(
            SubjectEnrollment.term_enrollment_id == st.term_enrollment_id,
            SubjectEnrollment.status == SubjectEnrollmentStatus.ENROLLED.value)))
    offerings = db.session.execute(
        select(Offering.id, Offering.subject_id, Offering.capacity, Offering.enrolled_count, Section.id,
               Section.code, User.first_name, User.last_name)
        .join(Section, Section.id == Offering.section_id)
        .outerjoin(User, User.id == Offering.professor_id)
        .where(Section.term_id == st.term_id, in_scope)
        .order_by(Section.code)).all()
    meetings_by_offering: dict[int, list[Meeting]] = {}
    for meeting in load_meetings(and_(Section.term_id == st.term_id, in_scope)):
        meetings_by_offering.setdefault(meeting.offering_id, []).append(meeting)

    enrolled_attempts = {a.offering_id: a for a in st.history
                         if a.term_enrollment_id == st.term_enrollment_id
                         and a.status == SubjectEnrollmentStatus.ENROLLED.value}
    st.meetings = [m for off_id in enrolled_attempts for m in meetings_by_offering.get(off_id, [])]
    offerings_by_subject: dict[int, list] = {}
    offering_info = {}
    for row in offerings:
        offerings_by_subject.setdefault(row[1], []).append(row)
        offering_info[row[0]] = row

    today_ = today()
    deadline_passed = today_ > st.drop_deadline
    retake_flags = {a.subject_id: a for a in st.history if a.status in RETAKE_AFTER
                    and a.term_enrollment_id != st.term_enrollment_id}

    def enrolled_subject(attempt: _Attempt) -> EnrolledSubject:
        subject = facts.get(attempt.subject_id)
        info = offering_info.get(attempt.offering_id)
        can_drop, drop_refusal = True, None
        if viewer == Role.ADMIN.value:
            can_drop, drop_refusal = False, "Drops are made by the student or the registrar."
        elif not staff and deadline_passed:
            can_drop = False
            drop_refusal = f"The drop deadline was {_date(st.drop_deadline)}; ask the registrar."
        code, title, units = (subject.code, subject.title, subject.units) if subject else ("?", "?", 0)
        return EnrolledSubject(
            subject_enrollment_id=attempt.subject_enrollment_id, subject_id=attempt.subject_id, code=code,
            title=title, units=units, section_id=info[4] if info else None,
            section_code=attempt.section_code, offering_id=attempt.offering_id,
            professor=professor_name(info[6], info[7]) if info else "TBA",
            meetings=tuple(meetings_by_offering.get(attempt.offering_id, [])),
            is_retake=attempt.subject_id in retake_flags,
            is_irregular=_is_irregular(st, subject) if subject else False,
            can_drop=can_drop, drop_refusal=drop_refusal)

    enrolled_by_subject = {a.subject_id: enrolled_subject(a) for a in enrolled_attempts.values()}
    results = st.results(facts.keys())
    prior = st.results(facts.keys(), earlier_terms_only=True)
    here = (st.year_level, SEMESTER_ORDER.get(st.term_semester, 0))
    wanted = None if subject_ids is None else {int(s) for s in subject_ids}

    recommended, irregular = [], []
    for sid, subject in facts.items():
        if wanted is not None and sid not in wanted:
            continue
        enrolled = enrolled_by_subject.get(sid)
        if enrolled is None and (results[sid] in PASSED_OR_CREDITED or prior[sid] in STILL_OPEN):
            continue  # done, or an earlier attempt still open: not offered for picking
        offered = bool(offerings_by_subject.get(sid))
        regular = subject.year_level == st.year_level and subject.semester == st.term_semester
        retake = sid in retake_flags
        back = not retake and prior[sid] == NOT_TAKEN and (
            (subject.year_level, SEMESTER_ORDER.get(subject.semester, 0)) < here)
        refusals = _subject_refusals(st, subject, staff=staff, today=today_)
        prereqs_met = not any(r.code == "prerequisite" for r in refusals)
        where = _year_sem(subject.year_level, subject.semester)
        if retake:
            last = retake_flags[sid]
            verb = "failed" if last.status == SubjectEnrollmentStatus.FAILED.value else "dropped"
            reason = f"Retake: {verb} in {last.term_name}."
        elif regular:
            reason = f"{where} subject of your curriculum."
        elif back:
            reason = f"Back subject from {where}, not yet taken."
        else:
            reason = f"{where} subject, outside your year level and semester."
        if regular or ((retake or back) and prereqs_met and offered):
            category = "retake" if retake else ("regular" if regular else "back")
            bucket = recommended
        elif offered or enrolled:
            category, bucket = "irregular", irregular
            if (retake or back) and not prereqs_met:
                reason = reason.rstrip(".") + "; its prerequisites are not met yet."
        else:
            continue
        sections = []
        for off_id, _sid, capacity, taken, section_id, section_code, first, last_name in offerings_by_subject.get(
                sid, []):
            meetings = meetings_by_offering.get(off_id, [])
            own = []
            if taken >= capacity:
                own.append(_section_full(subject, section_code, capacity, taken))
            clash = _check_schedule(st, subject, meetings)
            if clash:
                own.append(clash)
            blocking = [*refusals, *own]
            sections.append(SectionChoice(
                section_id=section_id, offering_id=off_id, section_code=section_code,
                professor=professor_name(first, last_name), meetings=tuple(meetings), capacity=capacity,
                enrolled_count=taken, refusals=tuple(own), can_enroll=not blocking,
                can_override=bool(blocking) and all(r.override == viewer for r in blocking)))
        bucket.append(SubjectChoice(
            subject_id=sid, code=subject.code, title=subject.title, units=subject.units,
            year_level=subject.year_level, semester=subject.semester, category=category, reason=reason,
            is_retake=retake, is_irregular=_is_irregular(st, subject),
            refusals=tuple(r for r in refusals if r.code != "already_enrolled"),
            sections=tuple(sections), enrolled=enrolled))

    def order(choice: SubjectChoice):
        return (CATEGORY_ORDER[choice.category], choice.year_level,
                SEMESTER_ORDER.get(choice.semester, 0), choice.code)

    first, middle, last, program_code = name_row
    return Advice(
        term_enrollment_id=st.term_enrollment_id, student_id=st.student_id, student_number=st.student_number,
        student_name=" ".join(p for p in (first, middle, last) if p), program_code=program_code,
        year_level=st.year_level, term_id=st.term_id, term_name=st.term_name, semester=st.term_semester,
        status=st.status, window_open=st.window_open(today_), enrollment_open=st.enrollment_open,
        enrollment_close=st.enrollment_close, drop_deadline=st.drop_deadline,
        drop_deadline_passed=deadline_passed, first_month_paid=st.first_month_paid, month1_due=st.month1_due,
        enrolled_units=st.enrolled_units, max_units=st.max_units, viewer=viewer,
        recommended=tuple(sorted(recommended, key=order)), irregular=tuple(sorted(irregular, key=order)),
        enrolled=tuple(sorted(enrolled_by_subject.values(), key=lambda e: e.code)),
        timetable=tuple(sorted(st.meetings, key=lambda m: (m.day, m.start, m.subject_code))))


def preview_meetings(term_enrollment_id, offering_id=None) -> tuple[list[Meeting], list[Meeting]]:
    """The student's enrolled meetings this term and, when given, a candidate offering's
    meetings (the picker's preview marks clashes before anything is submitted)."""
    te_id = check_id(term_enrollment_id, "term_enrollment_id", "term enrollment")
    enrolled = load_meetings(ScheduleSlot.offering_id.in_(_enrolled_offering_ids(te_id)))
    if offering_id is None or any(m.offering_id == offering_id for m in enrolled):
        return enrolled, []
    off_id = check_id(offering_id, "offering_id", "section")
    candidate = load_meetings(ScheduleSlot.offering_id == off_id)
    return enrolled, candidate
