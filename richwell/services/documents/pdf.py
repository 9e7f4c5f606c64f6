"""A generated document as a PDF (A4 portrait): the school's header, the title and release
number, the body from the snapshot, signature lines, the verification code with its QR, and
page numbers on every page."""
from __future__ import annotations

import io
from datetime import date
from typing import Any

import segno
from fpdf import FPDF

from richwell.models import DocumentRelease, ReleaseKind


def _latin1(text: object) -> str:
    # The core fonts are Latin-1: keep ñ and é, replace what they cannot draw.
    value = "" if text is None else str(text)
    for wide, narrow in (("—", "-"), ("–", "-"), ("’", "'"), ("…", "..."), ("₱", "PHP ")):
        value = value.replace(wide, narrow)
    return value.encode("latin-1", "replace").decode("latin-1")


class _Paper(FPDF):
    """A4 with the school's header on every page and "Page n of N" with the number below."""

    def __init__(self, snap: dict[str, Any], number: str, code: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.snap, self.number, self.code = snap, number, code
        self.alias_nb_pages()
        self.set_auto_page_break(auto=True, margin=22)

    def header(self) -> None:
        school = self.snap["school"]
        self.set_font("Helvetica", "B", 15)
        self.cell(0, 7, _latin1(school["name"]), new_x="LMARGIN", new_y="NEXT", align="C")
        self.set_font("Helvetica", "", 9)
        self.cell(0, 5, _latin1(school["address"]), new_x="LMARGIN", new_y="NEXT", align="C")
        self.cell(0, 5, "Office of the Registrar", new_x="LMARGIN", new_y="NEXT", align="C")
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(4)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 5, _latin1(f"{self.number}  ·  Verification code {self.code}  ·  "
                                f"Page {self.page_no()} of {{nb}}"), align="C")


def release_pdf(item: DocumentRelease, verify_url: str) -> bytes:
    """The release as a PDF, from its snapshot (what was released, whatever changed since)."""
    snap = item.snapshot or {}
    pdf = _Paper(snap, item.number, item.code)
    pdf.set_title(_latin1(f"{item.kind_label} - {snap['student']['number']} - {item.number}"))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin1(item.kind_label.upper()), new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("Helvetica", "", 9)
    released = date.fromisoformat(snap["released_on"])
    pdf.cell(0, 5, _latin1(f"No. {item.number}    Released {released:%B %d, %Y}"), new_x="LMARGIN",
             new_y="NEXT", align="C")
    pdf.ln(3)
    top = pdf.get_y()
    buffer = io.BytesIO()
    segno.make(verify_url, error="m").save(buffer, kind="png", scale=4, border=2)
    buffer.seek(0)
    pdf.image(buffer, x=pdf.w - pdf.r_margin - 26, y=top, w=26)
    student = snap["student"]
    for label, value in (("Name", student["name"]), ("Student number", student["number"]),
                         ("Program", f"{student['program_code']} {student['program_name']}"),
                         ("Purpose", item.purpose)):
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(34, 6, _latin1(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(120, 6, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + 28))
    pdf.ln(2)
    if item.kind == ReleaseKind.TOR.value:
        _record(pdf, snap["record"])
    if item.kind == ReleaseKind.COE.value:
        _subjects(pdf, snap["enrollment"])
    pdf.set_font("Helvetica", "", 11)
    for paragraph in snap.get("paragraphs", []):
        pdf.multi_cell(0, 6, _latin1(paragraph), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    _signatures(pdf, snap)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 4, _latin1(f"Verify this document at {verify_url} or scan the QR code. Not valid "
                                 "without the registrar's signature and the school's dry seal."))
    return bytes(pdf.output())


def _signatures(pdf: FPDF, snap: dict[str, Any]) -> None:
    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    pdf.ln(12)
    y = pdf.get_y()
    width = (pdf.w - pdf.l_margin - pdf.r_margin - 20) / 2
    for column, (name, role) in enumerate(((snap["prepared_by"], "Prepared by"),
                                           (snap["school"]["registrar_name"], "Registrar"))):
        x = pdf.l_margin + column * (width + 20)
        pdf.line(x, y + 8, x + width, y + 8)
        pdf.set_xy(x, y + 9)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(width, 5, _latin1(name.upper()), align="C")
        pdf.set_xy(x, y + 14)
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(width, 5, role, align="C")
    pdf.set_xy(pdf.l_margin, y + 24)


def _table_head(pdf: FPDF, widths: tuple[int, ...], titles: tuple[str, ...]) -> None:
    pdf.set_font("Helvetica", "B", 9)
    pdf.set_fill_color(235, 235, 235)
    for width, text in zip(widths, titles):
        pdf.cell(width, 6, text, border=1, fill=True)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)


def _record(pdf: FPDF, record: dict[str, Any]) -> None:
    widths = (28, 102, 16, 20, 24)
    titles = ("Code", "Subject", "Units", "Grade", "Remarks")
    for term in record["terms"]:
        pdf.set_font("Helvetica", "B", 10)
        gpa = f"   Term GPA {term['gpa']}" if term["gpa"] else ""
        pdf.cell(0, 6, _latin1(f"{term['name']}{gpa}"), new_x="LMARGIN", new_y="NEXT")
        _table_head(pdf, widths, titles)
        for subject in term["subjects"]:
            remarks = subject["status"].title() + (" (retake)" if subject["retake"] else "")
            for width, text in zip(widths, (subject["code"], subject["title"][:60], subject["units"],
                                            subject["grade"] or "-", remarks)):
                pdf.cell(width, 6, _latin1(text), border=1)
            pdf.ln()
        pdf.ln(2)
    if record["credits"]:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, "Credited subjects (transfer)", new_x="LMARGIN", new_y="NEXT")
        _table_head(pdf, widths, titles)
        for credit in record["credits"]:
            cells = (credit["code"], f"{credit['title'][:40]} ({credit['source_school'][:30]})", credit["units"],
                     credit["original_grade"], "Credited" + (", in GPA" if credit["in_gpa"] else ""))
            for width, text in zip(widths, cells):
                pdf.cell(width, 6, _latin1(text), border=1)
            pdf.ln()
        pdf.ln(2)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, _latin1(f"Units earned: {record['units_earned']}    Cumulative GPA: "
                           f"{record['cumulative_gpa'] or 'none yet'}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 4, "Grading: 1.00 (highest) to 3.00 (lowest passing); 5.00 failed; INC incomplete; "
                         "DRP dropped.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _subjects(pdf: FPDF, enrollment: dict[str, Any]) -> None:
    widths = (30, 130, 20)
    _table_head(pdf, widths, ("Code", "Subject", "Units"))
    for subject in enrollment["subjects"]:
        for width, text in zip(widths, (subject["code"], subject["title"][:70], subject["units"])):
            pdf.cell(width, 6, _latin1(text), border=1)
        pdf.ln()
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(160, 6, "Total units", border=1)
    pdf.cell(20, 6, str(enrollment["units"]), border=1, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
