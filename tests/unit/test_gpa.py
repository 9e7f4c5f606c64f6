"""DOMAIN.md "Grades" GPA = Σ(grade × units) / Σ(units) over numeric final grades, credits
only when counted in GPA; 2 decimals (ROUND_HALF_UP). Year level by the "Student lifecycle"
rule. The set-based batch stores exactly what the per-student function computes."""
import random
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from richwell.extensions import db
from richwell.models import Student, SubjectEnrollment, TermGpa
from richwell.services.grades import gpa
from tests.factories import (
    add_to_class,
    make_class,
    make_credit,
    make_curriculum_subject,
    make_program,
    make_student,
    make_term,
)


def _taken(student, term, subject_grades):
    """Final grades given directly: [(units, grade, status), ...] in `term`."""
    rows = []
    for units, grade, status in subject_grades:
        offering = make_class(program=student.program, term=term, units=units)
        rows.append(add_to_class(offering, student, status=status, grade=grade))
    return rows


STATUS = {"5.00": "FAILED", "INC": "INC", "DRP": "DROPPED", None: "ENROLLED"}


def _grades(*pairs):
    return [(units, grade, STATUS.get(grade, "PASSED")) for units, grade in pairs]


def _stored(student):
    db.session.expire_all()
    return db.session.get(Student, student.id).cumulative_gpa


def test_gpa_hand_computed_excluding_inc_drp_and_open_subjects():
    student = make_student()
    term = make_term()
    _taken(student, term, _grades((3, "1.25"), (3, "2.00"), (2, "5.00"), (3, "INC"), (1, "DRP"), (3, None)))
    # (3×1.25 + 3×2.00 + 2×5.00) / 8 = 19.75 / 8 = 2.46875 → 2.47
    standing = gpa.compute_for_student(student.id)
    assert standing.cumulative_gpa == Decimal("2.47")
    assert (standing.points, standing.units) == (1975, 8)
    assert standing.terms[term.id].gpa == Decimal("2.47")
    gpa.recompute_student(student.id)
    assert _stored(student) == Decimal("2.47")
    row = db.session.scalar(select(TermGpa).where(TermGpa.student_id == student.id))
    assert (row.gpa, row.units, row.points) == (Decimal("2.47"), 8, 1975)


def test_gpa_rounds_half_up():
    student = make_student()
    _taken(student, make_term(), _grades((1, "1.00"), (1, "1.25")))
    # (1.00 + 1.25) / 2 = 1.125 exactly: half up gives 1.13 (half even would give 1.12)
    assert gpa.compute_for_student(student.id).cumulative_gpa == Decimal("1.13")
    gpa.recompute_all()
    assert _stored(student) == Decimal("1.13")


def test_gpa_counts_credits_only_when_accepted_and_counted_in_gpa():
    student = make_student(admission_type="TRANSFEREE")
    _taken(student, make_term(), _grades((3, "2.00")))
    program = student.program
    make_credit(student, make_curriculum_subject(program, units=3), grade="1.5", counted=True)         # in
    make_credit(student, make_curriculum_subject(program, units=3), grade="1.00", counted=False)      # out
    make_credit(student, make_curriculum_subject(program, units=3), grade="1.00", counted=True,
                status="DISPUTED")                                                                    # out
    make_credit(student, make_curriculum_subject(program, units=3), grade="85", counted=True)         # out
    make_credit(student, make_curriculum_subject(program, units=3), grade="1.3", counted=True)        # out
    make_credit(student, make_curriculum_subject(program, units=2), grade="2.25", units=2, counted=True)  # in
    # (3×2.00 + 3×1.50 + 2×2.25) / 8 = 15.0 / 8 = 1.875 → 1.88
    standing = gpa.compute_for_student(student.id)
    assert standing.cumulative_gpa == Decimal("1.88")
    gpa.recompute_all()
    assert _stored(student) == Decimal("1.88")
    # The term GPA never includes credits.
    assert db.session.scalar(select(TermGpa.gpa).where(TermGpa.student_id == student.id)) == Decimal("2.00")


def test_credit_grades_our_scale_accepts_in_any_spelling():
    assert [gpa.credit_hundredths(v) for v in ("1", "1.0", "1.00", "1.5", "1.50", " 2.75 ", "5", "5.0")] == [
        100, 100, 100, 150, 150, 275, 500, 500]
    assert [gpa.credit_hundredths(v) for v in ("2.8", "1.3", "A", "85", "", None, "2.750")] == [None] * 7


def test_gpa_with_only_inc_or_nothing_is_none():
    student = make_student()
    _taken(student, make_term(), _grades((3, "INC")))
    assert gpa.compute_for_student(student.id).cumulative_gpa is None
    gpa.recompute_all()
    assert _stored(student) is None
    assert db.session.scalar(select(TermGpa).where(TermGpa.student_id == student.id)) is None


def test_term_and_cumulative_gpa_over_two_terms():
    student = make_student()
    first = make_term(academic_year="2025-2026")
    second = make_term(academic_year="2026-2027")
    _taken(student, first, _grades((3, "1.00"), (3, "2.00")))            # 1.50
    _taken(student, second, _grades((2, "3.00"), (4, "1.75")))           # (6 + 7) / 6 = 2.1666 → 2.17
    gpa.recompute_all()
    terms = gpa.stored_term_gpas(student.id)
    assert (terms[first.id].gpa, terms[second.id].gpa) == (Decimal("1.50"), Decimal("2.17"))
    # (3 + 6 + 6 + 7) / 12 = 22 / 12 = 1.8333 → 1.83
    assert _stored(student) == Decimal("1.83")


def test_a_failed_then_passed_subject_counts_both_attempts():
    student = make_student()
    first, second = make_term(academic_year="2025-2026"), make_term(academic_year="2026-2027")
    failed = _taken(student, first, _grades((3, "5.00")))[0]
    offering = make_class(program=student.program, term=second, subject=failed.subject)
    add_to_class(offering, student, status="PASSED", grade="2.00", is_retake=True)
    assert gpa.compute_for_student(student.id).cumulative_gpa == Decimal("3.50")


def _curriculum(program, per_year):
    """Subjects of `units` each: {year: [units, ...]}."""
    return {year: [make_curriculum_subject(program, units=u, year_level=year) for u in units]
            for year, units in per_year.items()}


def _pass(student, subjects, term=None):
    from richwell.models import Term

    term = term or db.session.scalar(select(Term).where(Term.is_current.is_(True))) or make_term()
    for subject in subjects:
        add_to_class(make_class(program=student.program, term=term, subject=subject), student,
                     status="PASSED", grade="2.00")


def test_a_freshman_is_year_one():
    program = make_program(years=4)
    _curriculum(program, {1: [3, 3], 2: [3, 3]})
    student = make_student(program=program, year_level=1)
    assert gpa.compute_for_student(student.id).year_level == 1


def test_year_level_moves_up_at_75_percent_of_the_curriculum_units():
    program = make_program(years=4)
    subjects = _curriculum(program, {1: [4] * 5, 2: [4] * 5, 3: [4] * 5, 4: [3]})
    student = make_student(program=program)
    _pass(student, subjects[1][:3])            # 12 of 20 units < 15
    assert gpa.compute_for_student(student.id).year_level == 1
    _pass(student, subjects[1][3:4])           # 16 ≥ 15 (75 % of 20)
    assert gpa.compute_for_student(student.id).year_level == 2
    _pass(student, subjects[1][4:] + subjects[2][:4])    # 36 of 40 ≥ 30: year 3
    assert gpa.compute_for_student(student.id).year_level == 3
    gpa.recompute_all()
    db.session.expire_all()
    assert db.session.get(Student, student.id).year_level == 3


def test_credited_units_count_toward_the_year_level():
    program = make_program(years=4)
    subjects = _curriculum(program, {1: [3, 3, 3, 3], 2: [3, 3, 3, 3]})
    student = make_student(program=program, admission_type="TRANSFEREE")
    for subject in subjects[1][:3]:
        make_credit(student, subject, grade="2.0")   # 9 of 12 = 75 %
    assert gpa.compute_for_student(student.id).year_level == 2
    gpa.recompute_all()
    db.session.expire_all()
    assert db.session.get(Student, student.id).year_level == 2


def test_year_level_is_never_below_the_highest_year_passed_and_at_most_the_programs_years():
    program = make_program(years=2)
    subjects = _curriculum(program, {1: [5, 5, 5, 5], 2: [3, 3], 3: [3]})
    student = make_student(program=program)
    _pass(student, subjects[2][:1])           # a year-2 subject passed, few units
    assert gpa.compute_for_student(student.id).year_level == 2
    _pass(student, subjects[1] + subjects[2][1:] + subjects[3])   # everything: capped at 2 years
    assert gpa.compute_for_student(student.id).year_level == 2
    gpa.recompute_all()
    db.session.expire_all()
    assert db.session.get(Student, student.id).year_level == 2


def test_a_subject_passed_twice_counts_its_units_once():
    program = make_program(years=4)
    subjects = _curriculum(program, {1: [4, 4, 4, 4, 4], 2: [3]})
    student = make_student(program=program)
    _pass(student, subjects[1][:3], make_term(academic_year="2025-2026"))
    _pass(student, subjects[1][:3], make_term(academic_year="2026-2027"))
    assert gpa.compute_for_student(student.id).units_earned == 12
    assert gpa.compute_for_student(student.id).year_level == 1


def _random_world(seed: int, students: int = 25):
    rng = random.Random(seed)
    programs = [make_program(years=rng.choice([2, 4, 5])) for _ in range(2)]
    curricula = {p.id: [make_curriculum_subject(p, units=rng.randint(1, 6), year_level=rng.randint(1, 5),
                                                is_major=rng.random() < .6) for _ in range(10)]
                 for p in programs}
    terms = [make_term(academic_year=f"{2020 + i}-{2021 + i}", current=(i == 2)) for i in range(3)]
    offerings = {(p.id, s.id, t.id): make_class(program=p, term=t, subject=s)
                 for p in programs for s in curricula[p.id] for t in terms}
    values = ["1.00", "1.25", "1.50", "1.75", "2.00", "2.25", "2.50", "2.75", "3.00", "5.00", "INC", "DRP", None]
    made = []
    for _ in range(students):
        program = rng.choice(programs)
        student = make_student(program=program)
        for term in terms:
            for subject in rng.sample(curricula[program.id], rng.randint(0, 5)):
                grade = rng.choice(values)
                add_to_class(offerings[(program.id, subject.id, term.id)], student, status=STATUS.get(grade, "PASSED"),
                             grade=grade)
        for subject in rng.sample(curricula[program.id], rng.randint(0, 2)):
            make_credit(student, subject, grade=rng.choice(["1.5", "2", "2.75", "85", "B", "1.00"]),
                        units=rng.randint(1, 6), counted=rng.random() < .5,
                        status=rng.choice(["ACCEPTED", "ACCEPTED", "DISPUTED"]))
        made.append(student)
    return made


@pytest.mark.parametrize("seed", [1, 2])
def test_the_batch_stores_what_the_per_student_function_computes(seed):
    students = _random_world(seed)
    gpa.recompute_all()
    db.session.expire_all()
    for student in students:
        expected = gpa.compute_for_student(student.id)
        stored = db.session.get(Student, student.id)
        assert stored.cumulative_gpa == expected.cumulative_gpa, student.id
        assert stored.year_level == expected.year_level, student.id
        terms = {t: row.gpa for t, row in gpa.stored_term_gpas(student.id).items()}
        assert terms == {t: f.gpa for t, f in expected.terms.items()}, student.id


def test_the_batch_for_some_students_leaves_the_others_alone():
    a, b = make_student(), make_student()
    term = make_term()
    _taken(a, term, _grades((3, "1.00")))
    _taken(b, term, _grades((3, "2.00")))
    gpa.recompute_all([a.id])
    assert (_stored(a), _stored(b)) == (Decimal("1.00"), None)


def test_the_batch_is_set_based_a_fixed_number_of_statements():
    """5 or 40 students: the same handful of SQL statements (no Python loop per student)."""
    def statements(n):
        for student in [make_student() for _ in range(n)]:
            se = add_to_class(make_class(program=student.program), student)
            db.session.execute(db.update(SubjectEnrollment).where(SubjectEnrollment.id == se.id)
                               .values(status="PASSED", grade="1.50"))
        db.session.commit()
        seen = []

        def count(*args):
            seen.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            gpa.recompute_all()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    assert statements(5) == statements(40) <= 4


def test_year_level_a_curriculum_year_without_subjects_never_promotes():
    from richwell.services.grades.gpa import year_level_for

    only_year_one = {1: 15, 2: 15, 3: 15, 4: 15}  # years 2-4 not written yet
    assert year_level_for(4, only_year_one, 12, 1) == 2
    assert year_level_for(4, only_year_one, 11, 1) == 1
    full = {1: 15, 2: 30, 3: 45, 4: 60}
    assert year_level_for(4, full, 20, 1) == 2 and year_level_for(4, full, 30, 2) == 3
    assert year_level_for(4, full, 60, 1) == 4  # at most the program's years
