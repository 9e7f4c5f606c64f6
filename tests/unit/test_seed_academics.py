"""The academics demo seed: curricula, terms and clash-free block sections, idempotent."""
from itertools import combinations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from richwell.extensions import db
from richwell.models import AuditEntry, Offering, Program, ScheduleSlot, Section, Subject, Term
from richwell.seed import academics, staff
from richwell.services.academics import conflicts
from richwell.services.platform import clock


def counts():
    return tuple(db.session.scalar(select(func.count(m.id))) for m in
                 (Program, Subject, Term, Section, Offering, ScheduleSlot, AuditEntry))


def test_the_seed_builds_two_curricula_two_terms_and_clash_free_sections_once():
    staff.seed("demo-pass-1")
    academics.seed("demo-pass-1")
    first = counts()
    academics.seed("demo-pass-1")
    assert counts() == first  # running twice changes nothing

    current = db.session.scalar(select(Term).where(Term.is_current.is_(True)))
    assert current.name == "1st semester 2026-2027"
    assert current.enrollment_window_open(clock.today())
    previous = db.session.scalar(select(Term).where(Term.semester == "SECOND"))
    assert (previous.academic_year, previous.is_current) == ("2025-2026", False)

    codes = set(db.session.scalars(select(Section.code)))
    for program in ("BSIT", "BSBA"):
        assert {f"{program}-1A", f"{program}-1B", f"{program}-2A", f"{program}-3A", f"{program}-4A"} <= codes
    assert conflicts.find_schedule_conflicts() == []
    assert db.session.scalar(select(func.count(Offering.id)).where(Offering.professor_id.is_(None))) == 0


def test_a_student_can_reach_36_units_without_prerequisites_or_clashes():
    staff.seed("demo-pass-1")
    academics.seed("demo-pass-1")
    for program in db.session.scalars(select(Program)):
        offerings = db.session.scalars(
            select(Offering).join(Offering.section).join(Offering.subject)
            .where(Section.program_id == program.id).order_by(Section.code, Subject.code)
            .options(selectinload(Offering.slots), selectinload(Offering.subject).selectinload(Subject.prerequisites))
        ).all()
        chosen, subjects = [], set()
        for offering in offerings:
            if offering.subject.prerequisites or offering.subject_id in subjects:
                continue
            if all(not a.overlaps(b) for o in chosen for a in o.slots for b in offering.slots):
                chosen.append(offering)
                subjects.add(offering.subject_id)
        units = sum(o.subject.units for o in chosen)
        assert units >= 36, (program.code, units)
        for a, b in combinations([s for o in chosen for s in o.slots], 2):
            assert not a.overlaps(b)
