"""Demo academics: BSIT and BSBA four-year curricula, the previous and the current term,
block sections for every year level with professors and clash-free schedules.

Idempotent: whatever already exists is left as it is. The current term's dates are
computed around today so its enrollment window is open on the day the seed runs.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from richwell.extensions import db
from richwell.models import Offering, Program, Role, Section, Subject, Term, User
from richwell.services import academics
from richwell.services.platform import accounts, clock

PROGRAMS = [("BSIT", "Bachelor of Science in Information Technology"),
            ("BSBA", "Bachelor of Science in Business Administration major in Marketing Management")]

# (year, semester, code, title, units, major, prerequisite codes): CHED-style curricula.
GE_FIRST_YEAR = [
    (1, "FIRST", "GE101", "Understanding the Self", 3, False, ()),
    (1, "FIRST", "GE104", "Mathematics in the Modern World", 3, False, ()),
    (1, "FIRST", "GE105", "Purposive Communication", 3, False, ()),
    (1, "FIRST", "FIL1", "Kontekstwalisadong Komunikasyon sa Filipino", 3, False, ()),
    (1, "FIRST", "PE1", "PATHFit 1: Movement Competency Training", 2, False, ()),
    (1, "FIRST", "NSTP1", "National Service Training Program 1", 3, False, ()),
    (1, "SECOND", "GE102", "Readings in Philippine History", 3, False, ()),
    (1, "SECOND", "GE103", "The Contemporary World", 3, False, ()),
    (1, "SECOND", "PE2", "PATHFit 2: Exercise-based Fitness Activities", 2, False, ("PE1",)),
    (1, "SECOND", "NSTP2", "National Service Training Program 2", 3, False, ("NSTP1",)),
    (2, "FIRST", "GE106", "Art Appreciation", 3, False, ()),
    (2, "FIRST", "GE107", "Science, Technology and Society", 3, False, ()),
    (2, "FIRST", "FIL2", "Filipino sa Iba't Ibang Disiplina", 3, False, ("FIL1",)),
    (2, "FIRST", "PE3", "PATHFit 3: Dance", 2, False, ("PE2",)),
    (2, "SECOND", "GE108", "Ethics", 3, False, ()),
    (2, "SECOND", "PE4", "PATHFit 4: Sports", 2, False, ("PE3",)),
    (3, "FIRST", "GE109", "Life and Works of Rizal", 3, False, ()),
]

BSIT = GE_FIRST_YEAR + [
    (1, "FIRST", "IT101", "Introduction to Computing", 3, True, ()),
    (1, "FIRST", "IT102", "Computer Programming 1", 3, True, ()),
    (1, "SECOND", "IT103", "Computer Programming 2", 3, True, ("IT102",)),
    (1, "SECOND", "IT104", "Discrete Mathematics", 3, True, ("GE104",)),
    (1, "SECOND", "IT105", "Introduction to Human Computer Interaction", 3, True, ("IT101",)),
    (2, "FIRST", "IT201", "Data Structures and Algorithms", 3, True, ("IT103",)),
    (2, "FIRST", "IT202", "Object-Oriented Programming", 3, True, ("IT103",)),
    (2, "FIRST", "IT203", "Platform Technologies", 3, True, ("IT101",)),
    (2, "SECOND", "IT204", "Information Management", 3, True, ("IT201",)),
    (2, "SECOND", "IT205", "Networking 1", 3, True, ("IT203",)),
    (2, "SECOND", "IT206", "Quantitative Methods", 3, True, ("IT104",)),
    (2, "SECOND", "IT207", "Web Systems and Technologies", 3, True, ("IT202",)),
    (2, "SECOND", "IT208", "Integrative Programming and Technologies", 3, True, ("IT202",)),
    (3, "FIRST", "GEE1", "Living in the IT Era", 3, False, ()),
    (3, "FIRST", "IT301", "Advanced Database Systems", 3, True, ("IT204",)),
    (3, "FIRST", "IT302", "Networking 2", 3, True, ("IT205",)),
    (3, "FIRST", "IT303", "Systems Integration and Architecture", 3, True, ("IT208",)),
    (3, "FIRST", "IT304", "Information Assurance and Security 1", 3, True, ("IT205",)),
    (3, "FIRST", "IT305", "Application Development and Emerging Technologies", 3, True, ("IT207",)),
    (3, "SECOND", "GEE2", "The Entrepreneurial Mind", 3, False, ()),
    (3, "SECOND", "IT306", "Information Assurance and Security 2", 3, True, ("IT304",)),
    (3, "SECOND", "IT307", "Systems Analysis and Design", 3, True, ("IT301",)),
    (3, "SECOND", "IT308", "Mobile Application Development", 3, True, ("IT305",)),
    (3, "SECOND", "IT309", "Social and Professional Issues", 3, True, ("GE108",)),
    (3, "SECOND", "IT310", "Capstone Project and Research 1", 3, True, ("IT301",)),
    (4, "FIRST", "GEE3", "Gender and Society", 3, False, ()),
    (4, "FIRST", "IT401", "Capstone Project and Research 2", 3, True, ("IT310",)),
    (4, "FIRST", "IT402", "Systems Administration and Maintenance", 3, True, ("IT302",)),
    (4, "FIRST", "IT403", "IT Elective: Data Analytics", 3, True, ("IT206",)),
    (4, "FIRST", "IT404", "IT Elective: Game Development", 3, True, ("IT308",)),
    (4, "FIRST", "IT405", "Seminars and Field Trips in IT", 2, True, ()),
    (4, "SECOND", "IT406", "Practicum (486 hours)", 6, True, ("IT401",)),
]

BSBA = GE_FIRST_YEAR + [
    (1, "FIRST", "BA101", "Basic Microeconomics", 3, True, ()),
    (1, "FIRST", "ACC101", "Financial Accounting and Reporting", 3, True, ()),
    (1, "SECOND", "BA102", "Obligations and Contracts", 3, True, ()),
    (1, "SECOND", "ACC102", "Managerial Accounting", 3, True, ("ACC101",)),
    (1, "SECOND", "BA103", "Human Resource Management", 3, True, ()),
    (2, "FIRST", "MM201", "Marketing Management", 3, True, ("BA101",)),
    (2, "FIRST", "BA201", "Operations Management and TQM", 3, True, ("BA101",)),
    (2, "FIRST", "BA202", "Quantitative Techniques in Business", 3, True, ("GE104",)),
    (2, "SECOND", "MM202", "Professional Salesmanship", 3, True, ("MM201",)),
    (2, "SECOND", "MM203", "Distribution Management", 3, True, ("MM201",)),
    (2, "SECOND", "BA203", "Income Taxation", 3, True, ("ACC101",)),
    (2, "SECOND", "BA204", "Good Governance and Social Responsibility", 3, True, ()),
    (3, "FIRST", "GEE1", "The Entrepreneurial Mind", 3, False, ()),
    (3, "FIRST", "MM301", "Product Management", 3, True, ("MM202",)),
    (3, "FIRST", "MM302", "Retail Management", 3, True, ("MM203",)),
    (3, "FIRST", "BA301", "International Business and Trade", 3, True, ("BA201",)),
    (3, "FIRST", "BA302", "Business Research", 3, True, ("BA202",)),
    (3, "SECOND", "GEE2", "Living in the IT Era", 3, False, ()),
    (3, "SECOND", "MM303", "Advertising", 3, True, ("MM301",)),
    (3, "SECOND", "MM304", "Marketing Research", 3, True, ("BA302",)),
    (3, "SECOND", "MM305", "Pricing Strategy", 3, True, ("MM301",)),
    (3, "SECOND", "BA303", "Strategic Management", 3, True, ("BA201",)),
    (4, "FIRST", "GEE3", "Philippine Popular Culture", 3, False, ()),
    (4, "FIRST", "MM401", "Services Marketing", 3, True, ("MM303",)),
    (4, "FIRST", "MM402", "E-Commerce and Internet Marketing", 3, True, ("MM304",)),
    (4, "FIRST", "BA401", "Feasibility Study", 3, True, ("BA302",)),
    (4, "FIRST", "BA402", "Seminar in Marketing", 2, True, ()),
    (4, "SECOND", "BA403", "Practicum (600 hours)", 6, True, ("BA401",)),
]
CURRICULA = {"BSIT": BSIT, "BSBA": BSBA}

# Professors and what they teach. prof.santos comes from the staff seed.
PROFESSORS = [
    ("prof.santos@richwell.edu.ph", "Pedro", "Santos", "IT"),
    ("prof.garcia@richwell.edu.ph", "Maria", "Garcia", "IT"),
    ("prof.ramos@richwell.edu.ph", "Jose", "Ramos", "IT"),
    ("prof.aquino@richwell.edu.ph", "Liza", "Aquino", "BA"),
    ("prof.torres@richwell.edu.ph", "Ramon", "Torres", "BA"),
    ("prof.navarro@richwell.edu.ph", "Grace", "Navarro", "GE"),
    ("prof.cruz@richwell.edu.ph", "Manuel", "Cruz", "GE"),
    ("prof.lim@richwell.edu.ph", "Teresa", "Lim", "GE"),
    ("prof.pascual@richwell.edu.ph", "Rogelio", "Pascual", "PE"),
]
ROOMS = ["CL 1", "CL 2", "CL 3", "RM 101", "RM 102", "RM 103", "RM 104", "RM 201", "RM 202", "RM 203", "RM 204"]

# A class meets twice a week in one of these pairs of days, in one of these periods:
# two classes clash exactly when they share a (pair, period).
DAY_PAIRS = [(0, 2), (1, 3), (4, 5)]  # Mon/Wed, Tue/Thu, Fri/Sat
PERIODS = [(time(7, 30), time(9, 0)), (time(9, 0), time(10, 30)), (time(10, 30), time(12, 0)),
           (time(13, 0), time(14, 30)), (time(14, 30), time(16, 0)), (time(16, 0), time(17, 30)),
           (time(17, 30), time(19, 0))]
BLOCKS = [(p, q) for q in range(len(PERIODS)) for p in range(len(DAY_PAIRS))]
SECTIONS_PER_YEAR = {1: 2, 2: 1, 3: 1, 4: 1}
UNIT_CAP_TARGET = 36

CURRENT = ("2026-2027", "FIRST")
PREVIOUS = ("2025-2026", "SECOND")


def seed(password: str, *, keep_passwords: bool = False) -> list[tuple[str, str]]:
    professors = _professors(password)
    programs = {code: _program(code, name) for code, name in PROGRAMS}
    for code, program in programs.items():
        _curriculum(program, CURRICULA[code])
    term = _terms()
    _schedules(term, programs, professors)
    return [(Role.PROFESSOR.label, "prof.garcia@richwell.edu.ph")]


def _professors(password: str) -> dict[str, list[User]]:
    pools: dict[str, list[User]] = {}
    for email, first, last, area in PROFESSORS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = accounts.create_user(email=email, first_name=first, last_name=last,
                                        role=Role.PROFESSOR, password=password)
        pools.setdefault(area, []).append(user)
    return pools


def _program(code: str, name: str) -> Program:
    program = db.session.scalar(select(Program).where(Program.code == code))
    return program or academics.create_program(None, code=code, name=name, years=4)


def _curriculum(program: Program, rows) -> None:
    existing = {s.code: s for s in db.session.scalars(select(Subject).where(Subject.program_id == program.id))}
    for year, semester, code, title, units, major, _ in rows:
        if code not in existing:
            existing[code] = academics.create_subject(None, program.id, code=code, title=title, units=units,
                                                       is_major=major, year_level=year, semester=semester)
    for _, _, code, _, _, _, prereqs in rows:
        subject = existing[code]
        have = {p.code for p in subject.prerequisites}
        for prereq in prereqs:
            if prereq not in have:
                academics.link_prerequisite(None, subject.id, existing[prereq].id)


def _terms() -> Term:
    today = clock.today()
    start = today - timedelta(days=14)
    end_previous = start - timedelta(days=10)
    start_previous = end_previous - timedelta(days=140)
    previous = _term(*PREVIOUS)
    if previous is None:
        academics.create_term(None, academic_year=PREVIOUS[0], semester=PREVIOUS[1],
                          start_date=start_previous, end_date=end_previous,
                          enrollment_open=start_previous, enrollment_close=start_previous + timedelta(days=21),
                          drop_deadline=start_previous + timedelta(days=35),
                          grade_deadline=end_previous - timedelta(days=3))
    term = _term(*CURRENT)
    if term is None:
        term = academics.create_term(None, academic_year=CURRENT[0], semester=CURRENT[1],
                                 make_current=academics.current_term() is None,
                                 start_date=start, end_date=today + timedelta(days=140),
                                 enrollment_open=today - timedelta(days=7),
                                 enrollment_close=today + timedelta(days=30),
                                 drop_deadline=today + timedelta(days=45),
                                 grade_deadline=today + timedelta(days=130))
    if academics.current_term() is None:
        academics.switch_current_term(None, term.id, reason="Demo data: the current term.")
    return term


def _term(academic_year: str, semester: str) -> Term | None:
    return db.session.scalar(select(Term).where(Term.academic_year == academic_year, Term.semester == semester))


@dataclass
class _Timetable:
    """Who and what is busy in which block, across every section of the term."""
    professor_busy: set
    room_busy: set
    load: dict


def _schedules(term: Term, programs: dict[str, Program], pools: dict[str, list[User]]) -> None:
    table = _Timetable(set(), set(), {})
    for code, program in programs.items():
        if db.session.scalar(select(Section.id).where(Section.term_id == term.id, Section.program_id == program.id)):
            continue  # already scheduled by an earlier run
        sections = []
        for year, count in SECTIONS_PER_YEAR.items():
            sections += academics.create_block_sections(None, term_id=term.id, program_id=program.id,
                                                         year_level=year, count=count, capacity=40)
        _place(table, code, sections, pools)


def _place(table: _Timetable, program_code: str, sections: list[Section], pools) -> None:
    """Give every class a professor, a room and a block, with no professor or room used
    twice in a block. First the "open path": the first block section of year 1 and
    every class without prerequisites in the older years, each in a block of its own,
    so one student can take 36+ units of them without a clash."""
    ids = [s.id for s in sections]
    offerings = list(db.session.scalars(
        select(Offering).where(Offering.section_id.in_(ids)).order_by(Offering.section_id, Offering.id)
        .options(selectinload(Offering.subject).selectinload(Subject.prerequisites))))
    first_section = sections[0]

    def on_path(o: Offering) -> bool:
        section = next(s for s in sections if s.id == o.section_id)
        return o.section_id == first_section.id or (section.year_level > 1 and not o.subject.prerequisites)

    path_blocks: set = set()
    section_blocks: dict[int, set] = {s.id: set() for s in sections}
    path_units = 0
    for phase in (True, False):
        for offering in (o for o in offerings if on_path(o) is phase):
            pool = _pool(program_code, offering.subject)
            order = BLOCKS[ids.index(offering.section_id) * 4 % len(BLOCKS):] + \
                BLOCKS[:ids.index(offering.section_id) * 4 % len(BLOCKS)]
            for block in order:
                if block in section_blocks[offering.section_id] or (phase and block in path_blocks):
                    continue
                free = [p for p in pools[pool] if (p.id, block) not in table.professor_busy]
                rooms = [r for r in _rooms_for(offering.subject) if (r, block) not in table.room_busy]
                if free and rooms:
                    professor = min(free, key=lambda p: table.load.get(p.id, 0))
                    _book(table, offering, block, professor, rooms[0])
                    section_blocks[offering.section_id].add(block)
                    if phase:
                        path_blocks.add(block)
                        path_units += offering.subject.units
                    break
            else:
                raise RuntimeError(f"seed: no free block for {offering.subject.code} in section {offering.section_id}")
    if path_units < UNIT_CAP_TARGET:
        raise RuntimeError(f"seed: only {path_units} clash-free units without prerequisites in {program_code}")


def _pool(program_code: str, subject: Subject) -> str:
    if subject.code.startswith(("PE", "NSTP")):
        return "PE"
    if not subject.is_major:
        return "GE"
    return "IT" if program_code == "BSIT" else "BA"


def _rooms_for(subject: Subject) -> list[str]:
    # Computing subjects prefer the computer laboratories.
    if subject.code.startswith("IT"):
        return ROOMS
    return ROOMS[3:] + ROOMS[:3]


def _book(table: _Timetable, offering: Offering, block: tuple[int, int], professor: User, room: str) -> None:
    pair, period = block
    academics.assign_professor(None, offering.id, professor.id)
    for day in DAY_PAIRS[pair]:
        academics.add_slot(None, offering.id, day=day, start_time=PERIODS[period][0],
                            end_time=PERIODS[period][1], room=room)
    table.professor_busy.add((professor.id, block))
    table.room_busy.add((room, block))
    table.load[professor.id] = table.load.get(professor.id, 0) + 1
