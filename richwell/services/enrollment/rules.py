"""The rules of subject enrollment (DOMAIN.md), with no database: who may act and read, the
seven checks in order (window, month 1, not taken, prerequisites, unit cap, seats, schedule),
the overrides and who may give them, and the facts the checks read."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from typing import SupportsInt

from richwell.models import DAYS, Role, SubjectEnrollmentStatus, TermEnrollmentStatus, User
from richwell.services.academics import CREDITED, MET, UnmetPrerequisite, fold_results
from richwell.services.platform import wording
from richwell.services.platform.errors import ValidationError
from richwell.services.platform.limits import MAX_ID
from richwell.services.platform.text import check_text

# The acting "role" when no user acts: seed scripts and background jobs.
SYSTEM = "system"
# A registrar and the head registrar act alike on enrollments (`acting_role` folds them).
REGISTRAR = Role.REGISTRAR.value
REGISTRARS = {Role.REGISTRAR.value, Role.HEAD_REGISTRAR.value}
# Who may add subjects: the student, a registrar, an admin (the month-1 override page), or the system.
ENROLLERS = {Role.STUDENT.value, REGISTRAR, Role.ADMIN.value, SYSTEM}
# Who may drop them: the student before the deadline, a registrar any time with a reason.
DROPPERS = {Role.STUDENT.value, REGISTRAR, SYSTEM}
# Staff who read any student's enrollment (advising, previews, the COR).
READERS = REGISTRARS | {Role.ADMIN.value}
REASON_MAX = 500
SEMESTER_ORDER = {"FIRST": 1, "SECOND": 2, "SUMMER": 3}
PASSED_OR_CREDITED = {SubjectEnrollmentStatus.PASSED.value, CREDITED}
RETAKE_AFTER = {SubjectEnrollmentStatus.FAILED.value, SubjectEnrollmentStatus.DROPPED.value}
# An earlier attempt whose result is still open: completed or graded, never taken again.
STILL_OPEN = {SubjectEnrollmentStatus.INC.value, SubjectEnrollmentStatus.ENROLLED.value}
# Who may override what (DOMAIN.md): capacity and conflicts the registrar, month 1 the admin.
OVERRIDABLE_BY = {"section_full": REGISTRAR, "schedule_conflict": REGISTRAR, "first_month_unpaid": Role.ADMIN.value}
# One sentence for "not there, or not yours" (no existence leak).
NO_ENROLLMENT = "That enrollment does not exist."

# An id as it arrives from a form, a URL or a caller.
RawId = str | SupportsInt | None


# --- who acts, and what they may see ---------------------------------------------------

def acting_role(actor: User | None) -> str:
    """The role the rules see: a head registrar acts as a registrar; no user is the system."""
    if actor is None:
        return SYSTEM
    if actor.role in REGISTRARS:
        return REGISTRAR
    return actor.role


def may_act_on(actor: User | None, student_user_id: int) -> bool:
    """A student acts only on their own enrollment; staff (their role checked first) and the
    system on any."""
    return actor is None or actor.role != Role.STUDENT.value or actor.id == student_user_id


def may_read(actor: User, student_user_id: int) -> bool:
    """A student reads only their own enrollment; registrars and administrators read any; for
    anyone else it does not exist."""
    if actor.role == Role.STUDENT.value:
        return actor.id == student_user_id
    return actor.role in READERS


# --- input -------------------------------------------------------------------------------

def check_id(value: RawId, field_name: str, label: str) -> int:
    """An id from a form or URL as a positive 32-bit integer, else a ValidationError at its field
    (anything outside a 32-bit key cannot exist, and must not reach PostgreSQL)."""
    try:
        number = int(value) if value is not None and not isinstance(value, bool) else 0
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= MAX_ID:
        raise ValidationError(f"Choose a {label}.", field=field_name) from None
    return number


def check_reason(raw: str | None, field_name: str) -> str | None:
    """A written reason (override or drop), trimmed; None when empty; at most REASON_MAX characters."""
    text = (raw or "").strip()
    if not text:
        return None
    check_text(text, field_name, "The reason")
    if len(text) > REASON_MAX:
        raise ValidationError(f"Keep the reason under {REASON_MAX} characters.", field=field_name)
    return text


# --- how the school writes things ------------------------------------------------------

def _clock(value: time) -> str:
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def hours_label(start: time, end: time) -> str:
    """'8:00 AM–9:30 AM': how the school writes a class's hours."""
    return f"{_clock(start)}–{_clock(end)}"


def date_label(value: date) -> str:
    """'Jun 01, 2026'."""
    return value.strftime("%b %d, %Y")


def pesos(amount: Decimal) -> str:
    """'₱ 1,234.50' (the one money format, with a non-breaking space)."""
    return wording.peso(amount)


def professor_name(first: str | None, last: str | None) -> str:
    """The professor as printed on schedules; TBA until one is assigned."""
    return f"{first} {last}" if last else "TBA"


def person_name(first: str | None, middle: str | None, last: str | None) -> str:
    """First, middle and last name, skipping the empty ones."""
    return " ".join(p for p in (first, middle, last) if p)


# --- the facts the checks read ---------------------------------------------------------

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
class Attempt:
    """One subject enrollment of the student, in any term."""

    subject_id: int
    status: str
    subject_enrollment_id: int
    term_enrollment_id: int
    offering_id: int | None
    term_name: str
    section_code: str | None


@dataclass
class PrerequisiteRef:
    """A prerequisite as its sentences name it."""

    id: int
    code: str
    title: str


@dataclass(frozen=True)
class SubjectFacts:
    """A subject of the curriculum as the checks see it."""

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


@dataclass
class Standing:
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
    history: list[Attempt] = field(default_factory=list)  # oldest attempt first
    credited: list[int] = field(default_factory=list)  # subjects of accepted transfer credits
    meetings: list[Meeting] = field(default_factory=list)  # the enrolled classes' week

    @property
    def first_month_paid(self) -> bool:
        return (self.month1_required is not None and self.month1_paid is not None
                and self.month1_paid >= self.month1_required)

    @property
    def month1_due(self) -> Decimal:
        if self.month1_required is None:
            return Decimal("0.00")
        return max(self.month1_required - (self.month1_paid or Decimal("0.00")), Decimal("0.00"))

    def window_open(self, today: date) -> bool:
        return self.enrollment_open <= today <= self.enrollment_close

    def results(self, subject_ids: Iterable[int], *, earlier_terms_only: bool = False) -> dict[int, str]:
        """The latest result per subject (the last attempt wins; a credit wins over any attempt)."""
        rows = [(a.subject_id, a.status) for a in self.history
                if not (earlier_terms_only and a.term_enrollment_id == self.term_enrollment_id)]
        results: dict[int, str] = fold_results(subject_ids, rows, self.credited)
        return results

    def current_attempt(self, subject_id: int) -> Attempt | None:
        """The ENROLLED attempt at a subject in this term enrollment, if any."""
        for attempt in self.history:
            if (attempt.term_enrollment_id == self.term_enrollment_id and attempt.subject_id == subject_id
                    and attempt.status == SubjectEnrollmentStatus.ENROLLED.value):
                return attempt
        return None

    def last_attempt(self, subject_id: int) -> Attempt | None:
        """The latest attempt at a subject in an earlier term."""
        found = None
        for attempt in self.history:
            if attempt.subject_id == subject_id and attempt.term_enrollment_id != self.term_enrollment_id:
                found = attempt
        return found


# --- the checks, in DOMAIN.md order; each returns a Refusal or None -------------------

def check_open(st: Standing, subject: SubjectFacts, *, staff: bool, today: date) -> Refusal | None:
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
                                 f"on {date_label(st.enrollment_open)}.")
        if today > st.enrollment_close:
            return Refusal(code, f"{subject.code} cannot be added: enrollment for {st.term_name} closed on "
                                 f"{date_label(st.enrollment_close)}. Ask the registrar.")
    return None


def check_first_month(st: Standing, subject: SubjectFacts) -> Refusal | None:
    """2. The first month is fully paid (a hard block only an admin overrides)."""
    if st.first_month_paid:
        return None
    return Refusal("first_month_unpaid",
                   f"{subject.code} cannot be added until the first month is paid: "
                   f"{pesos(st.month1_due)} is still due for month 1.")


def check_not_taken(st: Standing, subject: SubjectFacts) -> Refusal | None:
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


def check_prerequisites(st: Standing, subject: SubjectFacts) -> Refusal | None:
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


def check_units(st: Standing, subject: SubjectFacts) -> Refusal | None:
    """5. Enrolled units + the subject's units stay within `max_units` (nobody overrides)."""
    total = st.enrolled_units + subject.units
    if total <= st.max_units:
        return None
    return Refusal("unit_cap", f"{subject.name} ({subject.units} units) would bring the total to {total} units; "
                               f"the limit is {st.max_units} units per term ({st.enrolled_units} enrolled).")


def section_full(subject: SubjectFacts, section_code: str, capacity: int, taken: int) -> Refusal:
    """6. The section still has a seat (the registrar may override with a reason)."""
    return Refusal("section_full", f"Section {section_code} is full for {subject.code} "
                                   f"({taken} of {capacity} seats taken).")


def check_schedule(st: Standing, subject: SubjectFacts, candidate: list[Meeting]) -> Refusal | None:
    """7. No overlap with the student's other classes this term (the registrar may override)."""
    clashes = [(mine, theirs) for mine in candidate for theirs in st.meetings
               if theirs.subject_id != subject.id and mine.overlaps(theirs)]
    if not clashes:
        return None
    mine, theirs = clashes[0]
    more = f" (and {len(clashes) - 1} more)" if len(clashes) > 1 else ""
    return Refusal("schedule_conflict", f"{mine.label} clashes with {theirs.label}{more}.")


# Checks 3-5 read the student's history; enrolling runs them after the first two.
HISTORY_CHECKS = (check_not_taken, check_prerequisites, check_units)


def subject_refusals(st: Standing, subject: SubjectFacts, *, staff: bool, today: date) -> list[Refusal]:
    """Checks 1–5, in order, every one that fails (pages list them all; enrolling stops at the first)."""
    checks = (
        check_open(st, subject, staff=staff, today=today),
        check_first_month(st, subject),
        *(check(st, subject) for check in HISTORY_CHECKS),
    )
    return [r for r in checks if r is not None]


def is_irregular(st: Standing, subject: SubjectFacts) -> bool:
    """Taken outside the student's year level and the term's semester."""
    return subject.year_level != st.year_level or subject.semester != st.term_semester


def is_retake(st: Standing, subject: SubjectFacts) -> bool:
    """Taken again after failing or dropping it in an earlier term."""
    prior = st.results([subject.id], earlier_terms_only=True)[subject.id]
    return prior in RETAKE_AFTER
