"""Transcripts: the student's full record by term plus credits, units earned and cumulative
GPA; issued copies carry an unguessable verification code (and a QR to /verify/<code>).

An issued transcript stores a snapshot of the record, so a reprint or a verification shows
exactly what was issued, whatever changes later.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import segno
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
from richwell.services.platform import audit, papers, school
from richwell.services.platform.clock import now, to_manila
from richwell.services.platform.codes import new_code, normalize_code
from richwell.services.platform.errors import NotFound
from richwell.services.platform.paper_pdf import PaperPDF, latin1
from richwell.services.platform.unit_of_work import unit_of_work

from . import gpa
from .access import get_student


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
        transcript = make(new_code())
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


def prepared_by_name(transcript: Transcript) -> str:
    """Who prepared an official transcript (the registrar who issued it); a student's own
    copy leaves the line blank."""
    official = transcript.kind == TranscriptKind.OFFICIAL.value
    return transcript.issued_by.full_name if official and transcript.issued_by else ""


def transcript_pdf(transcript: Transcript, verify_url: str) -> bytes:
    """The transcript as a PDF: portrait on the `paper_size` paper, the school's seal and
    heading, the verification code and its QR, each term's table (header row repeated on every
    page), page numbers and the signature lines, in the transcript page's words."""
    snap = transcript.snapshot
    issued = to_manila(transcript.issued_at) or transcript.issued_at
    details = school.details()
    pdf = PaperPDF(details, papers.TRANSCRIPT_TITLE)
    pdf.add_page()
    pdf.heading(transcript.kind_label)
    qr = segno.make(verify_url, error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=4, border=2)
    buffer.seek(0)
    top = pdf.get_y()
    pdf.image(buffer, x=pdf.w - pdf.r_margin - 26, y=top, w=26)
    student = snap["student"]
    pdf.facts([("Name", student["name"]), ("Student number", student["number"]),
               ("Program", f"{student['program_code']} {student['program_name']}"),
               ("Admission", student["admission_type"].title()),
               ("Issued", issued.strftime("%b %d, %Y %I:%M %p")),
               ("Verification code", transcript.code)])
    pdf.set_y(max(pdf.get_y(), top + 28))
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(0, 5, latin1(f"Verify at {verify_url}"), new_x="LMARGIN", new_y="NEXT")
    widths = (22, 92, 14, 18, 30)
    aligns = ("L", "L", "R", "L", "L")
    for term in snap["terms"]:
        gpa_text = f"   Term GPA {term['gpa']}" if term["gpa"] else ""
        pdf.section_title(f"{term['name']}{gpa_text}")
        rows = [(s["code"], s["title"], s["units"], s["grade"] or "-",
                 s["status"].title() + (" (retake)" if s["retake"] else "")) for s in term["subjects"]]
        pdf.grid_table(papers.TRANSCRIPT_HEADS, widths, rows, align=aligns)
    if snap["credits"]:
        pdf.section_title("Credited subjects (transfer)")
        rows = [(c["code"], f"{c['title'][:40]} ({c['source_school'][:30]})", c["units"], c["original_grade"],
                 "Credited" + (", in GPA" if c["in_gpa"] else "")) for c in snap["credits"]]
        pdf.grid_table(papers.TRANSCRIPT_HEADS, widths, rows, align=aligns)
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, latin1(f"Units earned: {snap['units_earned']}    Cumulative GPA: "
                          f"{snap['cumulative_gpa'] or 'none yet'}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 4, latin1(papers.GRADING_NOTE), new_x="LMARGIN", new_y="NEXT")
    prepared_by = prepared_by_name(transcript)
    pdf.signature_lines(papers.TRANSCRIPT_SIGNATURES, (prepared_by, "", details.registrar_name))
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(0, 5, latin1(papers.NOT_VALID_WITHOUT_SEAL), align="C")
    return bytes(pdf.output())
