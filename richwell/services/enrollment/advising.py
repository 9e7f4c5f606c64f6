"""Advising for the subject picker: the subjects a student should take this term (regular,
back subjects, retakes), the others offered as irregular, every one with its sections and what
stands in the way — the same checks as enrolling, read in a bounded number of statements."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, select, union_all

from richwell.extensions import db
from richwell.models import (
    DAYS,
    Offering,
    Role,
    Section,
    Semester,
    Subject,
    SubjectEnrollment,
    SubjectEnrollmentStatus,
    TermEnrollmentStatus,
    User,
    subject_prerequisites,
)
from richwell.services.academics import NOT_TAKEN
from richwell.services.platform.clock import today
from richwell.services.platform.errors import NotFound

from .queries import load_history, load_meetings, standing_for_advising
from .rules import (
    NO_ENROLLMENT,
    PASSED_OR_CREDITED,
    RETAKE_AFTER,
    SEMESTER_ORDER,
    STILL_OPEN,
    Attempt,
    Meeting,
    PrerequisiteRef,
    RawId,
    Refusal,
    Standing,
    SubjectFacts,
    acting_role,
    check_id,
    check_schedule,
    date_label,
    is_irregular,
    may_read,
    professor_name,
    section_full,
    subject_refusals,
)


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
    """A subject the student is enrolled in this term, with whether it may be dropped now."""

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

    @property
    def days(self) -> tuple[str, ...]:
        """The weekdays its sections meet ('Mon', 'Wed'), for the picker's day filter."""
        return tuple(DAYS[d] for d in sorted({m.day for s in self.sections for m in s.meetings}))


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


def _order(choice: SubjectChoice) -> tuple[int, int, int, str]:
    return (CATEGORY_ORDER[choice.category], choice.year_level, SEMESTER_ORDER.get(choice.semester, 0), choice.code)


def _year_sem(year_level: int, semester: str) -> str:
    return f"Year {year_level}, {Semester(semester).label}"


# --- what advising reads -----------------------------------------------------------------

def _curriculum(st: Standing) -> dict[int, SubjectFacts]:
    """Two statements: the program's subjects (by code) and their prerequisite links."""
    subjects = db.session.execute(
        select(Subject.id, Subject.code, Subject.title, Subject.units, Subject.year_level, Subject.semester)
        .where(Subject.program_id == st.program_id).order_by(Subject.code)).all()
    links = db.session.execute(
        select(subject_prerequisites.c.subject_id, subject_prerequisites.c.prerequisite_id)
        .join(Subject, Subject.id == subject_prerequisites.c.subject_id)
        .where(Subject.program_id == st.program_id)).all()
    names = {row.id: (row.code, row.title) for row in subjects}
    prereqs: dict[int, list[int]] = {}
    for link in links:
        prereqs.setdefault(link.subject_id, []).append(link.prerequisite_id)
    facts: dict[int, SubjectFacts] = {}
    for row in subjects:
        refs = sorted((PrerequisiteRef(pid, *names.get(pid, ("?", "?"))) for pid in prereqs.get(row.id, [])),
                      key=lambda p: p.code)
        facts[row.id] = SubjectFacts(row.id, st.program_id, row.code, row.title, row.units, row.year_level,
                                     row.semester, tuple(refs))
    return facts


@dataclass(frozen=True)
class _Offer:
    """A section offering a subject this term, as read for advising."""

    offering_id: int
    subject_id: int
    capacity: int
    enrolled_count: int
    section_id: int
    section_code: str
    professor: str


@dataclass(frozen=True)
class _TermOffers:
    by_subject: dict[int, list[_Offer]]  # by section code
    by_id: dict[int, _Offer]
    meetings: dict[int, list[Meeting]]  # by offering


def _term_offers(st: Standing) -> _TermOffers:
    """Two statements: this term's offerings of the program's subjects (and of anything the
    student is enrolled in), and their meetings."""
    # One IN over a union rather than an OR: the planner estimates it well and walks indexes.
    in_scope: ColumnElement[bool] = Offering.subject_id.in_(union_all(
        select(Subject.id).where(Subject.program_id == st.program_id),
        select(SubjectEnrollment.subject_id).where(
            SubjectEnrollment.term_enrollment_id == st.term_enrollment_id,
            SubjectEnrollment.status == SubjectEnrollmentStatus.ENROLLED.value)))
    rows = db.session.execute(
        select(Offering.id, Offering.subject_id, Offering.capacity, Offering.enrolled_count,
               Section.id.label("section_id"), Section.code.label("section_code"), User.first_name, User.last_name)
        .join(Section, Section.id == Offering.section_id)
        .outerjoin(User, User.id == Offering.professor_id)
        .where(Section.term_id == st.term_id, in_scope)
        .order_by(Section.code)).all()
    offers = [_Offer(offering_id=r.id, subject_id=r.subject_id, capacity=r.capacity, enrolled_count=r.enrolled_count,
                     section_id=r.section_id, section_code=r.section_code,
                     professor=professor_name(r.first_name, r.last_name)) for r in rows]
    by_subject: dict[int, list[_Offer]] = {}
    for offer in offers:
        by_subject.setdefault(offer.subject_id, []).append(offer)
    meetings: dict[int, list[Meeting]] = {}
    for meeting in load_meetings(and_(Section.term_id == st.term_id, in_scope)):
        meetings.setdefault(meeting.offering_id, []).append(meeting)
    return _TermOffers(by_subject=by_subject, by_id={o.offering_id: o for o in offers}, meetings=meetings)


# --- the advice ----------------------------------------------------------------------------

class _Advisor:
    """Advising one term enrollment for one viewer, from what was read."""

    def __init__(self, st: Standing, viewer: str, facts: dict[int, SubjectFacts], offers: _TermOffers,
                 today_: date) -> None:
        self.st, self.viewer, self.facts, self.offers, self.today = st, viewer, facts, offers, today_
        self.staff = viewer != Role.STUDENT.value
        self.deadline_passed = today_ > st.drop_deadline
        # The latest failed or dropped attempt of an earlier term, per subject.
        self.retakes = {a.subject_id: a for a in st.history
                        if a.status in RETAKE_AFTER and a.term_enrollment_id != st.term_enrollment_id}
        attempts = {a.offering_id: a for a in st.history
                    if a.term_enrollment_id == st.term_enrollment_id
                    and a.status == SubjectEnrollmentStatus.ENROLLED.value}
        st.meetings = [m for off_id in attempts if off_id is not None for m in offers.meetings.get(off_id, [])]
        self.enrolled = {a.subject_id: self._enrolled_subject(a) for a in attempts.values()}
        self.results = st.results(facts.keys())
        self.prior = st.results(facts.keys(), earlier_terms_only=True)
        self.here = (st.year_level, SEMESTER_ORDER.get(st.term_semester, 0))

    def _drop_refusal(self) -> str | None:
        """Why this viewer cannot drop an enrolled subject now (None when they can)."""
        if self.viewer == Role.ADMIN.value:
            return "Drops are made by the student or the registrar."
        if not self.staff and self.deadline_passed:
            return f"The drop deadline was {date_label(self.st.drop_deadline)}; ask the registrar."
        return None

    def _enrolled_subject(self, attempt: Attempt) -> EnrolledSubject:
        """A subject enrolled this term, with its section, week and whether it may be dropped."""
        subject = self.facts.get(attempt.subject_id)
        offer = self.offers.by_id.get(attempt.offering_id) if attempt.offering_id is not None else None
        meetings = self.offers.meetings.get(attempt.offering_id, []) if attempt.offering_id is not None else []
        refusal = self._drop_refusal()
        return EnrolledSubject(
            subject_enrollment_id=attempt.subject_enrollment_id, subject_id=attempt.subject_id,
            code=subject.code if subject else "?", title=subject.title if subject else "?",
            units=subject.units if subject else 0, section_id=offer.section_id if offer else None,
            section_code=attempt.section_code, offering_id=attempt.offering_id,
            professor=offer.professor if offer else "TBA", meetings=tuple(meetings),
            is_retake=attempt.subject_id in self.retakes,
            is_irregular=is_irregular(self.st, subject) if subject else False,
            can_drop=refusal is None, drop_refusal=refusal)

    def _reason(self, subject: SubjectFacts, *, regular: bool, back: bool) -> str:
        """The reason line: why the subject is listed."""
        where = _year_sem(subject.year_level, subject.semester)
        last = self.retakes.get(subject.id)
        if last is not None:
            verb = "failed" if last.status == SubjectEnrollmentStatus.FAILED.value else "dropped"
            return f"Retake: {verb} in {last.term_name}."
        if regular:
            return f"{where} subject of your curriculum."
        if back:
            return f"Back subject from {where}, not yet taken."
        return f"{where} subject, outside your year level and semester."

    def _is_back(self, subject: SubjectFacts) -> bool:
        """A subject of an earlier year level or semester, never taken (a retake is not a back subject)."""
        if subject.id in self.retakes or self.prior[subject.id] != NOT_TAKEN:
            return False
        return (subject.year_level, SEMESTER_ORDER.get(subject.semester, 0)) < self.here

    def _section(self, subject: SubjectFacts, offer: _Offer, refusals: list[Refusal]) -> SectionChoice:
        """A section with checks 6 (seats) and 7 (schedule); `can_override` when every refusal
        standing in the way is one this viewer may set aside."""
        meetings = self.offers.meetings.get(offer.offering_id, [])
        own: list[Refusal] = []
        if offer.enrolled_count >= offer.capacity:
            own.append(section_full(subject, offer.section_code, offer.capacity, offer.enrolled_count))
        clash = check_schedule(self.st, subject, meetings)
        if clash:
            own.append(clash)
        blocking = [*refusals, *own]
        return SectionChoice(
            section_id=offer.section_id, offering_id=offer.offering_id, section_code=offer.section_code,
            professor=offer.professor, meetings=tuple(meetings), capacity=offer.capacity,
            enrolled_count=offer.enrolled_count, refusals=tuple(own), can_enroll=not blocking,
            can_override=bool(blocking) and all(r.override == self.viewer for r in blocking))

    def _listed(self, subject: SubjectFacts) -> bool:
        """Done subjects, and subjects whose earlier attempt is still open, are not offered for picking."""
        if subject.id in self.enrolled:
            return True
        return self.results[subject.id] not in PASSED_OR_CREDITED and self.prior[subject.id] not in STILL_OPEN

    def choice(self, subject: SubjectFacts) -> SubjectChoice | None:
        """The subject's card, or None when it is not listed at all."""
        if not self._listed(subject):
            return None
        enrolled = self.enrolled.get(subject.id)
        offered = bool(self.offers.by_subject.get(subject.id))
        regular = subject.year_level == self.st.year_level and subject.semester == self.st.term_semester
        retake, back = subject.id in self.retakes, self._is_back(subject)
        refusals = subject_refusals(self.st, subject, staff=self.staff, today=self.today)
        prereqs_met = all(r.code != "prerequisite" for r in refusals)
        reason = self._reason(subject, regular=regular, back=back)
        if regular or ((retake or back) and prereqs_met and offered):
            category = "retake" if retake else ("regular" if regular else "back")
        elif offered or enrolled:
            category = "irregular"
            if (retake or back) and not prereqs_met:
                reason = reason.rstrip(".") + "; its prerequisites are not met yet."
        else:
            return None
        return SubjectChoice(
            subject_id=subject.id, code=subject.code, title=subject.title, units=subject.units,
            year_level=subject.year_level, semester=subject.semester, category=category, reason=reason,
            is_retake=retake, is_irregular=is_irregular(self.st, subject),
            refusals=tuple(r for r in refusals if r.code != "already_enrolled"),
            sections=tuple(self._section(subject, o, refusals) for o in self.offers.by_subject.get(subject.id, [])),
            enrolled=enrolled)


def advise(term_enrollment_id: RawId, actor: User, *, subject_ids: Iterable[Any] | None = None) -> Advice:
    """Advising for a term enrollment: recommended subjects (the program's subjects for the
    student's year level and the term's semester, plus back subjects and retakes whose
    prerequisites are met), each with a reason line, then the other offered subjects as
    irregular; every subject with its sections this term, `can_enroll` and the reasons it
    cannot — the same checks as `enroll_in_subject`, for the actor's role. A student is advised
    on their own enrollment only; registrars and administrators on any. A bounded number of
    statements however many subjects and sections exist. `subject_ids` narrows the lists (one
    picker card)."""
    te_id = check_id(term_enrollment_id, "term_enrollment_id", "term enrollment")
    found = standing_for_advising(te_id)
    if found is None:
        raise NotFound(NO_ENROLLMENT)
    st, person = found
    if not may_read(actor, st.student_user_id):
        raise NotFound(NO_ENROLLMENT)
    load_history(st)
    facts = _curriculum(st)
    today_ = today()
    advisor = _Advisor(st, acting_role(actor), facts, _term_offers(st), today_)
    wanted = None if subject_ids is None else {int(s) for s in subject_ids}
    choices = [advisor.choice(subject) for sid, subject in facts.items() if wanted is None or sid in wanted]
    listed = sorted((c for c in choices if c is not None), key=_order)
    return Advice(
        term_enrollment_id=st.term_enrollment_id, student_id=st.student_id, student_number=st.student_number,
        student_name=person.name, program_code=person.program_code, year_level=st.year_level, term_id=st.term_id,
        term_name=st.term_name, semester=st.term_semester, status=st.status, window_open=st.window_open(today_),
        enrollment_open=st.enrollment_open, enrollment_close=st.enrollment_close, drop_deadline=st.drop_deadline,
        drop_deadline_passed=advisor.deadline_passed, first_month_paid=st.first_month_paid,
        month1_due=st.month1_due, enrolled_units=st.enrolled_units, max_units=st.max_units, viewer=advisor.viewer,
        recommended=tuple(c for c in listed if c.category != "irregular"),
        irregular=tuple(c for c in listed if c.category == "irregular"),
        enrolled=tuple(sorted(advisor.enrolled.values(), key=lambda e: e.code)),
        timetable=tuple(sorted(st.meetings, key=lambda m: (m.day, m.start, m.subject_code))))
