"""Online payment import: a cashier uploads a CSV export of GCash or bank transfers and each
valid row is recorded through `payments.record_payment`, like a payment at the counter.

Rules (README "Background jobs"):
- The file is UTF-8 (with or without a byte-order mark); anything else is refused. Columns
  `reference, student number, amount, date` (case, spaces, dashes and underscores in the
  header do not matter; an optional `method` column says GCASH or BANK_TRANSFER per row,
  otherwise the form's choice applies). Other or missing columns refuse the file.
- Nothing partial: a structural problem (encoding, headers, no rows, more than 50,000 rows)
  imports nothing. Row problems refuse that row with its reason while the valid rows are
  recorded: a malformed reference, an amount that is not a positive peso amount with at most
  2 decimals, a date that is not a date or lies in the future, an unknown student number, a
  student without an enrollment in the current term (or withdrawn from it), a reference that
  appears again in the same file (the first occurrence is kept).
- Idempotent: a reference (per method) is recorded once, ever. The row claims it (a unique
  column) before the payment is recorded, with a one-time key derived from it; a reference
  already imported, or already recorded at the counter, is a DUPLICATE. Importing the same
  file twice records nothing new.
- The rows are recorded by queued tasks of 500 rows each, cashier as the actor; the page
  polls the counts until no row is PENDING.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import (
    ImportRowStatus,
    ImportStatus,
    PaymentImport,
    PaymentImportRow,
    Role,
    Student,
    Term,
    TermEnrollment,
    User,
)
from richwell.models.enrollment import TermEnrollmentStatus
from richwell.services.platform import audit, clock
from richwell.services.platform.clock import now
from richwell.services.platform.errors import DomainError, Forbidden, NotFound, ValidationError
from richwell.services.platform.unit_of_work import queue_task

MAX_ROWS = 50_000
MAX_BYTES = 8 * 1024 * 1024
CHUNK = 500
METHODS = {"GCASH": "GCASH", "BANK_TRANSFER": "BANK_TRANSFER", "BANK TRANSFER": "BANK_TRANSFER",
           "BANK": "BANK_TRANSFER"}
COLUMNS = ("reference", "student_number", "amount", "date")
HEADER_HELP = "The first line must name the columns: reference, student number, amount, date (and optionally method)."
STUDENT_NUMBER_RE = re.compile(r"^\d{4}-\d{5}$")
R = ImportRowStatus


def _header_key(raw: str) -> str:
    return re.sub(r"[\s_\-]+", "_", raw.strip().strip('"').lower()).strip("_")


def _require_cashier(actor: User | None) -> User:
    if actor is None or actor.role != Role.CASHIER.value:
        raise Forbidden("Only a cashier imports online payments.")
    return actor


def parse_method(raw) -> str:
    """GCASH or BANK_TRANSFER (as the export or the form says it)."""
    method = METHODS.get(" ".join(str(raw or "").strip().upper().split()))
    if method is None:
        raise ValidationError("Choose GCash or bank transfer.", field="method")
    return method


def decode(content: bytes) -> str:
    """The file's text: UTF-8 with or without a byte-order mark, else refused."""
    if not content or not content.strip():
        raise ValidationError("The file is empty.", field="file")
    if len(content) > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it.", field="file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 text. Export it again as \"CSV UTF-8\" and upload that.",
                              field="file") from None
    if "\x00" in text:
        raise ValidationError("The file is not a CSV text file.", field="file")
    return text


@dataclass
class ParsedRow:
    line: int
    reference: str
    student_number: str
    amount: object
    paid_on: date | None
    method: str
    reason: str | None = None


def _parse_date(raw: str) -> date | None:
    raw = raw.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


def parse(text: str, default_method: str) -> list[ParsedRow]:
    """Read the CSV (streaming) and check each row on its own; file-level problems raise."""
    from . import payments
    from .payments import PaymentMethod

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ValidationError("The file has no header line. " + HEADER_HELP, field="file") from None
    keys = [_header_key(h) for h in header]
    aliases = {"student_no": "student_number", "studentnumber": "student_number", "reference_number": "reference",
               "reference_no": "reference", "ref": "reference", "ref_no": "reference", "payment_date": "date"}
    keys = [aliases.get(k, k) for k in keys]
    unknown = [h for h, k in zip(header, keys) if k not in COLUMNS and k != "method"]
    missing = [c.replace("_", " ") for c in COLUMNS if c not in keys]
    if unknown or missing or len(set(keys)) != len(keys):
        detail = []
        if missing:
            detail.append("missing " + ", ".join(missing))
        if unknown:
            detail.append("unknown " + ", ".join(repr(u) for u in unknown))
        if len(set(keys)) != len(keys):
            detail.append("a column named twice")
        raise ValidationError(f"Wrong columns ({'; '.join(detail)}). {HEADER_HELP}", field="file")
    at = {k: i for i, k in enumerate(keys)}
    rows: list[ParsedRow] = []
    seen: dict[tuple[str, str], int] = {}
    day = clock.today()
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise ValidationError(f"The file has more than {MAX_ROWS:,} rows; split it.", field="file")
            line = reader.line_num
            if len(values) != len(keys):
                rows.append(ParsedRow(line, (values[0] if values else "")[:100], "", None, None, default_method,
                                      f"Has {len(values)} values; expected {len(keys)}."))
                continue
            cell = {name: values[i].strip() for name, i in at.items()}
            row = ParsedRow(line, cell["reference"][:100], cell["student_number"][:40], None, None, default_method)
            rows.append(row)
            try:
                if "method" in at and cell["method"]:
                    row.method = parse_method(cell["method"])
                row.reference = payments.check_reference(PaymentMethod(row.method), cell["reference"])
                row.amount = payments.parse_amount(cell["amount"])
            except ValidationError as error:
                row.reason = error.message
                continue
            row.paid_on = _parse_date(cell["date"])
            if row.paid_on is None:
                row.reason = "The date is not a date (write it as YYYY-MM-DD)."
            elif row.paid_on > day:
                row.reason = "The date is in the future."
            elif not STUDENT_NUMBER_RE.match(row.student_number):
                row.reason = "A student number looks like 2026-00042."
            else:
                key = (row.method, row.reference.upper())
                if key in seen:
                    row.reason = f"Reference {row.reference} appears again in this file (first on line {seen[key]})."
                else:
                    seen[key] = line
    except csv.Error as error:
        raise ValidationError(f"The file is not valid CSV near line {reader.line_num}: {error}.",
                              field="file") from None
    if not rows:
        raise ValidationError("The file has a header but no payments.", field="file")
    return rows


def _enrollments_by_number(numbers: set[str], term_id: int | None) -> tuple[set[str], dict[str, tuple[int, str]]]:
    """Known student numbers, and each one's current-term enrollment (id, status)."""
    known: set[str] = set()
    enrolled: dict[str, tuple[int, str]] = {}
    ordered = sorted(numbers)
    for start in range(0, len(ordered), 1000):
        part = ordered[start:start + 1000]
        known.update(db.session.scalars(select(Student.student_number).where(Student.student_number.in_(part))))
        if term_id is not None:
            for number, eid, status in db.session.execute(
                    select(Student.student_number, TermEnrollment.id, TermEnrollment.status)
                    .join(TermEnrollment, TermEnrollment.student_id == Student.id)
                    .where(Student.student_number.in_(part), TermEnrollment.term_id == term_id)):
                enrolled[number] = (eid, status)
    return known, enrolled


def start_import(actor: User, filename: str, content: bytes, method) -> PaymentImport:
    """Check the whole file, store the import and its rows (refused rows with their reason),
    and queue the valid rows for recording after the commit. A file-level problem stores
    nothing and raises a ValidationError at the field "file"."""
    cashier = _require_cashier(actor)
    default_method = parse_method(method)
    rows = parse(decode(content), default_method)
    term_id = db.session.scalar(select(Term.id).where(Term.is_current.is_(True)))
    known, enrolled = _enrollments_by_number({r.student_number for r in rows if r.reason is None}, term_id)
    for row in rows:
        if row.reason is not None:
            continue
        if row.student_number not in known:
            row.reason = f"No student has the number {row.student_number}."
        elif row.student_number not in enrolled:
            row.reason = f"{row.student_number} has no enrollment in the current term."
        elif enrolled[row.student_number][1] == TermEnrollmentStatus.WITHDRAWN.value:
            row.reason = f"{row.student_number} has withdrawn from the current term."
    job = PaymentImport(cashier_id=cashier.id, filename=(filename or "payments.csv")[:255], method=default_method,
                        status=ImportStatus.QUEUED.value, total=len(rows), created_at=now())
    db.session.add(job)
    db.session.flush()
    db.session.execute(insert(PaymentImportRow), [{
        "import_id": job.id, "line": r.line, "reference": (r.reference or "")[:100], "method": r.method,
        "student_number": r.student_number[:40], "amount": r.amount if r.reason is None else None,
        "paid_on": r.paid_on, "status": (R.REFUSED if r.reason else R.PENDING).value,
        "reason": r.reason[:300] if r.reason else None,
        "term_enrollment_id": enrolled[r.student_number][0] if r.reason is None else None} for r in rows])
    valid = sum(1 for r in rows if r.reason is None)
    if not valid:
        job.status, job.finished_at = ImportStatus.DONE.value, now()
    audit.record(cashier, "payment.import", job, after={"file": job.filename, "rows": len(rows), "valid": valid,
                                                        "refused": len(rows) - valid, "method": default_method})
    db.session.commit()
    queue_rows(job.id)
    return job


def queue_rows(import_id: int) -> int:
    """Queue the import's PENDING rows in chunks of 500 (after the commit). Returns the chunks."""
    ids = list(db.session.scalars(select(PaymentImportRow.id).where(
        PaymentImportRow.import_id == import_id, PaymentImportRow.status == R.PENDING.value)
        .order_by(PaymentImportRow.id)))
    db.session.rollback()
    chunks = [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]
    for chunk in chunks:
        queue_task("import_payment_rows", import_id, chunk[0], chunk[-1])
    return len(chunks)


def idempotency_key(method: str, reference: str) -> str:
    """The one-time key of an online reference (the payment service's key alphabet)."""
    return "import-" + hashlib.sha256(f"{method}:{reference.upper()}".encode()).hexdigest()[:40]


def _set_row(row_id: int, **values) -> None:
    db.session.execute(update(PaymentImportRow).where(PaymentImportRow.id == row_id).values(**values)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def _counter_payment(method: str, reference: str):
    """A payment already recorded with this method and reference (at the counter)."""
    from richwell.models import Payment

    return db.session.scalar(select(Payment.receipt_number).where(
        Payment.method == method, func.upper(Payment.reference_number) == reference.upper()).limit(1))


def record_row(row_id: int) -> str:
    """Record one PENDING row through the payment service (idempotent: a row already settled is
    left alone; a retried row replays its payment). Returns the row's status."""
    from . import payments

    row = db.session.get(PaymentImportRow, row_id)
    if row is None or row.status != R.PENDING.value:
        return row.status if row else R.REFUSED.value
    claim = f"{row.method}:{row.reference.upper()}"
    retried = row.claimed_reference == claim
    if not retried:
        try:
            db.session.execute(update(PaymentImportRow).where(PaymentImportRow.id == row_id)
                               .values(claimed_reference=claim).execution_options(synchronize_session=False))
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            holder = db.session.scalar(select(PaymentImportRow).where(PaymentImportRow.claimed_reference == claim))
            where = f" (import #{holder.import_id}, line {holder.line})" if holder else ""
            _set_row(row_id, status=R.DUPLICATE.value, reason=f"Already imported{where}.")
            return R.DUPLICATE.value
        receipt = _counter_payment(row.method, row.reference)
        if receipt:
            _set_row(row_id, status=R.DUPLICATE.value, claimed_reference=None,
                     reason=f"Already recorded at the counter (receipt {receipt}).")
            return R.DUPLICATE.value
    job = db.session.get(PaymentImport, row.import_id)
    try:
        result = payments.record_payment(row.term_enrollment_id, row.amount, row.method, row.reference,
                                         job.cashier, idempotency_key(row.method, row.reference))
    except DomainError as error:
        db.session.rollback()
        _set_row(row_id, status=R.REFUSED.value, claimed_reference=None, reason=error.message[:300])
        return R.REFUSED.value
    _set_row(row_id, status=R.RECORDED.value, payment_id=result.payment_id, receipt_number=result.receipt_number)
    return R.RECORDED.value


def record_rows(import_id: int, first_id: int, last_id: int) -> dict:
    """The queued chunk: record each PENDING row of the import between two row ids, then mark
    the import DONE when no row is PENDING any more."""
    job = db.session.get(PaymentImport, import_id)
    if job is None:
        return {}
    if job.status == ImportStatus.QUEUED.value:
        job.status = ImportStatus.RUNNING.value
        db.session.commit()
    ids = list(db.session.scalars(select(PaymentImportRow.id).where(
        PaymentImportRow.import_id == import_id, PaymentImportRow.id.between(first_id, last_id),
        PaymentImportRow.status == R.PENDING.value).order_by(PaymentImportRow.id)))
    done: dict[str, int] = {}
    for row_id in ids:
        status = record_row(row_id)
        done[status] = done.get(status, 0) + 1
    _finish_if_done(import_id)
    return done


def _finish_if_done(import_id: int) -> None:
    pending = db.session.scalar(select(func.count(PaymentImportRow.id)).where(
        PaymentImportRow.import_id == import_id, PaymentImportRow.status == R.PENDING.value))
    if not pending:
        db.session.execute(update(PaymentImport).where(PaymentImport.id == import_id,
                                                       PaymentImport.status != ImportStatus.DONE.value)
                           .values(status=ImportStatus.DONE.value, finished_at=now()))
    db.session.commit()


@dataclass
class Progress:
    job: PaymentImport
    counts: dict[str, int]

    @property
    def processed(self) -> int:
        return self.job.total - self.counts.get(R.PENDING.value, 0)

    @property
    def percent(self) -> int:
        return 100 if not self.job.total else int(100 * self.processed / self.job.total)

    @property
    def finished(self) -> bool:
        return self.job.status == ImportStatus.DONE.value


def get_import(import_id: int, viewer: User) -> PaymentImport:
    """An import the cashier may see (cashiers share the counter's imports)."""
    _require_cashier(viewer)
    job = db.session.get(PaymentImport, import_id)
    if job is None:
        raise NotFound("That import does not exist.")
    return job


def progress(import_id: int, viewer: User) -> Progress:
    job = get_import(import_id, viewer)
    counts = dict(db.session.execute(select(PaymentImportRow.status, func.count(PaymentImportRow.id))
                                     .where(PaymentImportRow.import_id == import_id)
                                     .group_by(PaymentImportRow.status)).all())
    return Progress(job, counts)


def refused_rows(import_id: int, limit: int = 1000) -> list[PaymentImportRow]:
    """Rows refused or skipped, with their reason, in file order (the summary's list)."""
    return list(db.session.scalars(select(PaymentImportRow).where(
        PaymentImportRow.import_id == import_id, PaymentImportRow.status.in_([R.REFUSED.value, R.DUPLICATE.value]))
        .order_by(PaymentImportRow.line).limit(limit)))


def recent_imports(viewer: User, limit: int = 20) -> list[PaymentImport]:
    _require_cashier(viewer)
    return list(db.session.scalars(select(PaymentImport).order_by(PaymentImport.id.desc()).limit(limit)))
