"""Schedule conflicts: the slot queries the checks share, every overlapping pair in a term, and
the nightly check that notifies the registrars of each new conflict once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, contains_eager

from richwell.extensions import db
from richwell.models import Offering, Role, ScheduleConflict, ScheduleSlot, Section, Term, User
from richwell.services.platform import audit, clock, notifications
from richwell.services.platform.unit_of_work import unit_of_work

from .meetings import PROFESSOR, ROOM, SECTION, describe_slot, professor_name

CONFLICTS_LINK = "/registrar/schedules/conflicts"


def slot_query() -> Select[ScheduleSlot]:
    """Slots with their offering, section, subject and professor, in one statement."""
    return (select(ScheduleSlot)
            .join(ScheduleSlot.offering).join(Offering.section)
            .options(contains_eager(ScheduleSlot.offering).contains_eager(Offering.section),
                     contains_eager(ScheduleSlot.offering).joinedload(Offering.subject),
                     contains_eager(ScheduleSlot.offering).joinedload(Offering.professor)))


def professor_slots(term_id: int, professor_id: int) -> list[ScheduleSlot]:
    """Every weekly meeting a professor teaches in a term."""
    return list(db.session.scalars(slot_query().where(
        Section.term_id == term_id, Offering.professor_id == professor_id)).unique())


@dataclass(frozen=True)
class FoundConflict:
    """Two overlapping slots of one term, of one kind (professor, room or section)."""

    kind: str
    term_id: int
    slot_a_id: int
    slot_b_id: int
    description: str

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.kind, self.slot_a_id, self.slot_b_id)


@dataclass(frozen=True)
class _Pair:
    """Two overlapping slots of one term (a before b by id)."""
    term_id: int
    slot_a_id: int
    slot_b_id: int


def _conflict_pairs(kind: str, term_ids: list[int]) -> list[_Pair]:
    """Every pair of overlapping slots of one kind in these terms, in one self-join."""
    a, b = aliased(ScheduleSlot), aliased(ScheduleSlot)
    oa, ob = aliased(Offering), aliased(Offering)
    sa, sb = aliased(Section), aliased(Section)
    query = (select(sa.term_id.label("term_id"), a.id.label("slot_a_id"), b.id.label("slot_b_id"))
             .join(oa, oa.id == a.offering_id).join(sa, sa.id == oa.section_id)
             .join(b, and_(b.day == a.day, b.id > a.id, b.start_time < a.end_time, a.start_time < b.end_time))
             .join(ob, ob.id == b.offering_id).join(sb, sb.id == ob.section_id)
             .where(sa.term_id.in_(term_ids), sb.term_id == sa.term_id))
    if kind == PROFESSOR:
        query = query.where(oa.professor_id.is_not(None), oa.professor_id == ob.professor_id, oa.id != ob.id)
    elif kind == ROOM:
        query = query.where(a.room.is_not(None), a.room == b.room, oa.id != ob.id)
    else:
        query = query.where(oa.section_id == ob.section_id)
    return [_Pair(row.term_id, row.slot_a_id, row.slot_b_id) for row in db.session.execute(query)]


def _where(slot: ScheduleSlot) -> str:
    return f"{slot.offering.subject.code} in {slot.offering.section.code} ({describe_slot(slot)})"


def _describe_conflict(kind: str, a: ScheduleSlot, b: ScheduleSlot) -> str:
    if kind == PROFESSOR:
        return f"{professor_name(a.offering)} teaches {_where(a)} and {_where(b)} at the same time."
    if kind == ROOM:
        return f"Room {a.room} is double-booked: {_where(a)} and {_where(b)}."
    return (f"{a.offering.section.code} has {a.offering.subject.code} ({describe_slot(a)}) and "
            f"{b.offering.subject.code} ({describe_slot(b)}) at the same time.")


def find_schedule_conflicts(term_ids: list[int] | None = None) -> list[FoundConflict]:
    """Every overlapping pair of slots in the given terms (default: the current term):
    one professor in two places, a room booked twice, or a section's two classes at once.
    Overridden conflicts are included: they are still conflicts."""
    if term_ids is None:
        term_ids = list(db.session.scalars(select(Term.id).where(Term.is_current.is_(True))))
    if not term_ids:
        return []
    pairs = {kind: _conflict_pairs(kind, term_ids) for kind in (PROFESSOR, ROOM, SECTION)}
    ids = {i for found in pairs.values() for pair in found for i in (pair.slot_a_id, pair.slot_b_id)}
    if not ids:
        return []
    slots = {s.id: s for s in db.session.scalars(slot_query().where(ScheduleSlot.id.in_(ids))).unique()}
    conflicts = [FoundConflict(kind, p.term_id, p.slot_a_id, p.slot_b_id,
                               _describe_conflict(kind, slots[p.slot_a_id], slots[p.slot_b_id]))
                 for kind, found in pairs.items() for p in found]
    return sorted(conflicts, key=lambda f: (f.term_id, f.kind, f.slot_a_id, f.slot_b_id))


def open_conflicts(term_id: int) -> list[FoundConflict]:
    """The term's conflicts as they stand now (the registrar's conflicts page)."""
    return find_schedule_conflicts([term_id])


# ---------------------------------------------------------------- the nightly check

@dataclass(frozen=True)
class ConflictCheck:
    """What a run of the nightly check found: open conflicts, new ones, resolved ones."""

    open: int
    new: int
    resolved: int


def notify_schedule_conflicts() -> ConflictCheck:
    """The nightly check: find conflicts in every term that has not ended, notify the
    registrars and head registrars of each new one exactly once, mark vanished ones
    resolved. Safe to run any number of times."""
    found: list[FoundConflict] = []
    try:
        with unit_of_work():
            term_ids = list(db.session.scalars(select(Term.id).where(Term.end_date >= clock.today())))
            found = find_schedule_conflicts(term_ids) if term_ids else []
            stamp = clock.now()
            fresh, resolved = _record_conflicts(term_ids, found, stamp)
            if fresh:
                _notify_registrars(term_ids, fresh)
            if fresh or resolved:
                audit.record(None, "schedule.conflict_check", target_type="ScheduleConflict",
                             after={"open": len(found), "new": len(fresh), "resolved": resolved})
    except IntegrityError:
        # Another run recorded the same conflicts a moment earlier; it notified for them.
        return ConflictCheck(len(found), 0, 0)
    return ConflictCheck(len(found), len(fresh), resolved)


def _record_conflicts(term_ids: list[int], found: list[FoundConflict],
                      stamp: datetime) -> tuple[list[FoundConflict], int]:
    """Store the conflicts not seen before (or seen, resolved and back again) and close the
    ones that vanished: the new ones to notify, and how many were resolved."""
    known = {(c.kind, c.slot_a_id, c.slot_b_id): c for c in db.session.scalars(
        select(ScheduleConflict).where(ScheduleConflict.term_id.in_(term_ids)))} if term_ids else {}
    fresh: list[FoundConflict] = []
    for conflict in found:
        row = known.get(conflict.key)
        if row is None:
            db.session.add(ScheduleConflict(term_id=conflict.term_id, kind=conflict.kind,
                                            slot_a_id=conflict.slot_a_id, slot_b_id=conflict.slot_b_id,
                                            description=conflict.description, first_found_at=stamp,
                                            notified_at=stamp))
            fresh.append(conflict)
        elif row.resolved_at is not None:
            row.resolved_at, row.notified_at, row.description = None, stamp, conflict.description
            fresh.append(conflict)
    keys = {c.key for c in found}
    resolved = 0
    for key, row in known.items():
        if key not in keys and row.resolved_at is None:
            row.resolved_at = stamp
            resolved += 1
    return fresh, resolved


def _notify_registrars(term_ids: list[int], fresh: list[FoundConflict]) -> None:
    """Every active registrar and head registrar hears of each new conflict."""
    registrars = db.session.scalars(select(User.id).where(
        User.role.in_([Role.REGISTRAR.value, Role.HEAD_REGISTRAR.value]),
        User.is_active_account.is_(True))).all()
    names = {t.id: t.name for t in db.session.scalars(select(Term).where(Term.id.in_(term_ids)))}
    for conflict in fresh:
        for user_id in registrars:
            notifications.notify(user_id, "schedule_conflict",
                                 f"Schedule conflict in {names[conflict.term_id]}: {conflict.description}",
                                 link=CONFLICTS_LINK)
