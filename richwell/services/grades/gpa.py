"""GPA and year level.

GPA = Σ(grade × units) / Σ(units) over subject enrollments with a numeric final grade
(PASSED or FAILED), every attempt counted; INC, DRP and open subjects are left out.
Transfer credits count only when ACCEPTED and `counted_in_gpa`, with their own units and
their original grade when that grade is one of our numeric values (written "1.5", "1.50",
"2" …); any other original grade (e.g. "85", "B+") keeps the credit out of the GPA.
Stored with 2 decimals, rounded ROUND_HALF_UP. Exact on both engines: grades are counted
in hundredths (1.75 → 175), so the sums are integers and the rounding is integer arithmetic.

Year level (DOMAIN.md "Student lifecycle"): 1 for a freshman; Y+1 once units passed or
credited (distinct subjects, our curriculum's units) reach 75 % of the program's units for
years 1..Y; never below the highest year of a subject passed; at most the program's years.

`compute_for_student` is the rule in plain Python (pages and transcripts use it);
`recompute_all` stores the same figures for many students with set-based SQL.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Executable,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import QueryableAttribute

from richwell.extensions import db
from richwell.models import (
    CreditStatus,
    Program,
    Student,
    Subject,
    SubjectEnrollment,
    SubjectEnrollmentStatus,
    Term,
    TermEnrollment,
    TermGpa,
    TransferCredit,
)
from richwell.services.platform.clock import now
from richwell.services.platform.errors import NotFound
from richwell.services.platform.sql import batch_lock, greatest, hundredths, least
from richwell.services.platform.unit_of_work import queue_task, unit_of_work

from .rules import NUMERIC_GRADES

CENT = Decimal("0.01")
GRADED = (SubjectEnrollmentStatus.PASSED.value, SubjectEnrollmentStatus.FAILED.value)
HUNDREDTHS = {value: int(Decimal(value) * 100) for value in NUMERIC_GRADES}
MAX_YEARS = 5  # subjects carry a year level 1..5
CHUNK = 500
QUEUE_CHUNK = 1000
FULL_BATCH_ABOVE = 5000

# Limits a statement to some students: given the column holding the student id, a condition.
Scope = Callable[[QueryableAttribute[int]], ColumnElement[bool]]


def _credit_forms() -> dict[str, int]:
    """Every way another school may write one of our numeric grades: 1, 1.0, 1.00, 1.5, 1.50."""
    forms: dict[str, int] = {}
    for value, h in HUNDREDTHS.items():
        d = Decimal(value)
        texts = {value, format(d.normalize(), "f")}
        if d == d.quantize(Decimal("0.1")):
            texts.add(f"{d:.1f}")
        for text in texts:
            forms[text] = h
    return forms


CREDIT_FORMS = _credit_forms()


def credit_hundredths(original_grade: str | None) -> int | None:
    """The credit's grade in hundredths when it is one of our numeric values, else None."""
    return CREDIT_FORMS.get((original_grade or "").strip())


def gpa_from(points: int, units: int) -> Decimal | None:
    """points (hundredths × units) / units, as a grade rounded half up to 2 decimals."""
    if not units:
        return None
    return (Decimal(points) / Decimal(units) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class TermFigure:
    """One term's GPA sums: points (hundredths × units) and units."""

    term_id: int
    points: int = 0
    units: int = 0

    @property
    def gpa(self) -> Decimal | None:
        return gpa_from(self.points, self.units)


@dataclass
class Standing:
    """A student's figures computed from the record itself."""

    terms: dict[int, TermFigure] = field(default_factory=dict)
    points: int = 0
    units: int = 0
    units_earned: int = 0
    year_level: int = 1

    @property
    def cumulative_gpa(self) -> Decimal | None:
        return gpa_from(self.points, self.units)


def curriculum_units(program_id: int) -> dict[int, int]:
    """Units of the program's curriculum for years 1..Y, per Y."""
    per_year = {row.year_level: row.units for row in db.session.execute(
        select(Subject.year_level, func.sum(Subject.units).label("units"))
        .where(Subject.program_id == program_id).group_by(Subject.year_level))}
    running, result = 0, {}
    for year in range(1, MAX_YEARS + 1):
        running += per_year.get(year, 0) or 0
        result[year] = running
    return result


def year_level_for(program_years: int, curriculum: dict[int, int], units_earned: int,
                   highest_passed_year: int | None) -> int:
    """The DOMAIN.md year-level rule for one student. A year of the curriculum that has no
    subjects of its own cannot be completed, so it never promotes (an unfinished curriculum
    must not carry a first-year student to the last year)."""
    level = 1
    for year in range(1, program_years):
        cum = curriculum.get(year, 0)
        has_subjects = cum > curriculum.get(year - 1, 0)
        if has_subjects and 4 * units_earned >= 3 * cum:
            level = year + 1
    level = max(level, highest_passed_year or 1)
    return min(level, program_years)


def compute_for_student(student_id: int) -> Standing:
    """Term GPAs, cumulative GPA, units earned and year level, computed from the record."""
    student = db.session.get(Student, student_id)
    if student is None:
        raise NotFound("That student does not exist.")
    standing = Standing()
    rows = db.session.execute(
        select(TermEnrollment.term_id, SubjectEnrollment.subject_id, SubjectEnrollment.status,
               SubjectEnrollment.grade, Subject.units, Subject.year_level)
        .join(TermEnrollment, TermEnrollment.id == SubjectEnrollment.term_enrollment_id)
        .join(Subject, Subject.id == SubjectEnrollment.subject_id)
        .where(TermEnrollment.student_id == student_id)).all()
    earned_subjects: dict[int, int] = {}
    highest_passed: int | None = None
    for row in rows:
        h = HUNDREDTHS.get(row.grade or "")
        if row.status in GRADED and h is not None:
            figure = standing.terms.setdefault(row.term_id, TermFigure(row.term_id))
            figure.points += h * row.units
            figure.units += row.units
            standing.points += h * row.units
            standing.units += row.units
        if row.status == SubjectEnrollmentStatus.PASSED.value:
            earned_subjects[row.subject_id] = row.units
            highest_passed = max(highest_passed or 0, row.year_level)
    credits = db.session.execute(
        select(TransferCredit.subject_id, TransferCredit.original_grade, TransferCredit.units.label("credit_units"),
               TransferCredit.counted_in_gpa, Subject.units.label("subject_units"))
        .join(Subject, Subject.id == TransferCredit.subject_id)
        .where(TransferCredit.student_id == student_id,
               TransferCredit.status == CreditStatus.ACCEPTED.value)).all()
    for credit in credits:
        h = credit_hundredths(credit.original_grade)
        if credit.counted_in_gpa and h is not None:
            standing.points += h * credit.credit_units
            standing.units += credit.credit_units
        earned_subjects[credit.subject_id] = credit.subject_units
    standing.units_earned = sum(earned_subjects.values())
    program = student.program
    standing.year_level = year_level_for(program.years, curriculum_units(program.id),
                                         standing.units_earned, highest_passed)
    return standing


# --- set-based recomputation -------------------------------------------------------------

def _grade_h(column: QueryableAttribute[str | None]) -> ColumnElement[int | None]:
    return case(HUNDREDTHS, value=column, else_=None)


def _credit_h(column: QueryableAttribute[str | None]) -> ColumnElement[int | None]:
    return case(CREDIT_FORMS, value=func.trim(column), else_=None)


def _gpa_sql(points: ColumnElement[Any], units: ColumnElement[Any]) -> ColumnElement[Decimal | None]:
    # round half up in integers: floor((2p + u) / 2u) hundredths, then as a 2-decimal number.
    # PostgreSQL's SUM of bigint is numeric: cast back so "/" stays integer division.
    points, units = cast(points, BigInteger), cast(units, BigInteger)
    return case((units > 0, hundredths((2 * points + units) // (2 * units))), else_=None)


def _statements(scope: Scope) -> list[Executable]:
    """The three statements of one recomputation; `scope(column)` limits them to some students.

    Subject enrollments are read twice only: once grouped per student and term (the term
    GPAs, whose rows then give the cumulative sums) and once for the passed subjects.
    """
    stamp = now()
    se_h = _grade_h(SubjectEnrollment.grade)
    graded = and_(SubjectEnrollment.status.in_(GRADED), se_h.is_not(None))

    term_rows = (
        select(TermEnrollment.student_id, TermEnrollment.term_id,
               func.sum(se_h * Subject.units).label("points"), func.sum(Subject.units).label("units"))
        .select_from(SubjectEnrollment)
        .join(TermEnrollment, TermEnrollment.id == SubjectEnrollment.term_enrollment_id)
        .join(Subject, Subject.id == SubjectEnrollment.subject_id)
        .where(graded, scope(TermEnrollment.student_id))
        .group_by(TermEnrollment.student_id, TermEnrollment.term_id)
    ).subquery("term_rows")
    insert_terms = insert(TermGpa).from_select(
        ["student_id", "term_id", "points", "units", "gpa", "computed_at"],
        select(term_rows.c.student_id, term_rows.c.term_id, term_rows.c.points, term_rows.c.units,
               _gpa_sql(term_rows.c.points, term_rows.c.units),
               literal(stamp, TermGpa.__table__.c.computed_at.type)))

    # Runs after the insert above: the fresh term rows carry every graded subject's points.
    se_points = (
        select(TermGpa.student_id, func.sum(TermGpa.points).label("points"), func.sum(TermGpa.units).label("units"))
        .where(scope(TermGpa.student_id)).group_by(TermGpa.student_id)).subquery("se_points")
    cr_h = _credit_h(TransferCredit.original_grade)
    cr_points = (
        select(TransferCredit.student_id, func.sum(cr_h * TransferCredit.units).label("points"),
               func.sum(TransferCredit.units).label("units"))
        .where(TransferCredit.status == CreditStatus.ACCEPTED.value, TransferCredit.counted_in_gpa.is_(True),
               cr_h.is_not(None), scope(TransferCredit.student_id))
        .group_by(TransferCredit.student_id)).subquery("cr_points")

    # Each subject passed or credited once, remembering whether it was passed here.
    passed_pairs = (
        select(TermEnrollment.student_id.label("student_id"), SubjectEnrollment.subject_id.label("subject_id"),
               literal(1).label("passed"))
        .join(TermEnrollment, TermEnrollment.id == SubjectEnrollment.term_enrollment_id)
        .where(SubjectEnrollment.status == SubjectEnrollmentStatus.PASSED.value, scope(TermEnrollment.student_id)))
    credited_pairs = (
        select(TransferCredit.student_id.label("student_id"), TransferCredit.subject_id.label("subject_id"),
               literal(0).label("passed"))
        .where(TransferCredit.status == CreditStatus.ACCEPTED.value, scope(TransferCredit.student_id)))
    both = union_all(passed_pairs, credited_pairs).subquery("both_pairs")
    pairs = (select(both.c.student_id, both.c.subject_id, func.max(both.c.passed).label("passed"))
             .group_by(both.c.student_id, both.c.subject_id)).subquery("earned_pairs")
    earned = (
        select(pairs.c.student_id, func.sum(Subject.units).label("units"),
               func.max(case((pairs.c.passed == 1, Subject.year_level), else_=None)).label("passed_year"))
        .join(Subject, Subject.id == pairs.c.subject_id)
        .group_by(pairs.c.student_id)).subquery("earned")

    # The curriculum's units for years 1..Y, one column per Y, one row per program.
    curriculum = select(Subject.program_id, *(
        func.sum(case((Subject.year_level <= y, Subject.units), else_=0)).label(f"y{y}")
        for y in range(1, MAX_YEARS + 1))).group_by(Subject.program_id).subquery("curriculum")
    units = func.coalesce(earned.c.units, 0)
    # Cumulative units never decrease with Y, so the first Y (from the top) that is reached wins.
    by_units = case(*(
        (and_(Program.years > y, curriculum.c[f"y{y}"] > (curriculum.c[f"y{y - 1}"] if y > 1 else 0),
              4 * units >= 3 * curriculum.c[f"y{y}"]), y + 1)
        for y in range(MAX_YEARS - 1, 0, -1)), else_=1)
    level = least(greatest(by_units, func.coalesce(earned.c.passed_year, 1)), Program.years)

    points = func.coalesce(se_points.c.points, 0) + func.coalesce(cr_points.c.points, 0)
    gpa_units = func.coalesce(se_points.c.units, 0) + func.coalesce(cr_points.c.units, 0)
    standing = (
        select(Student.id.label("student_id"), _gpa_sql(points, gpa_units).label("gpa"), level.label("level"))
        .join(Program, Program.id == Student.program_id)
        .outerjoin(curriculum, curriculum.c.program_id == Student.program_id)
        .outerjoin(se_points, se_points.c.student_id == Student.id)
        .outerjoin(cr_points, cr_points.c.student_id == Student.id)
        .outerjoin(earned, earned.c.student_id == Student.id)
        .where(scope(Student.id))).subquery("standing")
    update_students = (
        update(Student)
        .where(Student.id == standing.c.student_id,
               or_(Student.cumulative_gpa.is_distinct_from(standing.c.gpa), Student.year_level != standing.c.level))
        .values(cumulative_gpa=standing.c.gpa, year_level=standing.c.level)
        .execution_options(synchronize_session=False))
    remove_terms = delete(TermGpa).where(scope(TermGpa.student_id)).execution_options(synchronize_session=False)
    return [remove_terms, insert_terms, update_students]


def recompute_all(student_ids: Iterable[int] | None = None) -> None:
    """Store term GPAs, cumulative GPA and year level for every student (or the given ones)
    with a handful of set-based statements: no Python loop per student. One transaction, and
    one recomputation at a time (two would delete and insert the same term rows at once)."""
    with unit_of_work():
        batch_lock("gpa")
        if student_ids is None:
            _run(_statements(_everyone))
            return
        ids = sorted(set(student_ids))
        for start in range(0, len(ids), CHUNK):
            _run(_statements(_among(ids[start:start + CHUNK])))


def _everyone(column: QueryableAttribute[int]) -> ColumnElement[bool]:
    return literal(True)


def _among(ids: list[int]) -> Scope:
    def scope(column: QueryableAttribute[int]) -> ColumnElement[bool]:
        return column.in_(ids)
    return scope


def _run(statements: list[Executable]) -> None:
    for statement in statements:
        db.session.execute(statement)


def recompute_student(student_id: int) -> None:
    """Store one student's GPAs and year level (the same statements, limited to them)."""
    recompute_all([student_id])


def queue_recalculation(student_ids: Iterable[int]) -> None:
    """Ask for these students' GPA recalculation once the current unit of work commits (tasks
    take ids only). Past a few thousand students one full set-based batch is cheaper than
    many id-limited ones."""
    ids = sorted(set(student_ids))
    if len(ids) > FULL_BATCH_ABOVE:
        queue_task("recalculate_all_gpa")
        return
    for start in range(0, len(ids), QUEUE_CHUNK):
        queue_task("recalculate_gpa", ids[start:start + QUEUE_CHUNK])


def stored_term_gpas(student_id: int) -> dict[int, TermGpa]:
    """The stored term GPAs of a student, by term id."""
    rows = db.session.scalars(
        select(TermGpa).join(Term, Term.id == TermGpa.term_id).where(TermGpa.student_id == student_id)
        .order_by(Term.start_date)).all()
    return {row.term_id: row for row in rows}
