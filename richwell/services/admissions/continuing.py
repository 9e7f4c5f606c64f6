"""Continuing students: the student's home page, opening the current term from it, and the
registrar's bulk opening for a program and year level (a background job, one unit of work
per student so that the counters are the progress and a crash keeps what was opened)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from richwell.extensions import db
from richwell.models import (
    AdmissionReview,
    ApplicationDocument,
    BulkOpenJob,
    JobStatus,
    Student,
    StudentStatus,
    Term,
    TermEnrollment,
    TransferCredit,
    User,
)
from richwell.services.academics import current_term
from richwell.services.enrollment import open_term_enrollment
from richwell.services.platform import audit, settings
from richwell.services.platform.clock import now
from richwell.services.platform.errors import Conflict, DomainError, NotFound
from richwell.services.platform.unit_of_work import queue_task, unit_of_work

from .credits import credits_of
from .queries import documents_of, review_of
from .rules import DOCUMENT_FIELDS, Problems, checked, require_registrar
from .students import locked_student
from .validation import parse_commitment, parse_program

PROBLEMS_KEPT = 50


def latest_commitment(student_id: int) -> Decimal | None:
    """The monthly commitment of the student's most recent term enrollment."""
    return db.session.scalar(
        select(TermEnrollment.monthly_commitment).join(Term, Term.id == TermEnrollment.term_id)
        .where(TermEnrollment.student_id == student_id).order_by(Term.start_date.desc()).limit(1))


def suggested_commitment(student_id: int) -> Decimal:
    """The last term's commitment when it still meets today's minimum, else the minimum."""
    minimum: Decimal = settings.get("min_monthly_commitment")
    last = latest_commitment(student_id)
    return last if last is not None and last >= minimum else minimum


def current_enrollment_of(student_id: int, term: Term | None = None) -> TermEnrollment | None:
    """The student's enrollment in the current term (`term`, when the caller has read it
    already), if opened, with its month buckets."""
    term = term or current_term()
    if term is None:
        return None
    return db.session.scalars(select(TermEnrollment).options(joinedload(TermEnrollment.buckets)).where(
        TermEnrollment.student_id == student_id, TermEnrollment.term_id == term.id)).unique().first()


def open_own_enrollment(student_user: User, monthly_commitment: object) -> TermEnrollment:
    """A continuing ACTIVE student opens the current term's enrollment (their own) from their
    home page, confirming the monthly commitment (≥ the minimum). LOA, WITHDRAWN and GRADUATED
    cannot."""
    student = student_user.student
    if student is None:
        raise NotFound("Your student record does not exist.")
    commitment = parse_commitment(monthly_commitment)
    term = current_term()
    if term is None:
        raise DomainError("No term is open yet; check back when the registrar opens the next one.",
                          code="no_current_term")
    term_name = term.name
    try:
        with unit_of_work():
            student = locked_student(student.id)
            if student.status != StudentStatus.ACTIVE.value:
                raise DomainError(f"Your status is {student.status}, so you cannot open an enrollment. "
                                  "Please see the registrar.", code="student_not_active")
            enrollment = open_term_enrollment(student, term, commitment, student_user)
    except IntegrityError:  # a double click raced the unique (student, term) constraint
        raise Conflict(f"You already have an enrollment for {term_name}.") from None
    return enrollment


@dataclass
class StudentHome:
    """What a student sees on their home page."""

    student: Student
    term: Term | None
    enrollment: TermEnrollment | None
    review: AdmissionReview | None
    documents: list[ApplicationDocument]
    credits: list[TransferCredit]
    suggested_commitment: Decimal

    @property
    def can_open_enrollment(self) -> bool:
        """A current term, no enrollment in it yet, and an ACTIVE student."""
        return (self.term is not None and self.enrollment is None
                and self.student.status == StudentStatus.ACTIVE.value)

    @property
    def missing_documents(self) -> list[str]:
        """The document kinds not handed in yet, in the form's order."""
        have = {d.kind for d in self.documents}
        return [kind for kind in DOCUMENT_FIELDS if kind not in have]


def home_of(student_user: User) -> StudentHome | None:
    """The student's own home (only theirs: it is read from the signed-in account): profile,
    the current term's enrollment and plan, the admission review and its note, documents and
    credits. None when the account has no student record."""
    # The student with the program the page shows, in one statement.
    student = db.session.scalar(select(Student).options(joinedload(Student.program))
                                .where(Student.user_id == student_user.id))
    if student is None:
        return None
    term = current_term()
    return StudentHome(student=student, term=term, enrollment=current_enrollment_of(student.id, term),
                       review=review_of(student.id), documents=documents_of(student.id),
                       credits=credits_of(student.id), suggested_commitment=suggested_commitment(student.id))


# --- bulk opening ---------------------------------------------------------------------------------

def _year_level(raw: object, years: int) -> int | None:
    try:
        level = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return level if 1 <= level <= years else None


def start_bulk_open(actor: User, program_id: object, year_level: object, default_commitment: object) -> BulkOpenJob:
    """The registrar queues opening the current term for every student of a program and year
    level. The job runs in the background after this commit; `run_bulk_open` does the work."""
    require_registrar(actor)
    p = Problems()
    program = p.check(parse_program, program_id)
    commitment = p.check(parse_commitment, default_commitment, field="default_commitment")
    years = program.years if program else 5
    level = _year_level(year_level, years)
    if level is None:
        p.add("year_level", f"Choose a year level from 1 to {years}.")
    p.raise_if_any()
    program, level = checked(program), checked(level)
    term = current_term()
    if term is None:
        raise DomainError("There is no current term to open.", code="no_current_term")
    with unit_of_work():
        job = BulkOpenJob(program_id=program.id, year_level=level, term_id=term.id,
                          default_commitment=commitment, status=JobStatus.QUEUED.value,
                          requested_by_id=actor.id, created_at=now())
        db.session.add(job)
        db.session.flush()
        audit.record(actor, "enrollment.bulk_open_queued", job,
                     after={"program": program.code, "year_level": level, "term": term.name,
                            "default_commitment": commitment})
        queue_task("open_continuing_students", job.id)
    return job


def _bump(job: BulkOpenJob, counter: str, problem: str | None = None) -> None:
    setattr(job, counter, getattr(job, counter) + 1)
    job.processed += 1
    if problem and len(job.problems or []) < PROBLEMS_KEPT:
        job.problems = [*(job.problems or []), problem]


class _NotOpened(Exception):
    """open_term_enrollment refused one student; its unit of work is rolled back first."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _open_one(job: BulkOpenJob, term: Term, actor: User | None, student_id: int) -> str:
    """Open the term for one student of the job (in the caller's unit of work); returns the
    counter it adds to."""
    student = locked_student(student_id)
    exists = db.session.scalar(select(TermEnrollment.id).where(
        TermEnrollment.student_id == student.id, TermEnrollment.term_id == term.id))
    if exists:
        return "already_enrolled"
    if student.status != StudentStatus.ACTIVE.value:
        return "not_active"
    commitment = latest_commitment(student.id)
    if commitment is None or commitment < settings.get("min_monthly_commitment"):
        commitment = job.default_commitment
    try:
        open_term_enrollment(student, term, commitment, actor)
    except DomainError as error:
        raise _NotOpened(f"{student.student_number}: {error.message}") from error
    return "opened"


def _open_for(job: BulkOpenJob, term: Term, actor: User | None, student_id: int) -> None:
    """One student in one unit of work; a refusal is counted in a unit of its own."""
    try:
        with unit_of_work():
            _bump(job, _open_one(job, term, actor, student_id))
    except IntegrityError:  # the student opened it themselves a moment ago
        with unit_of_work():
            _bump(job, "already_enrolled")
    except _NotOpened as refused:
        with unit_of_work():
            _bump(job, "failed", refused.problem)


def _restart(job: BulkOpenJob) -> list[int]:
    """Mark the job running with its counters at zero; the students it covers."""
    job.status = JobStatus.RUNNING.value
    job.started_at = job.started_at or now()
    student_ids = list(db.session.scalars(
        select(Student.id).where(Student.program_id == job.program_id, Student.year_level == job.year_level)
        .order_by(Student.student_number)))
    # A retried job starts over; the per-student checks make the second pass a no-op.
    job.total, job.processed = len(student_ids), 0
    job.opened = job.already_enrolled = job.not_active = job.failed = 0
    job.problems = None
    return student_ids


def run_bulk_open(job_id: int) -> BulkOpenJob | None:
    """Open the job's term for each student of its program and year level, one unit of work
    per student (the counters are the progress). Idempotent: a finished job does nothing (a
    FAILED one, retried, starts over); students already enrolled are skipped; LOA, WITHDRAWN
    and GRADUATED are not opened. Each student's commitment is their last one if it meets
    today's minimum, else the job's."""
    with unit_of_work():
        job = db.session.get(BulkOpenJob, job_id)
        if job is None or job.status == JobStatus.DONE.value:
            return job
        student_ids = _restart(job)
    actor = job.requested_by
    term = job.term
    try:
        for student_id in student_ids:
            _open_for(job, term, actor, student_id)
        with unit_of_work():
            job.status = JobStatus.DONE.value
            job.finished_at = now()
            audit.record(actor, "enrollment.bulk_open", job,
                         after={"total": job.total, "opened": job.opened, "already_enrolled": job.already_enrolled,
                                "not_active": job.not_active, "failed": job.failed})
    except Exception:
        with unit_of_work():
            failed = db.session.get(BulkOpenJob, job_id)
            if failed is not None:
                failed.status = JobStatus.FAILED.value
                failed.finished_at = now()
        raise
    return job


def get_job(job_id: int) -> BulkOpenJob:
    """One bulk-opening job (its progress)."""
    job = db.session.get(BulkOpenJob, job_id)
    if job is None:
        raise NotFound("That job does not exist.")
    return job


def recent_jobs(limit: int = 10) -> list[BulkOpenJob]:
    """The latest bulk-opening jobs, newest first."""
    return list(db.session.scalars(select(BulkOpenJob).order_by(BulkOpenJob.id.desc()).limit(limit)))
