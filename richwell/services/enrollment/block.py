"""The student's block section and "enroll in my block": every subject the block section
offers this term, each added under the same rules as adding it by hand, each in its own unit of
work so one full or clashing subject does not stop the others."""
from __future__ import annotations

from dataclasses import dataclass

from richwell.models import User
from richwell.services.platform.errors import DomainError
from richwell.services.platform.unit_of_work import discard, in_unit_of_work

from .adding import enroll_in_subject
from .advising import Advice, SectionChoice, SubjectChoice, advise
from .rules import RawId


@dataclass(frozen=True)
class BlockSubject:
    """One subject of the block section, as the picker lists it."""

    choice: SubjectChoice
    section: SectionChoice

    @property
    def enrolled_here(self) -> bool:
        return self.choice.enrolled is not None and self.choice.enrolled.section_id == self.section.section_id


@dataclass(frozen=True)
class BlockSection:
    """The student's block: the section of their program that offers the most of this term's
    regular subjects (their year level and the term's semester)."""

    section_id: int
    section_code: str
    subjects: tuple[BlockSubject, ...]

    @property
    def to_enroll(self) -> tuple[BlockSubject, ...]:
        """Subjects of the block not yet taken this term (in any section)."""
        return tuple(s for s in self.subjects if s.choice.enrolled is None)


def block_section(advice: Advice) -> BlockSection | None:
    """The block section of an advised enrollment, or None when no section offers any of the
    student's regular subjects this term. Ties go to the section the student already takes
    subjects in, then to the one with more seats left, then to the first code (BSIT-1A)."""
    choices = advice.recommended + advice.irregular
    regular = [c for c in choices if c.category == "regular"]
    coverage: dict[int, int] = {}
    codes: dict[int, str] = {}
    seats: dict[int, int] = {}
    taken_in: dict[int, int] = {}
    for choice in regular:
        for s in choice.sections:
            coverage[s.section_id] = coverage.get(s.section_id, 0) + 1
            codes[s.section_id] = s.section_code
            seats[s.section_id] = seats.get(s.section_id, 0) + s.seats_left
    for e in advice.enrolled:
        if e.section_id is not None:
            taken_in[e.section_id] = taken_in.get(e.section_id, 0) + 1
    if not coverage:
        return None
    best = min(coverage, key=lambda sid: (-coverage[sid], -taken_in.get(sid, 0), -seats[sid], codes[sid]))
    subjects = tuple(BlockSubject(choice=c, section=s) for c in sorted(choices, key=lambda c: c.code)
                     for s in c.sections if s.section_id == best)
    return BlockSection(section_id=best, section_code=codes[best], subjects=subjects)


@dataclass(frozen=True)
class BlockOutcome:
    """What happened to one subject of the block."""

    subject_id: int
    code: str
    title: str
    enrolled: bool
    message: str
    refusal_code: str | None = None


@dataclass(frozen=True)
class BlockResult:
    """The answer to "enroll in my block": what was enrolled and what was refused, and why."""

    term_enrollment_id: int
    section_code: str
    enrolled: tuple[BlockOutcome, ...]
    refused: tuple[BlockOutcome, ...]
    already: tuple[BlockOutcome, ...]


class NoBlockSection(DomainError):
    code = "no_block_section"


def enroll_in_block(term_enrollment_id: RawId, actor: User) -> BlockResult:
    """Enroll in every subject of the student's block section not yet taken this term, each
    through `enroll_in_subject` (the same checks, locks and audit) in its own unit of work: a
    subject refused (full, clashing, prerequisites, unit cap) is reported with its reason and the
    rest still enroll. No overrides are applied. Must be called outside a unit of work, since each
    subject commits on its own."""
    if in_unit_of_work():
        raise RuntimeError("enroll_in_block commits subject by subject: call it outside a unit of work")
    advice = advise(term_enrollment_id, actor)
    block = block_section(advice)
    discard()  # the read above ends here; each subject below is its own transaction
    if block is None:
        raise NoBlockSection("No block section of your program and year level offers subjects this term.")
    enrolled: list[BlockOutcome] = []
    refused: list[BlockOutcome] = []
    already = [BlockOutcome(s.choice.subject_id, s.choice.code, s.choice.title, enrolled=True,
                            message=f"Already enrolled (section {s.choice.enrolled.section_code or 'TBA'}).")
               for s in block.subjects if s.choice.enrolled is not None]
    for item in block.to_enroll:
        choice = item.choice
        try:
            result = enroll_in_subject(advice.term_enrollment_id, choice.subject_id, block.section_id, actor)
        except DomainError as error:
            refused.append(BlockOutcome(choice.subject_id, choice.code, choice.title, enrolled=False,
                                        message=error.message, refusal_code=error.code))
            continue
        enrolled.append(BlockOutcome(choice.subject_id, choice.code, choice.title, enrolled=True,
                                     message=f"Enrolled in section {result.section_code}."))
    return BlockResult(term_enrollment_id=advice.term_enrollment_id, section_code=block.section_code,
                       enrolled=tuple(enrolled), refused=tuple(refused), already=tuple(already))
