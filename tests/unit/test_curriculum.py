"""Curriculum rules: programs, subjects (code, units, year, semester) and prerequisite links
that never form a cycle."""
import threading

import pytest
from sqlalchemy import func, select

from richwell.extensions import db
from richwell.models import AuditEntry, Program, Role, Subject, subject_prerequisites
from richwell.services.academics import programs as curriculum
from richwell.services.platform.errors import Conflict, DomainError, NotFound, ValidationError
from tests.factories import make_program, make_subject, make_user


def subject_count() -> int:
    return db.session.scalar(select(func.count(Subject.id)))


def link_count() -> int:
    return db.session.scalar(select(func.count()).select_from(subject_prerequisites))


def new_subject(program, **overrides):
    values = dict(code="IT101", title="Introduction to Computing", units="3", is_major=True,
                  year_level="1", semester="FIRST")
    values.update(overrides)
    return curriculum.create_subject(None, program.id, **values)


# ---------------------------------------------------------------- programs

def test_admin_creates_a_program_with_a_unique_code():
    admin = make_user(Role.ADMIN)
    program = curriculum.create_program(admin, code=" bsit ", name="Bachelor of Science in IT", years="4")
    assert (program.code, program.years, program.is_active) == ("BSIT", 4, True)
    with pytest.raises(Conflict) as caught:
        curriculum.create_program(admin, code="BSIT", name="Again", years=4)
    assert "BSIT" in caught.value.fields["code"][0]
    assert db.session.scalar(select(func.count(Program.id))) == 1
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.actor_id == admin.id)) == \
        "curriculum.program_create"


@pytest.mark.parametrize("field,values", [
    ("code", {"code": "", "name": "X", "years": 4}),
    ("code", {"code": "B$IT", "name": "X", "years": 4}),
    ("name", {"code": "BSX", "name": "  ", "years": 4}),
    ("years", {"code": "BSX", "name": "X", "years": "0"}),
    ("years", {"code": "BSX", "name": "X", "years": "6"}),
    ("years", {"code": "BSX", "name": "X", "years": "four"}),
])
def test_program_bad_input_is_refused_at_the_field(field, values):
    with pytest.raises(ValidationError) as caught:
        curriculum.create_program(None, **values)
    assert field in caught.value.fields
    assert db.session.scalar(select(func.count(Program.id))) == 0


def test_program_years_cannot_drop_below_a_year_that_has_subjects():
    program = make_program("BSIT")
    make_subject(program, "IT401", year_level=4)
    with pytest.raises(ValidationError) as caught:
        curriculum.update_program(None, program.id, name=program.name, years=3, is_active=True)
    assert "year 4" in caught.value.fields["years"][0]
    curriculum.update_program(None, program.id, name="Renamed", years=4, is_active=False)
    assert (program.name, program.is_active) == ("Renamed", False)


# ---------------------------------------------------------------- subjects

def test_subject_is_created_with_its_values_and_audited():
    program = make_program("BSIT")
    subject = new_subject(program, code=" it 101 ", units="3", is_major=False, year_level="2", semester="second")
    assert (subject.code, subject.units, subject.is_major, subject.year_level, subject.semester) == \
        ("IT 101", 3, False, 2, "SECOND")
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_type == "Subject")) == \
        "curriculum.subject_create"


@pytest.mark.parametrize("units", ["0", "-1", "7", "three", "", "2.5", "  ", "1e1", 0, -1, 7, True, None,
                                   "9" * 40])
def test_subject_units_must_be_a_whole_number_from_1_to_6(units):
    program = make_program()
    with pytest.raises(ValidationError) as caught:
        new_subject(program, units=units)
    assert caught.value.fields["units"] == ["Units must be a whole number from 1 to 6."]
    assert subject_count() == 0


@pytest.mark.parametrize("units", ["1", "6", 4, " 5 "])
def test_subject_units_1_to_6_are_accepted(units):
    assert new_subject(make_program(), units=units).units == int(str(units).strip())


def test_duplicate_subject_code_is_refused_within_the_program_only():
    bsit, bsba = make_program("BSIT"), make_program("BSBA")
    new_subject(bsit, code="GE101")
    with pytest.raises(Conflict) as caught:
        new_subject(bsit, code="ge101")
    assert caught.value.fields["code"] == ["BSIT already has a subject with the code GE101."]
    assert subject_count() == 1
    new_subject(bsba, code="GE101")  # the same code in another program is a different subject
    assert subject_count() == 2


def test_editing_a_subject_to_a_taken_code_is_refused():
    program = make_program("BSIT")
    new_subject(program, code="IT101")
    other = new_subject(program, code="IT102")
    with pytest.raises(Conflict) as caught:
        curriculum.update_subject(None, other.id, code="IT101", title="X", units=3, is_major=True,
                                  year_level=1, semester="FIRST")
    assert "code" in caught.value.fields
    db.session.refresh(other)
    assert other.code == "IT102"


@pytest.mark.parametrize("overrides,field", [
    ({"code": ""}, "code"), ({"code": "IT/101"}, "code"), ({"code": "X" * 21}, "code"),
    ({"title": ""}, "title"), ({"title": "T" * 201}, "title"),
    ({"year_level": "0"}, "year_level"), ({"year_level": "5"}, "year_level"), ({"year_level": "x"}, "year_level"),
    ({"semester": "THIRD"}, "semester"), ({"semester": ""}, "semester"),
])
def test_subject_bad_input_is_refused_at_its_field(overrides, field):
    program = make_program(years=4)
    with pytest.raises(ValidationError) as caught:
        new_subject(program, **overrides)
    assert field in caught.value.fields
    assert subject_count() == 0


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(ValidationError) as caught:
        new_subject(make_program(), code="", units="7", semester="?")
    assert set(caught.value.fields) == {"code", "units", "semester"}


# ---------------------------------------------------------------- prerequisites

def test_prerequisite_links_a_subject_of_the_same_program():
    program = make_program("BSIT")
    it102, it103 = make_subject(program, "IT102"), make_subject(program, "IT103")
    curriculum.link_prerequisite(None, it103.id, it102.id)
    assert [p.code for p in curriculum.get_subject(it103.id).prerequisites] == ["IT102"]
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action.like("curriculum.prereq%"))) == \
        "curriculum.prerequisite_link"


def test_prerequisite_from_another_program_is_refused():
    it101 = make_subject(make_program("BSIT"), "IT101")
    ba101 = make_subject(make_program("BSBA"), "BA101")
    with pytest.raises(ValidationError) as caught:
        curriculum.link_prerequisite(None, it101.id, ba101.id)
    assert caught.value.fields["prerequisite_id"] == [
        "BA101 belongs to BSBA; a prerequisite must be a subject of BSIT."]
    assert link_count() == 0


@pytest.mark.parametrize("raw", ["", "abc", None, "999999"])
def test_unknown_prerequisite_is_refused_at_the_field(raw):
    subject = make_subject(make_program())
    with pytest.raises(ValidationError) as caught:
        curriculum.link_prerequisite(None, subject.id, raw)
    assert "prerequisite_id" in caught.value.fields


def test_a_subject_cannot_require_itself():
    it101 = make_subject(make_program(), "IT101")
    with pytest.raises(DomainError) as caught:
        curriculum.link_prerequisite(None, it101.id, it101.id)
    assert "IT101 → IT101" in caught.value.message
    assert link_count() == 0


def test_a_link_that_closes_a_cycle_is_refused_naming_the_cycle():
    program = make_program("BSIT")
    it201 = make_subject(program, "IT201")
    it301 = make_subject(program, "IT301", prerequisites=(it201,))
    with pytest.raises(DomainError) as caught:
        curriculum.link_prerequisite(None, it201.id, it301.id)
    error = caught.value
    assert error.code == "prerequisite_cycle"
    assert error.fields["prerequisite_id"] == [
        "IT201 cannot require IT301: that would close the cycle IT201 → IT301 → IT201."]
    assert link_count() == 1


def test_cycle_detection_on_a_long_chain():
    program = make_program("LONG")
    chain = [make_subject(program, "C01")]
    for n in range(2, 51):
        chain.append(make_subject(program, f"C{n:02d}", prerequisites=(chain[-1],)))
    # C50 → C49 → … → C01 already; C01 requiring C50 closes a 50-subject cycle.
    with pytest.raises(DomainError) as caught:
        curriculum.link_prerequisite(None, chain[0].id, chain[-1].id)
    expected = " → ".join(["C01", *[f"C{n:02d}" for n in range(50, 0, -1)]])
    assert expected in caught.value.message
    assert link_count() == 49
    # A shortcut along the chain's direction is redundant but no cycle.
    curriculum.link_prerequisite(None, chain[-1].id, chain[0].id)
    assert link_count() == 50


def test_a_diamond_is_not_a_cycle_but_closing_it_back_is():
    program = make_program("DIA")
    d = make_subject(program, "D")
    b, c = make_subject(program, "B"), make_subject(program, "C")
    a = make_subject(program, "A")
    curriculum.link_prerequisite(None, b.id, d.id)
    curriculum.link_prerequisite(None, c.id, d.id)
    curriculum.link_prerequisite(None, a.id, b.id)
    curriculum.link_prerequisite(None, a.id, c.id)  # two paths A→B→D and A→C→D: allowed
    assert link_count() == 4
    with pytest.raises(DomainError) as caught:
        curriculum.link_prerequisite(None, d.id, a.id)
    assert "D → A → B → D" in caught.value.message
    assert link_count() == 4


def test_linking_the_same_prerequisite_twice_is_refused():
    program = make_program()
    p, s = make_subject(program, "P1"), make_subject(program, "S1")
    curriculum.link_prerequisite(None, s.id, p.id)
    with pytest.raises(Conflict):
        curriculum.link_prerequisite(None, s.id, p.id)
    assert link_count() == 1


def test_unlinking_removes_the_link_and_is_audited():
    program = make_program()
    p = make_subject(program, "P1")
    s = make_subject(program, "S1", prerequisites=(p,))
    curriculum.unlink_prerequisite(None, s.id, p.id)
    assert link_count() == 0
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "curriculum.prerequisite_unlink")) == 1
    curriculum.link_prerequisite(None, p.id, s.id)  # the reverse is fine once the link is gone
    with pytest.raises(NotFound):
        curriculum.unlink_prerequisite(None, s.id, p.id)


def test_find_cycle_returns_the_shortest_cycle():
    requires = {1: {2}, 2: {3, 4}, 3: {5}, 4: {1}, 5: {1}}
    assert curriculum.find_cycle(requires, 1, 2) == [1, 2, 4, 1]
    assert curriculum.find_cycle({}, 1, 2) is None


# ---------------------------------------------------------------- the curriculum view

def test_curriculum_groups_subjects_by_year_and_semester_with_units():
    program = make_program("BSIT", years=2)
    ge = make_subject(program, "GE101", units=3, is_major=False)
    make_subject(program, "IT101", units=3)
    make_subject(program, "PE1", units=2)
    make_subject(program, "IT103", units=3, semester="SECOND", prerequisites=(ge,))
    make_subject(program, "IT201", units=5, year_level=2)
    view = curriculum.curriculum(program.id)
    assert [y.year for y in view.years] == [1, 2]
    first = view.years[0]
    assert [s.label for s in first.semesters] == ["1st semester", "2nd semester"]  # no summer subjects
    assert [s.subject.code for s in first.semesters[0].subjects] == ["GE101", "IT101", "PE1"]
    assert (first.semesters[0].units, first.semesters[1].units, first.units) == (8, 3, 11)
    assert view.subjects[first.semesters[1].subjects[0].subject.id].prerequisite_codes == ["GE101"]
    assert view.total_units == 16


@pytest.mark.postgres
def test_two_opposite_links_at_the_same_moment_cannot_form_a_cycle(app):
    program = make_program("RACE")
    a, b = make_subject(program, "A"), make_subject(program, "B")
    barrier = threading.Barrier(2)
    outcomes = []

    def link(subject_id, prerequisite_id):
        with app.app_context():
            barrier.wait()
            try:
                curriculum.link_prerequisite(None, subject_id, prerequisite_id)
                outcomes.append("linked")
            except DomainError as error:
                outcomes.append(error.code)

    threads = [threading.Thread(target=link, args=(a.id, b.id)), threading.Thread(target=link, args=(b.id, a.id))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["linked", "prerequisite_cycle"]
    assert link_count() == 1
