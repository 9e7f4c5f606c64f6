"""The Certificate of Registration as a PDF: portrait on the `paper_size` paper, the school's
heading, the subjects (header row repeated on each page), the assessment with each month's due
date, signature lines and page numbers; the same words as the COR page (`platform.papers`)."""
from __future__ import annotations

from richwell.services.platform import papers, school
from richwell.services.platform.paper_pdf import PaperPDF

from .cor import Registration


def _peso(amount: object) -> str:
    return f"PHP {amount:,.2f}"


def registration_pdf(cor: Registration) -> bytes:
    """The COR's PDF (what `registration()` returned, so ownership was already checked)."""
    details = school.details()
    pdf = PaperPDF(details, papers.COR_TITLE)
    pdf.add_page()
    pdf.heading(cor.term_name)
    pdf.facts(list(zip(papers.COR_FACTS, (
        cor.student_number, cor.student_name, f"{cor.program_code} - {cor.program_name}", cor.year_level,
        cor.status.title(), cor.issued_on.strftime("%b %d, %Y")))))
    pdf.section_title("Subjects")
    rows: list[tuple[object, ...]] = []
    for s in cor.subjects:
        when = "; ".join(f"{m.when}{f' {m.room}' if m.room else ''}" for m in s.meetings) or "TBA"
        rows.append((s.code, s.title + (" (retake)" if s.is_retake else ""), s.section_code or "TBA", when,
                     s.professor, s.units))
    if not rows:
        rows.append(("", "No subjects enrolled.", "", "", "", ""))
    pdf.grid_table(papers.COR_SUBJECT_HEADS, (16, 46, 16, 46, 28, 10), rows, align=("L", "L", "L", "L", "L", "R"),
              foot=[("", "Total units", "", "", "", cor.total_units)])
    pdf.section_title(papers.ASSESSMENT_TITLE)
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5.5, f"Monthly commitment: {_peso(cor.monthly_commitment)} x {len(cor.buckets)} months",
             new_x="LMARGIN", new_y="NEXT")
    buckets = [(f"Month {b.month}", b.due.strftime("%b %d, %Y") if b.due else "-", _peso(b.required),
                _peso(b.paid), _peso(b.remaining)) for b in cor.buckets]
    foot = [("Total", "", _peso(cor.total_due), _peso(cor.total_paid), _peso(cor.balance))]
    if cor.credit_balance:
        foot.append(("Credit balance", "", "", "", _peso(cor.credit_balance)))
    pdf.grid_table(papers.ASSESSMENT_HEADS, (20, 26, 26, 26, 26), buckets, align=("L", "L", "R", "R", "R"), foot=foot)
    pdf.signature_lines(papers.COR_SIGNATURES, ("", details.registrar_name))
    return bytes(pdf.output())
