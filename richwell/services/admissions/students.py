"""Student records: search, profile, dated status history, program changes, and continuing
students opening the current term (one by one from their home page, or in bulk)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import (
    AdmissionReview,
    AdmissionType,
    ApplicationDocument,
    BulkOpenJob,
    JobStatus,
    Program,
    Student,
    StudentStatus,
    StudentStatusChange,
    Term,
    TermEnrollment,
    TermEnrollmentStatus,
    TransferCredit,
    User,
)
from richwell.services.academics import current_term
from richwell.services.enrollment import open_term_enrollment
from richwell.services.platform import accounts, audit, settings
from richwell.services.platform.clock import now, today
from richwell.services.platform.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from richwell.services.platform.unit_of_work import queue_task

from . import applications

REASON_MAX = 1000
PROBLEMS_KEPT = 50
# What a student's term enrollment in the current term becomes when the student's status changes.
TERM_STATUS_FOR = {
    StudentStatus.LOA.value: TermEnrollmentStatus.LOA.value,
    StudentStatus.WITHDRAWN.value: TermEnrollmentStatus.WITHDRAWN.value,
}


def require_registrar(actor: User | None) -> None:
    if actor is None or not actor.is_registrar:
        raise Forbidden("Only the registrar may change student records.")


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def get_student(student_id: int) -> Student:
    student = db.session.get(Student, student_id)
    if student is None:
        raise NotFound("That student does not exist.")
    return student


def _locked_student(student_id: int) -> Student:
    student = db.session.scalar(select(Student).where(Student.id == student_id).with_for_update()
                                .execution_options(populate_existing=True))
    if student is None:
        raise NotFound("That student does not exist.")
    return student


def search(query: str | None, *, program_id: int | None = None, status: str | None = None,
           page: int = 1, per_page: int = 25):
    """Students whose number starts with the query, or whose names (every word) or email
    contain it, case-insensitive; optionally of one program and status."""
    text = (query or "").strip()[:100]
    statement = select(Student).join(User, User.id == Student.user_id)
    if text:
        words = text.lower().split()
        name_match = and_(*[or_(func.lower(User.first_name).like(_like(w), escape="\\"),
                                func.lower(User.middle_name).like(_like(w), escape="\\"),
                                func.lower(User.last_name).like(_like(w), escape="\\")) for w in words])
        statement = statement.where(or_(
            Student.student_number.like(_like(text)[1:], escape="\\"),
            User.email.like(_like(text.lower()), escape="\\"),
            name_match,
        ))
    if program_id:
        statement = statement.where(Student.program_id == program_id)
    if status in {s.value for s in StudentStatus}:
        statement = statement.where(Student.status == status)
    statement = statement.order_by(User.last_name, User.first_name, Student.student_number)
    return db.paginate(statement, page=page, per_page=per_page, error_out=False)


@dataclass
class StudentRecord:
    """Everything the registrar's profile page shows about one student."""

    student: Student
    enrollments: list[TermEnrollment]
    credits: list[TransferCredit]
    history: list[StudentStatusChange]
    review: AdmissionReview | None
    documents: list[ApplicationDocument]
    current_enrollment: TermEnrollment | None


def record_of(student_id: int) -> StudentRecord:
    """A student's record: profile, term enrollments, credits, status history, documents."""
    student = get_student(student_id)
    enrollments = list(db.session.scalars(
        select(TermEnrollment).join(Term, Term.id == TermEnrollment.term_id)
        .where(TermEnrollment.student_id == student.id).order_by(Term.start_date.desc())))
    credits = list(db.session.scalars(
        select(TransferCredit).where(TransferCredit.student_id == student.id).order_by(TransferCredit.id)))
    history = list(db.session.scalars(
        select(StudentStatusChange).where(StudentStatusChange.student_id == student.id)
        .order_by(StudentStatusChange.effective_date, StudentStatusChange.id)))
    current = next((e for e in enrollments if e.term.is_current), None)
    return StudentRecord(student, enrollments, credits, history, applications.review_of(student.id),
                         applications.documents_of(student.id), current)


# --- profile --------------------------------------------------------------------------------

PROFILE_FIELDS = ("first_name", "middle_name", "last_name", "email", "birthdate", "sex", "mobile",
                  "address", "previous_school", "previous_course")


def profile_values(student: Student) -> dict:
    user = student.user
    return {"first_name": user.first_name, "middle_name": user.middle_name, "last_name": user.last_name,
            "email": user.email, "birthdate": student.birthdate, "sex": student.sex, "mobile": student.mobile,
            "address": student.address, "previous_school": student.previous_school,
            "previous_course": student.previous_course}


def update_profile(actor: User, student_id: int, **changes) -> Student:
    """The registrar edits a student's profile with the application's field rules; only the
    fields that really changed are written and audited with their before and after."""
    require_registrar(actor)
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValidationError(f"These fields cannot be edited here: {', '.join(sorted(unknown))}.")
    student = _locked_student(student_id)
    current = profile_values(student)
    merged = {**current, **changes}
    transferee = student.admission_type == AdmissionType.TRANSFEREE.value
    p = applications._Problems()
    parsed = {
        "first_name": p.check(accounts.check_name, merged["first_name"], "first_name", "first name"),
        "middle_name": p.check(accounts.check_name, merged["middle_name"], "middle_name", "middle name",
                               required=False),
        "last_name": p.check(accounts.check_name, merged["last_name"], "last_name", "last name"),
        "email": p.check(accounts.normalize_email, merged["email"]),
        "birthdate": p.check(applications.parse_birthdate, merged["birthdate"]),
        "sex": p.check(applications.parse_sex, merged["sex"]),
        "mobile": p.check(applications.parse_mobile, merged["mobile"]),
        "address": p.check(applications.parse_text, merged["address"], "address", "address",
                           applications.ADDRESS_MAX),
        "previous_school": p.check(applications.parse_text, merged["previous_school"], "previous_school",
                                   "previous school", applications.SCHOOL_MAX, required=transferee),
        "previous_course": p.check(applications.parse_text, merged["previous_course"], "previous_course",
                                   "previous course", applications.SCHOOL_MAX, required=transferee),
    }
    p.raise_if_any()
    changed = {k: v for k, v in parsed.items() if v != current[k]}
    if not changed:
        return student
    if "email" in changed and db.session.scalar(select(func.count(User.id)).where(
            User.email == changed["email"], User.id != student.user_id)):
        raise Conflict("Another account already uses this email.", field="email")
    for key, value in changed.items():
        target = student.user if key in ("first_name", "middle_name", "last_name", "email") else student
        setattr(target, key, value)
    audit.record(actor, "student.profile_edit", student, before={k: current[k] for k in changed},
                 after=changed)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("Another account already uses this email.", field="email") from None
    return student


# --- status --------------------------------------------------------------------------------

def _parse_date(raw, field: str) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw or "").strip()
    if not text:
        raise ValidationError("Enter the date.", field=field)
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError("Enter the date as YYYY-MM-DD.", field=field) from None


def change_status(actor: User, student_id: int, to_status: str, effective_date, reason: str) -> StudentStatusChange:
    """The registrar moves a student between ACTIVE, LOA, WITHDRAWN and GRADUATED with an
    effective date and a reason. The dated history stays in order (a date may not be in the
    future nor before the previous change), because LOA periods pause the INC clock. The
    current term's enrollment follows: LOA/WITHDRAWN there too, ACTIVE again on return."""
    require_registrar(actor)
    value = str(to_status or "").strip().upper()
    if value not in {s.value for s in StudentStatus}:
        raise ValidationError("Choose a status: active, leave of absence, withdrawn or graduated.",
                              field="to_status")
    effective = _parse_date(effective_date, "effective_date")
    text = applications.parse_text(reason, "reason", "reason", REASON_MAX)
    student = _locked_student(student_id)
    if student.status == value:
        raise DomainError(f"{student.student_number} is already {value}.", code="same_status", field="to_status")
    if effective > today():
        raise ValidationError("The effective date cannot be in the future; record the change when it happens.",
                              field="effective_date")
    last = db.session.scalar(select(func.max(StudentStatusChange.effective_date))
                             .where(StudentStatusChange.student_id == student.id))
    if last is not None and effective < last:
        raise ValidationError(f"The effective date cannot be before the previous status change ({last:%b %d, %Y}).",
                              field="effective_date")
    before = student.status
    student.status = value
    change = StudentStatusChange(student_id=student.id, from_status=before, to_status=value,
                                 effective_date=effective, reason=text, actor_id=actor.id, created_at=now())
    db.session.add(change)
    term = current_term()
    enrollment = term and db.session.scalar(select(TermEnrollment).where(
        TermEnrollment.student_id == student.id, TermEnrollment.term_id == term.id))
    if enrollment is not None:
        if value in TERM_STATUS_FOR:
            enrollment.status = TERM_STATUS_FOR[value]
        elif value == StudentStatus.ACTIVE.value and enrollment.status in TERM_STATUS_FOR.values():
            enrollment.status = TermEnrollmentStatus.ACTIVE.value
    audit.record(actor, "student.status_change", student, before={"status": before},
                 after={"status": value, "effective_date": effective}, reason=text)
    db.session.commit()
    return change


def loa_periods(student_id: int) -> list[tuple[date, date | None]]:
    """The student's leave-of-absence periods from the dated history: (start, end), end None
    while the leave continues. The INC clock does not count these days."""
    periods: list[tuple[date, date | None]] = []
    start: date | None = None
    for change in db.session.scalars(select(StudentStatusChange).where(StudentStatusChange.student_id == student_id)
                                     .order_by(StudentStatusChange.effective_date, StudentStatusChange.id)):
        if change.to_status == StudentStatus.LOA.value and start is None:
            start = change.effective_date
        elif change.to_status != StudentStatus.LOA.value and start is not None:
            periods.append((start, change.effective_date))
            start = None
    if start is not None:
        periods.append((start, None))
    return periods


def change_program(actor: User, student_id: int, program_id, reason: str) -> Student:
    """The registrar moves a student to another active program (one program per student),
    with a reason; audited. Credits against the old program's subjects stay on the record."""
    require_registrar(actor)
    program = applications.parse_program(program_id)
    text = applications.parse_text(reason, "reason", "reason", REASON_MAX)
    student = _locked_student(student_id)
    if student.program_id == program.id:
        raise DomainError(f"{student.student_number} is already in {program.code}.", code="same_program",
                          field="program_id")
    before = student.program.code
    student.program_id = program.id
    if student.year_level > program.years:
        student.year_level = program.years
    audit.record(actor, "student.program_change", student, before={"program": before},
                 after={"program": program.code}, reason=text)
    db.session.commit()
    db.session.refresh(student)
    return student


# --- continuing students ------------------------------------------------------------------------

def latest_commitment(student_id: int) -> Decimal | None:
    return db.session.scalar(
        select(TermEnrollment.monthly_commitment).join(Term, Term.id == TermEnrollment.term_id)
        .where(TermEnrollment.student_id == student_id).order_by(Term.start_date.desc()).limit(1))


def suggested_commitment(student_id: int) -> Decimal:
    """The last term's commitment when it still meets today's minimum, else the minimum."""
    minimum = settings.get("min_monthly_commitment")
    last = latest_commitment(student_id)
    return last if last is not None and last >= minimum else minimum


def current_enrollment_of(student_id: int) -> TermEnrollment | None:
    term = current_term()
    if term is None:
        return None
    return db.session.scalar(select(TermEnrollment).where(
        TermEnrollment.student_id == student_id, TermEnrollment.term_id == term.id))


def open_own_enrollment(student_user: User, monthly_commitment) -> TermEnrollment:
    """A continuing ACTIVE student opens the current term's enrollment from their home page,
    confirming the monthly commitment (≥ the minimum). LOA, WITHDRAWN and GRADUATED cannot."""
    student = student_user.student
    if student is None:
        raise NotFound("Your student record does not exist.")
    commitment = applications.parse_commitment(monthly_commitment)
    term = current_term()
    if term is None:
        raise DomainError("No term is open yet; check back when the registrar opens the next one.",
                          code="no_current_term")
    student = _locked_student(student.id)
    if student.status != StudentStatus.ACTIVE.value:
        raise DomainError(f"Your status is {student.status}, so you cannot open an enrollment. "
                          "Please see the registrar.", code="student_not_active")
    try:
        enrollment = open_term_enrollment(student, term, commitment, student_user)
        db.session.commit()
    except IntegrityError:  # a double click raced the unique (student, term) constraint
        db.session.rollback()
        raise Conflict(f"You already have an enrollment for {term.name}.") from None
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
        return (self.term is not None and self.enrollment is None
                and self.student.status == StudentStatus.ACTIVE.value)

    @property
    def missing_documents(self) -> list[str]:
        have = {d.kind for d in self.documents}
        return [kind for kind in applications.DOCUMENT_FIELDS if kind not in have]


def home_of(student_user: User) -> StudentHome | None:
    """The student's own home: profile, the current term's enrollment and plan, the admission
    review and its note, documents and credits. None when the account has no student record."""
    student = student_user.student
    if student is None:
        return None
    return StudentHome(student=student, term=current_term(), enrollment=current_enrollment_of(student.id),
                       review=applications.review_of(student.id), documents=applications.documents_of(student.id),
                       credits=list(db.session.scalars(select(TransferCredit).where(
                           TransferCredit.student_id == student.id).order_by(TransferCredit.id))),
                       suggested_commitment=suggested_commitment(student.id))


def start_bulk_open(actor: User, program_id, year_level, default_commitment) -> BulkOpenJob:
    """The registrar queues opening the current term for every student of a program and year
    level. The job runs in the background after this commit; `run_bulk_open` does the work."""
    require_registrar(actor)
    p = applications._Problems()
    program = p.check(applications.parse_program, program_id)
    commitment = p.check(applications.parse_commitment, default_commitment, field="default_commitment")
    try:
        level = int(str(year_level).strip())
    except (TypeError, ValueError):
        level = None
    if level is None or not 1 <= level <= (program.years if program else 5):
        p.add("year_level", f"Choose a year level from 1 to {program.years if program else 5}.")
    p.raise_if_any()
    term = current_term()
    if term is None:
        raise DomainError("There is no current term to open.", code="no_current_term")
    job = BulkOpenJob(program_id=program.id, year_level=level, term_id=term.id, default_commitment=commitment,
                      status=JobStatus.QUEUED.value, requested_by_id=actor.id, created_at=now())
    db.session.add(job)
    db.session.flush()
    audit.record(actor, "enrollment.bulk_open_queued", job,
                 after={"program": program.code, "year_level": level, "term": term.name,
                        "default_commitment": commitment})
    db.session.commit()
    queue_task("open_continuing_students", job.id)
    return job


def _bump(job: BulkOpenJob, counter: str, problem: str | None = None) -> None:
    setattr(job, counter, getattr(job, counter) + 1)
    job.processed += 1
    if problem and len(job.problems or []) < PROBLEMS_KEPT:
        job.problems = [*(job.problems or []), problem]


def run_bulk_open(job_id: int) -> BulkOpenJob | None:
    """Open the job's term for each student of its program and year level, one committed
    student at a time (the counters are the progress). Idempotent: a finished job does
    nothing (a FAILED one, retried, starts over); students already enrolled are skipped;
    LOA, WITHDRAWN and GRADUATED are not opened. Each student's commitment is their last
    one if it meets today's minimum, else the job's."""
    job = db.session.get(BulkOpenJob, job_id)
    if job is None or job.status == JobStatus.DONE.value:
        return job
    job.status = JobStatus.RUNNING.value
    job.started_at = job.started_at or now()
    student_ids = list(db.session.scalars(
        select(Student.id).where(Student.program_id == job.program_id, Student.year_level == job.year_level)
        .order_by(Student.student_number)))
    # A retried job starts over; the per-student checks make the second pass a no-op.
    job.total, job.processed = len(student_ids), 0
    job.opened = job.already_enrolled = job.not_active = job.failed = 0
    job.problems = None
    db.session.commit()
    actor = job.requested_by
    term = job.term
    try:
        for student_id in student_ids:
            student = _locked_student(student_id)
            exists = db.session.scalar(select(TermEnrollment.id).where(
                TermEnrollment.student_id == student.id, TermEnrollment.term_id == term.id))
            if exists:
                _bump(job, "already_enrolled")
            elif student.status != StudentStatus.ACTIVE.value:
                _bump(job, "not_active")
            else:
                commitment = latest_commitment(student.id)
                if commitment is None or commitment < settings.get("min_monthly_commitment"):
                    commitment = job.default_commitment
                try:
                    with db.session.begin_nested():
                        open_term_enrollment(student, term, commitment, actor)
                    _bump(job, "opened")
                except IntegrityError:  # the student opened it themselves a moment ago
                    _bump(job, "already_enrolled")
                except DomainError as error:
                    _bump(job, "failed", f"{student.student_number}: {error.message}")
            db.session.commit()
        job.status = JobStatus.DONE.value
        job.finished_at = now()
        audit.record(actor, "enrollment.bulk_open", job,
                     after={"total": job.total, "opened": job.opened, "already_enrolled": job.already_enrolled,
                            "not_active": job.not_active, "failed": job.failed})
        db.session.commit()
    except Exception:
        db.session.rollback()
        job = db.session.get(BulkOpenJob, job_id)
        job.status = JobStatus.FAILED.value
        job.finished_at = now()
        db.session.commit()
        raise
    return job


def get_job(job_id: int) -> BulkOpenJob:
    job = db.session.get(BulkOpenJob, job_id)
    if job is None:
        raise NotFound("That job does not exist.")
    return job


def recent_jobs(limit: int = 10) -> list[BulkOpenJob]:
    return list(db.session.scalars(select(BulkOpenJob).order_by(BulkOpenJob.id.desc()).limit(limit)))


def programs() -> list[Program]:
    return list(db.session.scalars(select(Program).order_by(Program.code)))
