"""The words printed on official papers, shared by each paper's HTML page and its PDF so the
two never drift apart (templates read them as `papers.*`), and the paper sizes they print on."""
from __future__ import annotations

RECEIPT_TITLE = "Official receipt"
COR_TITLE = "Certificate of Registration"
TRANSCRIPT_TITLE = "Transcript of records"
ASSESSMENT_TITLE = "Assessment"

TIN = "TIN"
RECEIPT_PERMIT = "Permit"
#: The receipt's lines, in order (label, then the value the paper prints beside it).
RECEIPT_LABELS = ("Received from", "Program", "Term", "Amount", "In words", "Paid by", "Applied to", "Cashier")
RECEIPT_FOOTER = "This official receipt is valid without signature when printed from the school's portal."
VOID = "VOID"

COR_FACTS = ("Student number", "Name", "Program", "Year level", "Enrollment status", "Issued")
COR_SUBJECT_HEADS = ("Code", "Title", "Section", "Schedule", "Professor", "Units")
ASSESSMENT_HEADS = ("Month", "Due", "Required", "Paid", "Remaining")
COR_SIGNATURES = ("Student's signature", "Registrar")

TRANSCRIPT_HEADS = ("Code", "Subject", "Units", "Grade", "Remarks")
TRANSCRIPT_SIGNATURES = ("Prepared by", "Verified by", "Registrar")
GRADING_NOTE = ("Grading: 1.00 (highest) to 3.00 (lowest passing); 5.00 failed; INC incomplete; "
                "DRP dropped. GPA = sum(grade x units) / sum(units) over numeric final grades, "
                "2 decimals rounded half up.")
NOT_VALID_WITHOUT_SEAL = "Not valid without the school's seal."


def page_label(page: int, pages: int | str) -> str:
    """'Page 2 of 3', at the foot of every page of a COR or transcript."""
    return f"Page {page} of {pages}"


#: Portrait paper of CORs and transcripts (the `paper_size` setting), in millimetres.
PORTRAIT_MM = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
#: The official receipt: half a letter sheet, landscape (8.5 × 5.5 in).
RECEIPT_MM = (215.9, 139.7)


def portrait_mm(paper: str) -> tuple[float, float]:
    """(width, height) of the portrait paper named by the setting; A4 when unknown."""
    return PORTRAIT_MM.get(paper, PORTRAIT_MM["A4"])
