"""Official papers (issue 16): the school's details edited by the admin, each paper's print
sheet, and the COR, receipt and transcript PDFs (page size, orientation, words)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from richwell.extensions import db
from richwell.models import AuditEntry, Setting, Transcript
from richwell.services.platform import papers, settings
from tests.factories import add_to_class, make_class, make_enrollment, make_student, make_user, pay, post_grades

A4 = (595.28, 841.89)  # points
LETTER = (612.0, 792.0)
HALF_LETTER_LANDSCAPE = (612.0, 396.0)
STATIC = Path(__file__).resolve().parents[2] / "static"

SCHOOL = {"school_name": "Richwell Colleges, Inc.", "school_address": "Ñ Street, Plaridel, Bulacan 3004",
          "school_tin": "000-123-456-00000", "school_receipt_permit": "ATP No. 25-0001 issued Jan 05, 2026",
          "school_registrar_name": "Maria Cruz"}


def _pdf(body: bytes) -> PdfReader:
    assert body.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(body))


def _size(reader: PdfReader, page: int = 0) -> tuple[float, float]:
    box = reader.pages[page].mediabox
    return round(float(box.width), 2), round(float(box.height), 2)


def _text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def school_set(app):
    admin = make_user(role="admin")
    settings.update(admin, SCHOOL)
    return SCHOOL


# --------------------------------------------------------------------------- settings


def test_the_admin_edits_the_schools_details_and_each_change_is_audited(as_role):
    client, admin = as_role("admin")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'name="school_tin"' in page and 'name="paper_size"' in page and "richwell-seal.png" in page
    form = {**{k: str(v) for k, v in settings.all_values().items() if not isinstance(v, bool)}, **SCHOOL,
            "paper_size": "Letter"}
    form["enrollment_link_enabled"] = ""
    response = client.post("/admin/settings", data={k: v for k, v in form.items() if v != ""} | {
        "school_tin": SCHOOL["school_tin"]})
    assert response.status_code == 302
    assert settings.get("school_tin") == SCHOOL["school_tin"] and settings.get("paper_size") == "Letter"
    audited = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "settings.change")).all()
    assert {"school_tin", "school_receipt_permit", "paper_size"} <= {a.target_id for a in audited}


@pytest.mark.parametrize(("key", "value", "message"), [
    ("school_name", "   ", "required"),
    ("school_tin", "123\x00456", "control characters"),
    ("school_address", "x" * 301, "at most 300"),
    ("school_seal_path", "../richwell/config.py", "under static/"),
    ("school_seal_path", "img/none.png", "no file"),
    ("paper_size", "A3", "one of A4, Letter"),
])
def test_bad_school_details_are_refused_at_their_field_and_nothing_changes(as_role, key, value, message):
    client, _ = as_role("admin")
    form = {k: str(v) for k, v in settings.all_values().items() if not isinstance(v, bool)}
    form[key] = value
    response = client.post("/admin/settings", data=form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(Setting).where(Setting.key == key)) is None


def test_details_fall_back_to_the_deployment_config_until_the_admin_sets_them(app):
    from richwell.services.platform import school

    app.config["SCHOOL_TIN"] = "111-222-333-000"
    assert school.details().tin == "111-222-333-000"
    settings.update(make_user(role="admin"), {"school_tin": "999-888-777-000"})
    assert school.details().tin == "999-888-777-000"


# --------------------------------------------------------------------------- print sheets


def test_only_the_weekly_grid_prints_landscape():
    app_css = (STATIC / "css/app.css").read_text()
    assert "size: landscape" not in app_css  # the old rule turned every printed page landscape
    grid = (STATIC / "css/print/grid.css").read_text()
    assert "@page weekly-grid { size: landscape; }" in grid and ".weekly-grid { page: weekly-grid;" in grid
    for sheet in ("print.css", "print/cor.css", "print/transcript.css", "print/receipt.css", "print/portrait.css"):
        text = (STATIC / "css" / sheet).read_text()
        assert "size: landscape" not in text.replace("@page weekly-grid { size: landscape; }", "")
    portrait = (STATIC / "css/print/portrait.css").read_text()
    assert "size: A4 portrait" in portrait and "size: letter portrait" in portrait
    assert "counter(page)" in portrait and "table-header-group" in portrait
    assert "size: 8.5in 5.5in" in (STATIC / "css/print/receipt.css").read_text()


def test_each_paper_links_its_own_print_sheet_and_prints_the_school(client, login, school_set):
    enrollment = make_enrollment(commitment="1000.00")
    result = pay(enrollment, "1000.00")
    login(enrollment.student.user)
    cor = client.get("/student/registration").get_data(as_text=True)
    assert "css/print/cor.css" in cor and "paper-A4" in cor and SCHOOL["school_address"] in cor
    assert "Student&#39;s signature" in cor and "Maria Cruz" in cor and 'alt="Seal of' in cor
    receipt = client.get(f"/receipts/{result.receipt_number}").get_data(as_text=True)
    assert "css/print/receipt.css" in receipt
    for value in (SCHOOL["school_tin"], SCHOOL["school_receipt_permit"], SCHOOL["school_address"]):
        assert value in receipt
    assert "onclick" not in cor + receipt and "<style" not in cor + receipt


# --------------------------------------------------------------------------- PDFs


def test_cor_pdf_is_portrait_a4_or_letter_with_the_school_and_the_assessment(client, login, school_set):
    enrollment = make_enrollment(commitment="1500.00")
    login(enrollment.student.user)
    response = client.get("/student/registration.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = _pdf(response.data)
    assert _size(reader) == A4
    text = _text(reader)
    for words in (papers.COR_TITLE, "Richwell Colleges, Inc.".upper(), SCHOOL["school_address"],
                  papers.ASSESSMENT_TITLE, "Month 6", "PHP 1,500.00", "Due", "Student's signature", "Registrar",
                  "Maria Cruz", "Page 1 of 1", enrollment.student.student_number):
        assert words in text, words
    term_start = enrollment.term.start_date
    assert term_start.strftime("%b %d, %Y") in text  # month 1 falls due on the term's first day

    settings.update(make_user(role="admin"), {"paper_size": "Letter"})
    assert _size(_pdf(client.get("/student/registration.pdf").data)) == LETTER


def test_a_print_of_another_students_cor_is_not_found(client, login):
    mine, theirs = make_enrollment(), make_enrollment()
    login(mine.student.user)
    assert client.get(f"/student/registration?enrollment={mine.id}").status_code == 200
    assert client.get(f"/student/registration?enrollment={theirs.id}").status_code == 404
    assert client.get(f"/student/registration.pdf?enrollment={theirs.id}").status_code == 404
    assert client.get("/student/registration.pdf?enrollment=x").status_code == 400


def test_the_registrar_downloads_any_students_cor_pdf(as_role):
    enrollment = make_enrollment()
    client, _ = as_role("registrar")
    page = client.get(f"/registrar/enrollments/{enrollment.id}/registration").get_data(as_text=True)
    assert f"/registrar/enrollments/{enrollment.id}/registration.pdf" in page
    assert _size(_pdf(client.get(f"/registrar/enrollments/{enrollment.id}/registration.pdf").data)) == A4
    assert client.get("/registrar/enrollments/999999/registration.pdf").status_code == 404


def test_receipt_pdf_is_a_half_letter_sheet_landscape_with_tin_and_permit(as_role, school_set):
    result = pay(make_enrollment(commitment="1000.00"), "1234.50", method="GCASH", reference="GC-55")
    client, _ = as_role("cashier")
    reader = _pdf(client.get(f"/receipts/{result.receipt_number}/pdf").data)
    assert len(reader.pages) == 1
    width, height = _size(reader)
    assert (width, height) == HALF_LETTER_LANDSCAPE and width > height
    text = _text(reader)
    for words in ("RICHWELL COLLEGES, INC.", SCHOOL["school_address"], f"TIN {SCHOOL['school_tin']}",
                  SCHOOL["school_receipt_permit"], papers.RECEIPT_TITLE.upper(), result.receipt_number,
                  *papers.RECEIPT_LABELS, papers.RECEIPT_FOOTER):
        assert words in text, words


def test_transcript_pdf_is_portrait_with_the_seal_and_the_signature_lines(login, as_role, school_set):
    student = make_student()
    offering = make_class(program=student.program, code="IT101", title="Programming 1")
    post_grades(offering, {add_to_class(offering, student).id: "1.25"})
    registrar, user = as_role("registrar")
    registrar.post(f"/registrar/grades/students/{student.id}/transcript")
    issued = db.session.scalar(select(Transcript))
    html = registrar.get(f"/registrar/transcripts/{issued.id}").get_data(as_text=True)
    reader = _pdf(registrar.get(f"/registrar/transcripts/{issued.id}.pdf").data)
    assert _size(reader) == A4
    text = _text(reader)
    for words in (*papers.TRANSCRIPT_SIGNATURES, "RICHWELL COLLEGES, INC.", SCHOOL["school_address"],
                  papers.TRANSCRIPT_TITLE, "IT101", issued.code, user.full_name, "Maria Cruz", "Page 1 of 1"):
        assert words in text, words
        # The page says the same (the school's name is upper-cased by the PDF only).
        assert words.replace("'", "&#39;").lower() in html.lower() or words == "Page 1 of 1", words
    images = reader.pages[0].images
    assert len(images) == 2  # the seal and the verification QR


def test_long_tables_repeat_their_header_row_and_number_every_page(app):
    from richwell.services.platform import school
    from richwell.services.platform.paper_pdf import PaperPDF

    pdf = PaperPDF(school.details(), papers.TRANSCRIPT_TITLE)
    pdf.add_page()
    pdf.heading()
    pdf.grid_table(papers.TRANSCRIPT_HEADS, (22, 92, 14, 18, 30),
              [(f"IT{n:03d}", f"Subject {n}", 3, "1.00", "Passed") for n in range(120)])
    reader = _pdf(bytes(pdf.output()))
    assert len(reader.pages) >= 3
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert "Code" in text and "Remarks" in text  # the header row on every page
        assert f"Page {number} of {len(reader.pages)}" in text
