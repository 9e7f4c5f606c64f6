"""Sections, block sections, classes, schedule slots and conflicts."""
import threading

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import (
    AuditEntry,
    Notification,
    Offering,
    Role,
    ScheduleConflict,
    ScheduleSlot,
    Section,
    SubjectEnrollment,
)
from richwell.services import academics
from richwell.services.academics import conflicts
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, ValidationError
from richwell.tasks import nightly_schedule_conflict_check
from tests.factories import (
    hm,
    make_enrollment,
    make_offering,
    make_program,
    make_section,
    make_slot,
    make_student,
    make_subject,
    make_term,
    make_user,
)


def slot_count() -> int:
    return db.session.scalar(select(func.count(ScheduleSlot.id)))


@pytest.fixture
def setting():
    """A current term, BSIT with a section, a registrar and a professor."""
    term = make_term()
    program = make_program("BSIT")
    section = make_section(term, program, code="BSIT-1A")
    registrar = make_user(Role.REGISTRAR)
    professor = make_user(Role.PROFESSOR, first_name="Maria", last_name="Garcia")
    return term, program, section, registrar, professor


# ---------------------------------------------------------------- sections

def test_block_sections_offer_every_subject_of_the_year_and_the_terms_semester():
    term = make_term(semester="FIRST")
    program = make_program("BSIT")
    wanted = [make_subject(program, c) for c in ("GE101", "IT101", "IT102")]
    make_subject(program, "IT103", semester="SECOND")
    make_subject(program, "IT201", year_level=2)
    sections = academics.create_block_sections(None, term_id=term.id, program_id=program.id, year_level="1",
                                                count="2", capacity="35")
    assert [s.code for s in sections] == ["BSIT-1A", "BSIT-1B"]
    for section in sections:
        assert sorted(o.subject_id for o in section.offerings) == sorted(s.id for s in wanted)
        assert {(o.capacity, o.professor_id) for o in section.offerings} == {(35, None)}
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "section.block_create")) == 2


def test_block_sections_continue_the_lettering():
    term, program = make_term(), make_program("BSBA")
    make_subject(program, "BA101")
    academics.create_section(None, term_id=term.id, program_id=program.id, year_level=1)
    made = academics.create_block_sections(None, term_id=term.id, program_id=program.id, year_level=1, count=2)
    assert [s.code for s in made] == ["BSBA-1B", "BSBA-1C"]


@pytest.mark.parametrize("overrides,field", [
    ({"year_level": "2"}, "year_level"),   # no year 2 subjects this semester
    ({"year_level": "9"}, "year_level"),
    ({"count": "0"}, "count"), ({"count": "11"}, "count"), ({"count": "many"}, "count"),
    ({"capacity": "0"}, "capacity"), ({"capacity": "501"}, "capacity"), ({"capacity": "-5"}, "capacity"),
    ({"program_id": "999"}, "program_id"), ({"term_id": "x"}, "term_id"),
])
def test_block_sections_bad_input_is_refused_at_the_field(overrides, field):
    term, program = make_term(), make_program("BSIT")
    make_subject(program, "IT101")
    values = dict(term_id=term.id, program_id=program.id, year_level="1", count="1", capacity="40")
    values.update(overrides)
    with pytest.raises(ValidationError) as caught:
        academics.create_block_sections(None, **values)
    assert field in caught.value.fields
    assert db.session.scalar(select(func.count(Section.id))) == 0


def test_a_section_code_is_unique_in_the_term(setting):
    term, program, section, *_ = setting
    with pytest.raises(Conflict) as caught:
        academics.create_section(None, term_id=term.id, program_id=program.id, year_level=1, code="bsit-1a")
    assert "code" in caught.value.fields
    other = make_term(current=False, academic_year="2027-2028")
    assert academics.create_section(None, term_id=other.id, program_id=program.id, year_level=1,
                                     code="BSIT-1A").code == "BSIT-1A"


def test_class_seats_follow_the_section_capacity(setting):
    _, program, section, *_ = setting
    offering = academics.add_offering(None, section.id, make_subject(program, "IT101").id)
    assert offering.capacity == 40
    academics.update_section_capacity(None, section.id, "45")
    db.session.refresh(offering)
    assert (section.capacity, offering.capacity) == (45, 45)


def test_capacity_can_never_go_below_the_students_enrolled(setting):
    _, program, section, *_ = setting
    offering = make_offering(section, make_subject(program, "IT101"), enrolled=35)
    with pytest.raises(ValidationError) as caught:
        academics.update_section_capacity(None, section.id, 30)
    assert caught.value.fields["capacity"] == [
        "IT101 already has 35 students enrolled; the capacity cannot go below 35."]
    db.session.refresh(offering)
    assert (section.capacity, offering.capacity) == (40, 40)
    academics.update_section_capacity(None, section.id, 35)
    assert offering.capacity == 35


def test_a_class_offers_a_subject_of_the_sections_program_once(setting):
    _, program, section, *_ = setting
    subject = make_subject(program, "IT101")
    academics.add_offering(None, section.id, subject.id)
    with pytest.raises(Conflict):
        academics.add_offering(None, section.id, subject.id)
    with pytest.raises(ValidationError) as caught:
        academics.add_offering(None, section.id, make_subject(make_program("BSBA"), "BA101").id)
    assert "subject_id" in caught.value.fields


def test_a_class_with_students_cannot_be_removed(setting):
    term, program, section, *_ = setting
    subject = make_subject(program, "IT101")
    offering = make_offering(section, subject)
    enrollment = make_enrollment(make_student(program=program), term)
    db.session.add(SubjectEnrollment(term_enrollment_id=enrollment.id, subject_id=subject.id,
                                     offering_id=offering.id, status="DROPPED"))
    db.session.commit()
    with pytest.raises(DomainError):
        academics.remove_offering(None, offering.id)
    empty = make_offering(section, make_subject(program, "IT102"))
    academics.remove_offering(None, empty.id)
    assert db.session.get(Offering, empty.id) is None


# ---------------------------------------------------------------- slots

def test_a_slot_is_placed_with_day_times_and_room(setting):
    _, program, section, registrar, professor = setting
    offering = make_offering(section, make_subject(program, "IT101"), professor)
    result = academics.add_slot(registrar, offering.id, day="0", start_time="07:30", end_time="09:00",
                                 room=" rm  201 ")
    slot = result.slot
    assert (slot.day, slot.start_time, slot.end_time, slot.room, slot.override_reason) == \
        (0, hm("07:30"), hm("09:00"), "RM 201", None)
    assert result.warnings == []
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_type == "ScheduleSlot")) == \
        "schedule.slot_add"


@pytest.mark.parametrize("start,end", [("10:00", "09:00"), ("10:00", "10:00")])
def test_a_slot_ending_before_it_starts_is_refused(setting, start, end):
    _, program, section, registrar, _ = setting
    offering = make_offering(section, make_subject(program))
    with pytest.raises(ValidationError) as caught:
        academics.add_slot(registrar, offering.id, day=1, start_time=start, end_time=end)
    assert caught.value.fields == {"end_time": ["The class must end after it starts."]}
    assert slot_count() == 0


@pytest.mark.parametrize("values,field", [
    ({"day": "7"}, "day"), ({"day": "-1"}, "day"), ({"day": "Monday"}, "day"), ({"day": ""}, "day"),
    ({"start_time": ""}, "start_time"), ({"start_time": "25:00"}, "start_time"), ({"start_time": "9am"}, "start_time"),
    ({"end_time": "12:60"}, "end_time"), ({"room": "R" * 41}, "room"), ({"room": "<script>"}, "room"),
])
def test_slot_bad_input_is_refused_at_the_field(setting, values, field):
    _, program, section, registrar, _ = setting
    offering = make_offering(section, make_subject(program))
    raw = dict(day="0", start_time="08:00", end_time="09:30", room="RM 1")
    raw.update(values)
    with pytest.raises(ValidationError) as caught:
        academics.add_slot(registrar, offering.id, **raw)
    assert field in caught.value.fields
    assert slot_count() == 0


def test_a_professor_overlap_is_refused_without_an_override_reason(setting):
    term, program, section, registrar, professor = setting
    first = make_offering(section, make_subject(program, "IT101"), professor)
    make_slot(first, day=0, start="08:00", end="09:30", room="RM 1")
    other_section = make_section(term, program, code="BSIT-1B")
    second = make_offering(other_section, make_subject(program, "IT102"), professor)
    with pytest.raises(DomainError) as caught:
        academics.add_slot(registrar, second.id, day=0, start_time="09:00", end_time="10:30", room="RM 2")
    error = caught.value
    assert error.code == "professor_conflict"
    assert "Maria Garcia already teaches IT101 in BSIT-1A on Mon 8:00 AM–9:30 AM." in \
        error.fields["override_reason"][0]
    assert slot_count() == 1


def test_a_registrar_overrides_a_professor_overlap_with_a_written_reason(setting):
    term, program, section, registrar, professor = setting
    make_slot(make_offering(section, make_subject(program, "IT101"), professor), day=0, start="08:00", end="09:30")
    second = make_offering(make_section(term, program, code="BSIT-1B"), make_subject(program, "IT102"), professor)
    reason = "Combined lecture of both blocks in the AVR."
    result = academics.add_slot(registrar, second.id, day=0, start_time="08:00", end_time="09:30",
                                 override_reason=reason)
    assert result.slot.override_reason == reason
    assert len(result.overridden) == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "schedule.override"))
    assert (entry.actor_id, entry.reason) == (registrar.id, reason)


@pytest.mark.parametrize("reason", ["ok", "   short  "])
def test_an_override_reason_must_be_a_sentence(setting, reason):
    term, program, section, registrar, professor = setting
    make_slot(make_offering(section, make_subject(program), professor), day=0, start="08:00", end="09:30")
    second = make_offering(section, make_subject(program), professor)
    with pytest.raises(ValidationError) as caught:
        academics.add_slot(registrar, second.id, day=0, start_time="08:00", end_time="09:30", override_reason=reason)
    assert "override_reason" in caught.value.fields
    assert slot_count() == 1


def test_only_a_registrar_may_override_a_professor_conflict(setting):
    term, program, section, _, professor = setting
    make_slot(make_offering(section, make_subject(program), professor), day=0, start="08:00", end="09:30")
    second = make_offering(section, make_subject(program), professor)
    for actor in (None, make_user(Role.ADMIN)):
        with pytest.raises(Forbidden):
            academics.add_slot(actor, second.id, day=0, start_time="08:00", end_time="09:30",
                                override_reason="Because the admin says so.")
    assert slot_count() == 1


def test_back_to_back_classes_do_not_overlap(setting):
    _, program, section, registrar, professor = setting
    make_slot(make_offering(section, make_subject(program), professor), day=2, start="09:00", end="10:30")
    second = make_offering(section, make_subject(program), professor)
    result = academics.add_slot(registrar, second.id, day=2, start_time="10:30", end_time="12:00")
    assert result.warnings == [] and result.overridden == []


def test_the_same_professor_in_another_term_is_no_conflict(setting):
    term, program, section, registrar, professor = setting
    make_slot(make_offering(section, make_subject(program), professor), day=0, start="08:00", end="09:30")
    later = make_section(make_term(current=False, academic_year="2027-2028"), program)
    offering = make_offering(later, make_subject(program), professor)
    assert academics.add_slot(registrar, offering.id, day=0, start_time="08:00", end_time="09:30").overridden == []


def test_a_room_double_booking_is_a_warning_not_a_refusal(setting):
    term, program, section, registrar, _ = setting
    make_slot(make_offering(section, make_subject(program, "IT101")), day=3, start="13:00", end="14:30", room="RM 201")
    other = make_offering(make_section(term, program, code="BSIT-1B"), make_subject(program, "IT102"))
    result = academics.add_slot(registrar, other.id, day=3, start_time="14:00", end_time="15:00", room="rm 201")
    assert result.slot.id is not None and slot_count() == 2
    assert result.warnings == [
        "Room RM 201 is also booked for IT101 in BSIT-1A on Thu 1:00 PM–2:30 PM (double-booked)."]


def test_two_classes_of_one_section_at_once_is_a_warning(setting):
    _, program, section, registrar, _ = setting
    make_slot(make_offering(section, make_subject(program, "IT101")), day=1, start="08:00", end="09:30")
    other = make_offering(section, make_subject(program, "IT102"))
    result = academics.add_slot(registrar, other.id, day=1, start_time="08:30", end_time="10:00")
    assert result.warnings and "BSIT-1A already has IT101" in result.warnings[0]


def test_assigning_a_busy_professor_is_refused_unless_overridden(setting):
    term, program, section, registrar, professor = setting
    make_slot(make_offering(section, make_subject(program, "IT101"), professor), day=0, start="08:00", end="09:30")
    tba = make_offering(make_section(term, program, code="BSIT-1B"), make_subject(program, "IT102"))
    slot = make_slot(tba, day=0, start="09:00", end="10:00")
    with pytest.raises(DomainError) as caught:
        academics.assign_professor(registrar, tba.id, professor.id)
    assert caught.value.code == "professor_conflict"
    db.session.refresh(tba)
    assert tba.professor_id is None
    academics.assign_professor(registrar, tba.id, str(professor.id), override_reason="Team teaching this term.")
    db.session.refresh(slot)
    assert (tba.professor_id, slot.override_reason) == (professor.id, "Team teaching this term.")


def test_only_an_active_professor_can_be_assigned(setting):
    _, program, section, registrar, _ = setting
    offering = make_offering(section, make_subject(program))
    for who in (make_user(Role.CASHIER), make_user(Role.PROFESSOR, active=False)):
        with pytest.raises(ValidationError) as caught:
            academics.assign_professor(registrar, offering.id, who.id)
        assert "professor_id" in caught.value.fields
    with pytest.raises(ValidationError):
        academics.assign_professor(registrar, offering.id, "abc")


def test_a_class_can_go_back_to_tba(setting):
    _, program, section, registrar, professor = setting
    offering = make_offering(section, make_subject(program), professor)
    academics.assign_professor(registrar, offering.id, "")
    assert offering.professor_id is None


# ---------------------------------------------------------------- grids

def test_grids_per_section_professor_and_room_mark_overlaps(setting):
    term, program, section, registrar, professor = setting
    a = make_offering(section, make_subject(program, "IT101"), professor)
    b = make_offering(make_section(term, program, code="BSIT-1B"), make_subject(program, "IT102"), professor)
    make_slot(a, day=0, start="08:00", end="09:30", room="RM 1")
    make_slot(b, day=0, start="09:00", end="10:00", room="RM 1")
    make_slot(b, day=2, start="09:00", end="10:00", room="RM 2")
    assert [(e.title, e.clash) for e in academics.section_entries(section.id)] == [("IT101", False)]
    mine = academics.professor_entries(term.id, professor.id)
    assert sorted((e.title, e.day, e.clash) for e in mine) == [
        ("IT101 · BSIT-1A", 0, True), ("IT102 · BSIT-1B", 0, True), ("IT102 · BSIT-1B", 2, False)]
    room = academics.room_entries(term.id, "rm 1")
    assert [e.clash for e in room] == [True, True]
    assert academics.rooms_in_term(term.id) == ["RM 1", "RM 2"]
    data = academics.section_schedule(section.id)
    (view,) = data.offerings
    assert view.slots[0].professor_clash and view.slots[0].room_clash and not view.slots[0].section_clash


# ---------------------------------------------------------------- the nightly check

def test_find_schedule_conflicts_finds_professor_room_and_section_overlaps(setting):
    term, program, section, registrar, professor = setting
    a = make_offering(section, make_subject(program, "IT101"), professor)
    b = make_offering(section, make_subject(program, "IT102"), professor)
    make_slot(a, day=4, start="08:00", end="09:30", room="RM 5")
    make_slot(b, day=4, start="09:00", end="10:00", room="RM 5")
    make_slot(b, day=5, start="09:00", end="10:00", room="RM 5")
    found = conflicts.find_schedule_conflicts()
    assert sorted(c.kind for c in found) == ["PROFESSOR", "ROOM", "SECTION"]
    prof = next(c for c in found if c.kind == "PROFESSOR")
    assert prof.description == ("Maria Garcia teaches IT101 in BSIT-1A (Fri 8:00 AM–9:30 AM) and IT102 in "
                                "BSIT-1A (Fri 9:00 AM–10:00 AM) at the same time.")


def test_the_nightly_check_run_twice_notifies_once(setting):
    term, program, section, registrar, professor = setting
    head = make_user(Role.HEAD_REGISTRAR)
    make_user(Role.REGISTRAR, active=False)
    make_user(Role.CASHIER)
    a = make_offering(section, make_subject(program, "IT101"), professor)
    b = make_offering(make_section(term, program, code="BSIT-1B"), make_subject(program, "IT102"), professor)
    make_slot(a, day=0, start="08:00", end="09:30")
    slot = make_slot(b, day=0, start="08:00", end="09:30")
    slot.override_reason = "Overridden earlier."
    db.session.commit()

    first = nightly_schedule_conflict_check.call_local()
    second = nightly_schedule_conflict_check.call_local()
    assert first == {"open": 1, "new": 1, "resolved": 0}
    assert second == {"open": 1, "new": 0, "resolved": 0}
    notes = db.session.scalars(select(Notification)).all()
    assert sorted(n.user_id for n in notes) == sorted([registrar.id, head.id])
    assert all(n.kind == "schedule_conflict" and "Maria Garcia teaches IT101" in n.message for n in notes)
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "schedule.conflict_check", AuditEntry.actor_id.is_(None))) == 1


def test_a_resolved_conflict_is_closed_and_reported_again_if_it_returns(setting):
    term, program, section, registrar, professor = setting
    a = make_offering(section, make_subject(program, "IT101"))
    b = make_offering(section, make_subject(program, "IT102"))
    make_slot(a, day=0, start="08:00", end="09:30", room="RM 1")
    slot = make_slot(b, day=0, start="08:00", end="09:30", room="RM 1")
    academics.notify_schedule_conflicts()
    slot.room = "RM 2"
    slot.day = 1
    db.session.commit()
    assert academics.notify_schedule_conflicts().resolved == 2  # the room and the section overlap
    assert db.session.scalar(select(func.count(ScheduleConflict.id)).where(
        ScheduleConflict.resolved_at.is_(None))) == 0
    slot.room, slot.day = "RM 1", 0
    db.session.commit()
    assert academics.notify_schedule_conflicts().new == 2
    assert db.session.scalar(select(func.count(Notification.id))) == 4


def test_terms_already_ended_are_not_checked(setting):
    term, program, section, registrar, professor = setting
    a = make_offering(section, make_subject(program), professor)
    make_slot(a, day=0, start="08:00", end="09:30")
    make_slot(make_offering(section, make_subject(program), professor), day=0, start="08:00", end="09:30")
    from datetime import timedelta

    term.end_date = term.start_date + timedelta(days=1)
    term.enrollment_close = term.drop_deadline = term.grade_deadline = term.end_date
    db.session.commit()
    assert academics.notify_schedule_conflicts().open == 0


@pytest.mark.postgres
def test_two_registrars_cannot_double_book_a_professor_at_the_same_moment(app, setting):
    term, program, section, registrar, professor = setting
    first = make_offering(section, make_subject(program), professor)
    second = make_offering(make_section(term, program, code="BSIT-1B"), make_subject(program), professor)
    barrier = threading.Barrier(2)
    outcomes = []

    def place(offering_id):
        with app.app_context():
            barrier.wait()
            try:
                academics.add_slot(None, offering_id, day=0, start_time="08:00", end_time="09:30")
                outcomes.append("placed")
            except DomainError as error:
                outcomes.append(error.code)

    threads = [threading.Thread(target=place, args=(o.id,)) for o in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["placed", "professor_conflict"]
    assert slot_count() == 1
