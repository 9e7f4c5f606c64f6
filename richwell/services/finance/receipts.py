"""Official receipts: who may see one, what it says, and its PDF (made by the queue after the
payment commits, re-runnable, regenerated on demand when missing)."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import aliased, selectinload

from richwell.extensions import db
from richwell.models import Payment, PaymentKind, PaymentMethod, Student, TermEnrollment, User
from richwell.services.platform import papers, school, storage
from richwell.services.platform.clock import MANILA, to_manila
from richwell.services.platform.errors import NotFound
from richwell.services.platform.paper_pdf import PaperPDF, latin1
from richwell.services.platform.unit_of_work import queue_task, unit_of_work

from .access import is_finance_staff, sees_student

log = logging.getLogger(__name__)

RECEIPT_NUMBER_RE = re.compile(r"^OR-[0-9]{4}-[0-9]{6}$")
RECEIPT_AREA = "receipts"


RECEIPTS_PATH = "/receipts/"


def receipt_path(receipt_number: str) -> str:
    """The receipt page's path (the link a notification carries)."""
    return RECEIPTS_PATH + receipt_number


def _load(receipt_number: str | None) -> Payment | None:
    if not RECEIPT_NUMBER_RE.match(str(receipt_number or "")):
        return None
    payment: Payment | None = db.session.scalar(
        select(Payment)
        .options(selectinload(Payment.allocations), selectinload(Payment.cashier),
                 selectinload(Payment.reversal).selectinload(Payment.cashier),
                 selectinload(Payment.enrollment).selectinload(TermEnrollment.term),
                 selectinload(Payment.enrollment).selectinload(TermEnrollment.student)
                 .selectinload(Student.user),
                 selectinload(Payment.enrollment).selectinload(TermEnrollment.student)
                 .selectinload(Student.program))
        .where(Payment.receipt_number == receipt_number, Payment.kind == PaymentKind.PAYMENT.value))
    return payment


def can_view(payment: Payment, viewer: User | None) -> bool:
    """Cashiers and admins see every receipt; a student only their own; nobody else any."""
    return sees_student(viewer, payment.enrollment.student.user_id)


def receipt_for(receipt_number: str, viewer: User | None) -> Payment:
    """The receipt if this viewer may see it; otherwise not found (no hint that it exists)."""
    payment = _load(receipt_number)
    if payment is None or not can_view(payment, viewer):
        raise NotFound("That receipt does not exist.")
    return payment


def receipt_to_reverse(receipt_number: str, viewer: User | None) -> Payment:
    """The receipt, for a viewer who may reverse payments (cashier or admin); for anyone else
    it does not exist."""
    if not is_finance_staff(viewer):
        raise NotFound("That receipt does not exist.")
    return receipt_for(receipt_number, viewer)


def can_reverse(payment: Payment, viewer: User | None) -> bool:
    """Cashiers and admins may reverse a payment not reversed yet."""
    return is_finance_staff(viewer) and payment.reversal is None


# --------------------------------------------------------------------------- words

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _words_below_thousand(n: int) -> str:
    parts = []
    if n >= 100:
        parts.append(f"{_ONES[n // 100]} hundred")
        n %= 100
    if n >= 20:
        parts.append(_TENS[n // 10] + (f"-{_ONES[n % 10]}" if n % 10 else ""))
    elif n or not parts:
        parts.append(_ONES[n])
    return " ".join(parts)


def amount_in_words(amount: Decimal) -> str:
    """'Five thousand two hundred pesos and 50/100', as written on a Philippine receipt."""
    amount = Decimal(amount).quantize(Decimal("0.01"))
    pesos = int(amount)
    centavos = int((amount - pesos) * 100)
    chunks = []
    for size, name in ((1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand"), (1, "")):
        if pesos >= size:
            chunks.append((_words_below_thousand(pesos // size) + (f" {name}" if name else "")).strip())
            pesos %= size
    words = " ".join(chunks) if chunks else "zero"
    unit = "peso" if int(amount) == 1 else "pesos"
    return f"{words[0].upper()}{words[1:]} {unit} and {centavos:02d}/100"


# --------------------------------------------------------------------------- data and PDF


@dataclass(frozen=True)
class ReceiptData:
    receipt_number: str
    issued_at: datetime
    student_name: str
    student_number: str
    program: str
    term: str
    amount: Decimal
    amount_words: str
    method: str
    reference_number: str | None
    allocations: list[tuple[int, Decimal]]
    credit_added: Decimal
    cashier: str
    void_reason: str | None
    void_at: datetime | None


def receipt_data(payment: Payment) -> ReceiptData:
    """Everything printed on a receipt, as plain values (HTML and PDF share it)."""
    if payment.receipt_number is None:
        raise ValueError("a reversal has no receipt of its own")
    student = payment.enrollment.student
    reversal = payment.reversal
    return ReceiptData(
        receipt_number=payment.receipt_number, issued_at=payment.created_at.astimezone(MANILA),
        student_name=student.user.full_name, student_number=student.student_number,
        program=f"{student.program.code} — {student.program.name}", term=payment.enrollment.term.name,
        amount=payment.amount, amount_words=amount_in_words(payment.amount),
        method=PaymentMethod(payment.method).label, reference_number=payment.reference_number,
        allocations=[(a.month, a.amount) for a in payment.allocations], credit_added=payment.credit_change,
        cashier=payment.cashier.full_name,
        void_reason=reversal.reason if reversal else None,
        void_at=to_manila(reversal.created_at) if reversal else None)


def render_pdf(data: ReceiptData) -> bytes:
    """The receipt on a half sheet of letter paper (8.5 × 5.5 in, landscape), with the school's
    name, address, TIN and receipt permit, in the receipt page's words (`platform.papers`)."""
    details = school.details()
    pdf = PaperPDF(details, papers.RECEIPT_TITLE, size_mm=papers.RECEIPT_MM, orientation="L")
    pdf.page_numbers = False  # one page, always
    pdf.set_auto_page_break(False)
    pdf.set_margins(12, 9, 12)
    pdf.add_page()
    width = pdf.content_width
    seal = details.seal_file
    if seal is not None:
        pdf.image(str(seal), x=12, y=9, w=14, h=14)
    left = 12 + (17 if seal is not None else 0)
    pdf.set_xy(left, 9)
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(width * 0.62, 6, latin1(details.name.upper()))
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 6, data.receipt_number, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(left)
    pdf.set_font("Helvetica", "", 8.5)
    pdf.cell(width * 0.62, 4.5, latin1(details.address))
    pdf.cell(0, 4.5, latin1(papers.RECEIPT_TITLE.upper()), align="R", new_x="LMARGIN", new_y="NEXT")
    tax = " - ".join(part for part in (f"{papers.TIN} {details.tin}" if details.tin else "",
                                        f"{papers.RECEIPT_PERMIT} {details.receipt_permit}"
                                        if details.receipt_permit else "") if part)
    pdf.set_x(left)
    pdf.cell(width * 0.62, 4.5, latin1(tax))
    pdf.cell(0, 4.5, data.issued_at.strftime("%B %d, %Y %I:%M %p"), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.line(12, pdf.get_y() + 2, 12 + width, pdf.get_y() + 2)
    pdf.ln(4)

    def row(label: str, value: str, bold: bool = False) -> None:
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(36, 5.5, label)
        pdf.set_font("Helvetica", "B" if bold else "", 10)
        pdf.multi_cell(width - 36, 5.5, latin1(value), new_x="LMARGIN", new_y="NEXT")

    applied = [f"Month {m}: PHP {a:,.2f}" for m, a in data.allocations]
    if data.credit_added:
        applied.append(f"Credit balance: PHP {data.credit_added:,.2f}")
    method = data.method + (f" - ref. {data.reference_number}" if data.reference_number else "")
    values = (f"{data.student_name} ({data.student_number})", data.program, data.term, f"PHP {data.amount:,.2f}",
              data.amount_words, method, "; ".join(applied), data.cashier)
    for label, value in zip(papers.RECEIPT_LABELS, values):
        row(label, value, bold=label in ("Received from", "Amount"))
    if data.void_reason:
        pdf.ln(2)
        pdf.set_text_color(160, 20, 20)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(width, 6, latin1(f"{papers.VOID} - reversed {data.void_at:%B %d, %Y}: {data.void_reason}"),
                       new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.set_y(pdf.h - 15)
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(width, 4, latin1(papers.RECEIPT_FOOTER), align="C")
    return bytes(pdf.output())


def pdf_relative_path(receipt_number: str, void: bool = False) -> str:
    """Where a receipt's PDF lives in the receipts area (`payments.receipt_pdf_path`); a
    reversed one gets its own VOID file."""
    return f"{receipt_number[3:7]}/{receipt_number}{'-VOID' if void else ''}.pdf"


def pdf_key(relative: str) -> str:
    """The storage key of a receipt PDF (services.platform.storage)."""
    return f"{RECEIPT_AREA}/{relative}"


def ensure_pdf(payment_id: int, *, force: bool = False) -> str | None:
    """Write the payment's receipt PDF if it is missing (or `force`), record where, and return
    its storage key. Safe to run twice or concurrently (whole-file writes; same content)."""
    with unit_of_work():
        payment = db.session.get(Payment, payment_id)
        if payment is None or payment.is_reversal or payment.receipt_number is None:
            return None
        number = payment.receipt_number
        relative = pdf_relative_path(number, void=payment.reversal is not None)
        key = pdf_key(relative)
        if payment.receipt_pdf_path == relative and not force and storage.exists(key):
            return key
        loaded = _load(number)
        if loaded is None:  # pragma: no cover - the payment was read just above
            return None
        storage.put(key, render_pdf(receipt_data(loaded)), "application/pdf")
        if payment.receipt_pdf_path != relative:
            db.session.execute(update(Payment).where(Payment.id == payment_id).values(receipt_pdf_path=relative)
                               .execution_options(synchronize_session=False))
    return key


def pdf_for(payment: Payment) -> bytes:
    """The receipt PDF for download: the stored file, written on the spot when it is missing
    (the queue's task was lost, or the store was emptied), so nobody waits for the sweep."""
    if payment.receipt_number is None:
        raise NotFound("That receipt does not exist.")
    relative = pdf_relative_path(payment.receipt_number, void=payment.reversal is not None)
    if payment.receipt_pdf_path == relative:
        try:
            return storage.get(pdf_key(relative))
        except storage.StoredFileMissing:
            log.warning("receipt PDF %s missing from storage; writing it again", relative)
    key = ensure_pdf(payment.id, force=True)
    if key is None:  # pragma: no cover - a receipt always belongs to a payment
        raise NotFound("That receipt does not exist.")
    return storage.get(key)


def queue_pdf(payment_id: int) -> None:
    """Ask the queue for the receipt PDF once the payment has committed. A queue outage never
    fails the payment: the hourly sweep writes whatever is missing."""
    queue_task("generate_receipt_pdf", payment_id)


def sweep_missing_pdfs(limit: int = 500) -> int:
    """Write the PDFs of payments that have none yet, or whose reversal is not yet marked on
    their PDF (the hourly sweep). Returns how many were written."""
    reversal = aliased(Payment)
    with unit_of_work():  # a short read: each PDF is then written in its own unit of work
        ids = list(db.session.scalars(
            select(Payment.id).outerjoin(reversal, reversal.reverses_id == Payment.id)
            .where(Payment.kind == PaymentKind.PAYMENT.value,
                   or_(Payment.receipt_pdf_path.is_(None),
                       and_(reversal.id.is_not(None), Payment.receipt_pdf_path.not_like("%-VOID.pdf"))))
            .order_by(Payment.id).limit(limit)))
    done = 0
    for payment_id in ids:
        if ensure_pdf(payment_id) is not None:
            done += 1
    return done
