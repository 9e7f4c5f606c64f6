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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import (
    ImportRowStatus,
    ImportStatus,
    Payment,
    PaymentImport,
    PaymentImportRow,
    PaymentMethod,
    Role,
    Student,
    Term,
    TermEnrollment,
    TermEnrollmentStatus,
    User,
)
from richwell.services.platform import audit, clock
from richwell.services.platform.accounts import STUDENT_NUMBER_RE
from richwell.services.platform.clock import now
from richwell.services.platform.errors import DomainError, Forbidden, NotFound, ValidationError
from richwell.services.platform.unit_of_work import queue_task, unit_of_work

from .ledger import record_payment
from .rules import check_reference, parse_amount

MAX_ROWS = 50_000
MAX_BYTES = 8 * 1024 * 1024
CHUNK = 500
METHODS = {"GCASH": "GCASH", "BANK_TRANSFER": "BANK_TRANSFER", "BANK TRANSFER": "BANK_TRANSFER",
           "BANK": "BANK_TRANSFER"}
COLUMNS = ("reference", "student_number", "amount", "date")
HEADER_HELP = "The first line must name the columns: reference, student number, amount, date (and optionally method)."
R = ImportRowStatus


_HEADER_ALIASES = {"student_no": "student_number", "studentnumber": "student_number",
                   "reference_number": "reference", "reference_no": "reference", "ref": "reference",
                   "ref_no": "reference", "payment_date": "date"}


def _header_key(raw: str) -> str:
    return re.sub(r"[\s_\-]+", "_", raw.strip().strip('"').lower()).strip("_")


def _require_cashier(actor: User | None) -> User:
    if actor is None or actor.role != Role.CASHIER.value:
        raise Forbidden("Only a cashier imports online payments.")
    return actor


def parse_method(raw: object) -> str:
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
    amount: Decimal | None
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


def _columns(reader: Iterator[list[str]]) -> dict[str, int]:
    """The header line: each known column's position; wrong, missing or doubled columns refuse the file."""
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ValidationError("The file has no header line. " + HEADER_HELP, field="file") from None
    keys = [_HEADER_ALIASES.get(k, k) for k in (_header_key(h) for h in header)]
    unknown = [h for h, k in zip(header, keys) if k not in COLUMNS and k != "method"]
    missing = [c.replace("_", " ") for c in COLUMNS if c not in keys]
    doubled = len(set(keys)) != len(keys)
    if unknown or missing or doubled:
        detail = []
        if missing:
            detail.append("missing " + ", ".join(missing))
        if unknown:
            detail.append("unknown " + ", ".join(repr(u) for u in unknown))
        if doubled:
            detail.append("a column named twice")
        raise ValidationError(f"Wrong columns ({'; '.join(detail)}). {HEADER_HELP}", field="file")
    return {k: i for i, k in enumerate(keys)}


def _check_row(row: ParsedRow, cell: dict[str, str], day: date, seen: dict[tuple[str, str], int]) -> None:
    """One row's own problems, as its reason (None when it may be recorded)."""
    try:
        if cell.get("method"):
            row.method = parse_method(cell["method"])
        row.reference = check_reference(PaymentMethod(row.method), cell["reference"]) or ""
        row.amount = parse_amount(cell["amount"])
    except ValidationError as error:
        row.reason = error.message
        return
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
            seen[key] = row.line


def parse(text: str, default_method: str) -> list[ParsedRow]:
    """Read the CSV (streaming) and check each row on its own; file-level problems raise."""
    reader = csv.reader(io.StringIO(text, newline=""))
    at = _columns(reader)
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
            if len(values) != len(at):
                rows.append(ParsedRow(line, (values[0] if values else "")[:100], "", None, None, default_method,
                                      f"Has {len(values)} values; expected {len(at)}."))
                continue
            cell = {name: values[i].strip() for name, i in at.items()}
            row = ParsedRow(line, cell["reference"][:100], cell["student_number"][:40], None, None, default_method)
            rows.append(row)
            _check_row(row, cell, day, seen)
    except csv.Error as error:
        raise ValidationError(f"The file is not valid CSV near line {reader.line_num}: {error}.",
                              field="file") from None
    if not rows:
        raise ValidationError("The file has a header but no payments.", field="file")
    return rows


class _Enrolled(NamedTuple):
    enrollment_id: int
    status: str


def _enrollments_by_number(numbers: set[str], term_id: int | None) -> tuple[set[str], dict[str, _Enrolled]]:
    """Known student numbers, and each one's current-term enrollment."""
    known: set[str] = set()
    enrolled: dict[str, _Enrolled] = {}
    ordered = sorted(numbers)
    for start in range(0, len(ordered), 1000):
        part = ordered[start:start + 1000]
        known.update(db.session.scalars(select(Student.student_number).where(Student.student_number.in_(part))))
        if term_id is not None:
            for r in db.session.execute(
                    select(Student.student_number, TermEnrollment.id, TermEnrollment.status)
                    .join(TermEnrollment, TermEnrollment.student_id == Student.id)
                    .where(Student.student_number.in_(part), TermEnrollment.term_id == term_id)):
                enrolled[r.student_number] = _Enrolled(r.id, r.status)
    return known, enrolled


def _check_students(rows: list[ParsedRow]) -> dict[str, _Enrolled]:
    """Refuse the rows of unknown students and of students not (or no longer) enrolled in the
    current term; returns each enrolled student number's current-term enrollment."""
    term_id = db.session.scalar(select(Term.id).where(Term.is_current.is_(True)))
    known, enrolled = _enrollments_by_number({r.student_number for r in rows if r.reason is None}, term_id)
    for row in rows:
        if row.reason is not None:
            continue
        if row.student_number not in known:
            row.reason = f"No student has the number {row.student_number}."
        elif row.student_number not in enrolled:
            row.reason = f"{row.student_number} has no enrollment in the current term."
        elif enrolled[row.student_number].status == TermEnrollmentStatus.WITHDRAWN.value:
            row.reason = f"{row.student_number} has withdrawn from the current term."
    return enrolled


def start_import(actor: User, filename: str | None, content: bytes, method: object) -> PaymentImport:
    """Check the whole file, store the import and its rows (refused rows with their reason),
    and queue the valid rows for recording after the commit. A file-level problem stores
    nothing and raises a ValidationError at the field "file"."""
    cashier = _require_cashier(actor)
    default_method = parse_method(method)
    rows = parse(decode(content), default_method)
    with unit_of_work():
        enrolled = _check_students(rows)
        job = PaymentImport(cashier_id=cashier.id, filename=(filename or "payments.csv")[:255],
                            method=default_method, status=ImportStatus.QUEUED.value, total=len(rows), created_at=now())
        db.session.add(job)
        db.session.flush()
        db.session.execute(insert(PaymentImportRow), [{
            "import_id": job.id, "line": r.line, "reference": (r.reference or "")[:100], "method": r.method,
            "student_number": r.student_number[:40], "amount": r.amount if r.reason is None else None,
            "paid_on": r.paid_on, "status": (R.REFUSED if r.reason else R.PENDING).value,
            "reason": r.reason[:300] if r.reason else None,
            "term_enrollment_id": enrolled[r.student_number].enrollment_id if r.reason is None else None}
            for r in rows])
        valid = sum(1 for r in rows if r.reason is None)
        if not valid:
            job.status, job.finished_at = ImportStatus.DONE.value, now()
        audit.record(cashier, "payment.import", job, after={"file": job.filename, "rows": len(rows), "valid": valid,
                                                            "refused": len(rows) - valid, "method": default_method})
        queue_rows(job.id)
    return job


def queue_rows(import_id: int) -> int:
    """Queue the import's PENDING rows in chunks of 500, once the transaction commits. Returns
    the chunks."""
    with unit_of_work():
        ids = list(db.session.scalars(select(PaymentImportRow.id).where(
            PaymentImportRow.import_id == import_id, PaymentImportRow.status == R.PENDING.value)
            .order_by(PaymentImportRow.id)))
        chunks = [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]
        for chunk in chunks:
            queue_task("import_payment_rows", import_id, chunk[0], chunk[-1])
    return len(chunks)


def idempotency_key(method: str, reference: str) -> str:
    """The one-time key of an online reference (the payment service's key alphabet)."""
    return "import-" + hashlib.sha256(f"{method}:{reference.upper()}".encode()).hexdigest()[:40]


def _set_row(row_id: int, **values: Any) -> None:
    """Settle a row (in the caller's unit of work)."""
    db.session.execute(update(PaymentImportRow).where(PaymentImportRow.id == row_id).values(**values)
                       .execution_options(synchronize_session=False))


def _counter_payment(method: str, reference: str) -> str | None:
    """A payment already recorded with this method and reference (at the counter)."""
    receipt: str | None = db.session.scalar(select(Payment.receipt_number).where(
        Payment.method == method, func.upper(Payment.reference_number) == reference.upper()).limit(1))
    return receipt


@dataclass(frozen=True)
class _Claimed:
    """A PENDING row that holds its reference's claim: what recording it needs."""

    enrollment_id: int
    amount: Decimal
    method: str
    reference: str
    cashier_id: int


def _claim(row_id: int) -> _Claimed | str:
    """Claim the row's reference (a unique column) unless a retry already holds it; a reference
    already recorded at the counter settles the row as DUPLICATE. Returns what to record, or
    the row's status when there is nothing to record. In the caller's unit of work."""
    row = db.session.get(PaymentImportRow, row_id)
    if row is None or row.status != R.PENDING.value:
        return row.status if row else R.REFUSED.value
    claim = f"{row.method}:{row.reference.upper()}"
    if row.claimed_reference != claim:  # not a retry: claim it now
        db.session.execute(update(PaymentImportRow).where(PaymentImportRow.id == row_id)
                           .values(claimed_reference=claim).execution_options(synchronize_session=False))
        receipt = _counter_payment(row.method, row.reference)
        if receipt:
            _set_row(row_id, status=R.DUPLICATE.value, claimed_reference=None,
                     reason=f"Already recorded at the counter (receipt {receipt}).")
            return R.DUPLICATE.value
    cashier_id = db.session.scalar(select(PaymentImport.cashier_id).where(PaymentImport.id == row.import_id))
    if row.term_enrollment_id is None or row.amount is None or cashier_id is None:  # pragma: no cover
        raise NotFound("That import row cannot be recorded.")  # PENDING rows always carry these
    return _Claimed(row.term_enrollment_id, row.amount, row.method, row.reference, cashier_id)


def _settle_claimed_elsewhere(row_id: int) -> str:
    """The row's reference is claimed by another row (this import or an earlier one): DUPLICATE."""
    with unit_of_work():
        row = db.session.get(PaymentImportRow, row_id)
        claim = f"{row.method}:{row.reference.upper()}" if row else ""
        holder = db.session.scalar(select(PaymentImportRow).where(PaymentImportRow.claimed_reference == claim))
        where = f" (import #{holder.import_id}, line {holder.line})" if holder else ""
        _set_row(row_id, status=R.DUPLICATE.value, reason=f"Already imported{where}.")
    return R.DUPLICATE.value


def record_row(row_id: int) -> str:
    """Record one PENDING row through the payment service (idempotent: a row already settled is
    left alone; a retried row replays its payment). The claim, the payment and the row's
    outcome are three units of work, so a crash between them is finished by a retry. Returns
    the row's status."""
    try:
        with unit_of_work():
            claimed = _claim(row_id)
    except IntegrityError:  # the unique claim: another row holds this reference
        return _settle_claimed_elsewhere(row_id)
    if isinstance(claimed, str):
        return claimed
    cashier = db.session.get(User, claimed.cashier_id)
    if cashier is None:  # pragma: no cover - an import's cashier is never deleted
        raise NotFound("The cashier of this import does not exist.")
    try:
        result = record_payment(claimed.enrollment_id, claimed.amount, claimed.method, claimed.reference,
                                cashier, idempotency_key(claimed.method, claimed.reference))
    except DomainError as error:
        with unit_of_work():
            _set_row(row_id, status=R.REFUSED.value, claimed_reference=None, reason=error.message[:300])
        return R.REFUSED.value
    with unit_of_work():
        _set_row(row_id, status=R.RECORDED.value, payment_id=result.payment_id, receipt_number=result.receipt_number)
    return R.RECORDED.value


def record_rows(import_id: int, first_id: int, last_id: int) -> dict[str, int]:
    """The queued chunk: record each PENDING row of the import between two row ids (each row
    in its own units of work, so a crash keeps what was recorded), then mark the import DONE
    when no row is PENDING any more."""
    with unit_of_work():
        job = db.session.get(PaymentImport, import_id)
        if job is None:
            return {}
        if job.status == ImportStatus.QUEUED.value:
            job.status = ImportStatus.RUNNING.value
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
    with unit_of_work():
        pending = db.session.scalar(select(func.count(PaymentImportRow.id)).where(
            PaymentImportRow.import_id == import_id, PaymentImportRow.status == R.PENDING.value))
        if not pending:
            db.session.execute(update(PaymentImport).where(PaymentImport.id == import_id,
                                                           PaymentImport.status != ImportStatus.DONE.value)
                               .values(status=ImportStatus.DONE.value, finished_at=now()))


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
    """How far an import has come: its rows counted by status."""
    job = get_import(import_id, viewer)
    counts = {r.status: r.rows for r in db.session.execute(
        select(PaymentImportRow.status, func.count(PaymentImportRow.id).label("rows"))
        .where(PaymentImportRow.import_id == import_id).group_by(PaymentImportRow.status))}
    return Progress(job, counts)


def refused_rows(import_id: int, limit: int = 1000) -> list[PaymentImportRow]:
    """Rows refused or skipped, with their reason, in file order (the summary's list)."""
    return list(db.session.scalars(select(PaymentImportRow).where(
        PaymentImportRow.import_id == import_id, PaymentImportRow.status.in_([R.REFUSED.value, R.DUPLICATE.value]))
        .order_by(PaymentImportRow.line).limit(limit)))


def recent_imports(viewer: User, limit: int = 20) -> list[PaymentImport]:
    """The latest imports, newest first (cashiers share the counter's imports)."""
    _require_cashier(viewer)
    return list(db.session.scalars(select(PaymentImport).order_by(PaymentImport.id.desc()).limit(limit)))
