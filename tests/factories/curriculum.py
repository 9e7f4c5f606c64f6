"""Builders for subjects, sections, classes (offerings) and schedule slots."""
from __future__ import annotations

import itertools
from datetime import time

from richwell.extensions import db
from richwell.models import Offering, Program, ScheduleSlot, Section, Subject, Term, User, subject_prerequisites

__all__ = ["make_subject", "make_section", "make_offering", "make_slot", "hm"]

_seq = itertools.count(1)


def hm(text: str) -> time:
    """time from "HH:MM"."""
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def make_subject(program: Program, code: str | None = None, *, units: int = 3, year_level: int = 1,
                 semester: str = "FIRST", is_major: bool = True, title: str | None = None,
                 prerequisites: tuple[Subject, ...] = ()) -> Subject:
    n = next(_seq)
    subject = Subject(program_id=program.id, code=code or f"S{n:03d}", title=title or f"Subject {n}",
                      units=units, year_level=year_level, semester=semester, is_major=is_major)
    db.session.add(subject)
    db.session.flush()
    for prereq in prerequisites:
        db.session.execute(subject_prerequisites.insert().values(subject_id=subject.id, prerequisite_id=prereq.id))
    db.session.commit()
    return subject


def make_section(term: Term, program: Program, *, year_level: int = 1, code: str | None = None,
                 capacity: int = 40) -> Section:
    n = next(_seq)
    section = Section(term_id=term.id, program_id=program.id, year_level=year_level,
                      code=code or f"{program.code}-{year_level}{n}", capacity=capacity)
    db.session.add(section)
    db.session.commit()
    return section


def make_offering(section: Section, subject: Subject, professor: User | None = None,
                  capacity: int | None = None, enrolled: int = 0) -> Offering:
    offering = Offering(section_id=section.id, subject_id=subject.id,
                        professor_id=professor.id if professor else None,
                        capacity=capacity or section.capacity, enrolled_count=enrolled)
    db.session.add(offering)
    db.session.commit()
    return offering


def make_slot(offering: Offering, day: int = 0, start: str = "08:00", end: str = "09:30",
              room: str | None = None) -> ScheduleSlot:
    slot = ScheduleSlot(offering_id=offering.id, day=day, start_time=hm(start), end_time=hm(end), room=room)
    db.session.add(slot)
    db.session.commit()
    return slot
