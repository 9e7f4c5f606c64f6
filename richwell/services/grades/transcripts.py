"""Transcripts: the student's full record by term plus credits, units earned and cumulative
GPA; issued copies carry an unguessable verification code (and a QR to /verify/<code>).

An issued transcript stores a snapshot of the record, so a reprint or a verification shows
exactly what was issued, whatever changes later.
"""
from __future__ import annotations

import base64
import io
import re
import secrets
from collections.abc import Callable
from typing import Any

import segno
from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from richwell.extensions import db
from richwell.models import (
    CreditStatus,
    Role,
    Subject,
    SubjectEnrollment,
    SubjectEnrollmentStatus,
    Term,
    TermEnrollment,
    Transcript,
    TranscriptKind,
    TransferCredit,
    User,
)
from richwell.services.platform import audit
from richwell.services.platform.clock import now, to_manila
from richwell.services.platform.errors import NotFound
from richwell.services.platform.unit_of_work import unit_of_work

from . import gpa
from .access import get_student

CODE_BYTES = 10  # 80 random bits, 16 base32 characters
_CODE_CHARS = re.compile(r"[^A-Z2-7]")


def build_record(viewer: User | None, student_id: int) -> dict[str, Any]:
    """The student's record as plain data (the student's own, or any for a registrar): terms
    (oldest first) with subjects, term GPA and units earned; accepted credits; totals.
    Figures come from gpa.compute_for_student."""
    student = get_student(viewer, student_id)
    standing = gpa.compute_for_student(student.id)
    rows = db.session.execute(
        select(SubjectEnrollment, Subject, Term)
        .join(TermEnrollment, TermEnrollment.id == SubjectEnrollment.term_enrollment_id)
        .join(Term, Term.id == TermEnrollment.term_id)
        .join(Subject, Subject.id == SubjectEnrollment.subject_id)
        .where(TermEnrollment.student_id == student.id, SubjectEnrollment.dropped_at.is_(None))
        .order_by(Term.start_date, Subject.code)).all()
    terms: dict[int, dict[str, Any]] = {}
    for row in rows:
        se, subject, term = row.SubjectEnrollment, row.Subject, row.Term
        entry = terms.setdefault(term.id, {"term_id": term.id, "name": term.name, "subjects": [], "units_earned": 0,
                                           "gpa": None})
        entry["subjects"].append({"code": subject.code, "title": subject.title, "units": subject.units,
                                  "grade": se.grade if se.status != SubjectEnrollmentStatus.ENROLLED.value else None,
                                  "status": se.status, "retake": se.is_retake})
        if se.status == SubjectEnrollmentStatus.PASSED.value:
            entry["units_earned"] += subject.units
    for term_id, entry in terms.items():
        figure = standing.terms.get(term_id)
        entry["gpa"] = str(figure.gpa) if figure and figure.gpa is not None else None
    credits = db.session.execute(
        select(TransferCredit, Subject).join(Subject, Subject.id == TransferCredit.subject_id)
        .where(TransferCredit.student_id == student.id, TransferCredit.status == CreditStatus.ACCEPTED.value)
        .order_by(Subject.code)).all()
    cumulative = standing.cumulative_gpa
    return {
        "student": {"name": student.full_name, "number": student.student_number,
                    "program_code": student.program.code, "program_name": student.program.name,
                    "admission_type": student.admission_type, "year_level": standing.year_level},
        "terms": list(terms.values()),
        "credits": [_credit(row.TransferCredit, row.Subject) for row in credits],
        "units_earned": standing.units_earned,
        "gpa_units": standing.units,
        "cumulative_gpa": str(cumulative) if cumulative is not None else None,
    }


def _credit(credit: TransferCredit, subject: Subject) -> dict[str, Any]:
    return {"code": subject.code, "title": subject.title, "units": credit.units,
            "source_school": credit.source_school, "original_code": credit.original_code,
            "original_title": credit.original_title, "original_grade": credit.original_grade,
            "counted_in_gpa": credit.counted_in_gpa,
            "in_gpa": credit.counted_in_gpa and gpa.credit_hundredths(credit.original_grade) is not None}


def _new_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode()
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def normalize_code(code: str | None) -> str | None:
    """A code as printed (XXXX-XXXX-XXXX-XXXX) from what someone typed or scanned."""
    letters = _CODE_CHARS.sub("", (code or "").upper())
    if len(letters) != 16:
        return None
    return "-".join(letters[i:i + 4] for i in range(0, 16, 4))


def issue_transcript(actor: User, student_id: int) -> Transcript:
    """Issue a transcript with its own verification code: a registrar for any student (the
    official TOR), a student for themselves (a student copy). Audited."""
    with unit_of_work():
        student = get_student(actor, student_id)  # anyone else: the student does not exist
        kind = TranscriptKind.OFFICIAL if actor.is_registrar else TranscriptKind.STUDENT_COPY
        snapshot = build_record(actor, student.id)
        transcript = _add_with_new_code(lambda code: Transcript(
            student_id=student.id, code=code, kind=kind.value, snapshot=snapshot, issued_by_id=actor.id,
            issued_at=now()))
        audit.record(actor, "document.transcript_issue", transcript,
                     after={"student": student.student_number, "kind": kind.value, "code": transcript.code})
    return transcript


def _add_with_new_code(make: Callable[[str], Transcript]) -> Transcript:
    """Add a transcript with a fresh random code (another one should a code ever be taken)."""
    for _attempt in range(5):
        transcript = make(_new_code())
        try:
            with db.session.begin_nested():
                db.session.add(transcript)
        except IntegrityError:  # pragma: no cover - 80 random bits practically never collide
            continue
        return transcript
    raise RuntimeError("could not find an unused transcript code")  # pragma: no cover


def get_transcript(viewer: User | None, transcript_id: int) -> Transcript:
    """An issued transcript: registrars see any, a student only their own; others not found."""
    transcript = db.session.get(Transcript, transcript_id)
    if transcript is None or viewer is None:
        raise NotFound("That transcript does not exist.")
    if viewer.is_registrar:
        return transcript
    if viewer.role == Role.STUDENT.value and transcript.student.user_id == viewer.id:
        return transcript
    raise NotFound("That transcript does not exist.")


def issued_for(viewer: User | None, student_id: int) -> list[Transcript]:
    """The transcripts issued for a student, newest first (the student's own, or any for a registrar)."""
    student = get_student(viewer, student_id)
    return list(db.session.scalars(select(Transcript).where(Transcript.student_id == student.id)
                                   .order_by(Transcript.issued_at.desc(), Transcript.id.desc())).all())


def verify_code(code: str | None) -> dict[str, Any] | None:
    """What the public verification page may tell about a transcript code, or None when no
    transcript carries it: kind, student name and number, program, when issued, GPA, units."""
    normalized = normalize_code(code)
    if normalized is None:
        return None
    transcript = db.session.scalar(select(Transcript).where(Transcript.code == normalized))
    if transcript is None:
        return None
    snap = transcript.snapshot
    return {
        "valid": True,
        "document": "Transcript of records",
        "kind": transcript.kind_label,
        "code": transcript.code,
        "student_name": snap["student"]["name"],
        "student_number": snap["student"]["number"],
        "program": f'{snap["student"]["program_code"]} {snap["student"]["program_name"]}',
        "issued_at": transcript.issued_at,
        "cumulative_gpa": snap["cumulative_gpa"],
        "units_earned": snap["units_earned"],
    }


def qr_svg(url: str) -> str:
    """The verification QR as inline SVG for the printable page."""
    return segno.make(url, error="m").svg_inline(scale=3, dark="#000", light="#fff")


def _latin1(text: object) -> str:
    # The PDF's core fonts are Latin-1: keep ñ and é, replace what they cannot draw.
    value = "" if text is None else str(text)
    value = value.replace("—", "-").replace("–", "-").replace("’", "'").replace("…", "...")
    return value.encode("latin-1", "replace").decode("latin-1")


def transcript_pdf(transcript: Transcript, verify_url: str) -> bytes:
    """The transcript as a PDF (A4, printable), with the verification code and its QR."""
    snap = transcript.snapshot
    issued = to_manila(transcript.issued_at) or transcript.issued_at
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_title(_latin1(f"Transcript of records - {snap['student']['number']}"))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 8, "Richwell Colleges", new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, _latin1(transcript.kind_label), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.ln(3)
    qr = segno.make(verify_url, error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=4, border=2)
    buffer.seek(0)
    top = pdf.get_y()
    pdf.image(buffer, x=170, y=top, w=28)
    student = snap["student"]
    for label, value in (("Name", student["name"]), ("Student number", student["number"]),
                         ("Program", f"{student['program_code']} {student['program_name']}"),
                         ("Admission", student["admission_type"].title()),
                         ("Issued", issued.strftime("%b %d, %Y %I:%M %p")),
                         ("Verification code", transcript.code)):
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(38, 6, _latin1(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(0, 6, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + 30))
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(0, 5, _latin1(f"Verify at {verify_url}"), new_x="LMARGIN", new_y="NEXT")
    widths = (28, 102, 16, 20, 24)

    def header_row() -> None:
        pdf.set_font("Helvetica", "B", 9)
        pdf.set_fill_color(235, 235, 235)
        for width, text in zip(widths, ("Code", "Subject", "Units", "Grade", "Remarks")):
            pdf.cell(width, 6, text, border=1, fill=True)
        pdf.ln()

    for term in snap["terms"]:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 10)
        gpa_text = f"   Term GPA {term['gpa']}" if term["gpa"] else ""
        pdf.cell(0, 6, _latin1(f"{term['name']}{gpa_text}"), new_x="LMARGIN", new_y="NEXT")
        header_row()
        pdf.set_font("Helvetica", "", 9)
        for subject in term["subjects"]:
            remarks = subject["status"].title() + (" (retake)" if subject["retake"] else "")
            cells = (subject["code"], subject["title"][:60], str(subject["units"]), subject["grade"] or "-", remarks)
            for width, text in zip(widths, cells):
                pdf.cell(width, 6, _latin1(text), border=1)
            pdf.ln()
    if snap["credits"]:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, "Credited subjects (transfer)", new_x="LMARGIN", new_y="NEXT")
        header_row()
        pdf.set_font("Helvetica", "", 9)
        for credit in snap["credits"]:
            remarks = "Credited" + (", in GPA" if credit["in_gpa"] else "")
            cells = (credit["code"], f"{credit['title'][:40]} ({credit['source_school'][:30]})", str(credit["units"]),
                     credit["original_grade"], remarks)
            for width, text in zip(widths, cells):
                pdf.cell(width, 6, _latin1(text), border=1)
            pdf.ln()
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, _latin1(f"Units earned: {snap['units_earned']}    Cumulative GPA: "
                           f"{snap['cumulative_gpa'] or 'none yet'}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 4, "Grading: 1.00 (highest) to 3.00 (lowest passing); 5.00 failed; INC incomplete; "
                         "DRP dropped. GPA = sum(grade x units) / sum(units) over numeric final grades, "
                         "2 decimals rounded half up.")
    return bytes(pdf.output())
