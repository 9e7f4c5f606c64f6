"""A freshman applies online with documents, sees the student number, signs in and sees the plan."""
from __future__ import annotations

import pytest

from tests.factories import JPEG_BYTES, PDF_BYTES, PNG_BYTES, make_program, open_admissions

pytestmark = pytest.mark.usefixtures("empty_uploads")


def test_freshman_applies_with_documents_signs_in_and_sees_the_installment_plan(page, sign_in, live_server):
    program = open_admissions(program=make_program("BSIT", "Bachelor of Science in Information Technology"))
    page.goto("/apply")
    page.fill("#first_name", "Andrea")
    page.fill("#last_name", "Villamor")
    page.fill("#birthdate", "2007-02-14")
    page.select_option("#sex", "F")
    page.fill("#email", "andrea.villamor@example.com")
    page.fill("#mobile", "09171234567")
    page.fill("#address", "21 Mabini St., Malolos, Bulacan")
    page.select_option("#program_id", str(program.id))
    # The transferee fields appear only for transferees (HTMX) and go away again.
    page.select_option("#admission_type", "TRANSFEREE")
    page.locator("#previous_school").wait_for(state="visible")
    page.select_option("#admission_type", "FRESHMAN")
    page.locator("#previous_school").wait_for(state="detached")
    page.fill("#monthly_commitment", "2500")
    page.set_input_files("#id_document", files=[{"name": "id.png", "mimeType": "image/png", "buffer": PNG_BYTES}])
    page.set_input_files("#form138_document",
                         files=[{"name": "form138.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}])
    page.set_input_files("#good_moral_document",
                         files=[{"name": "good-moral.jpg", "mimeType": "image/jpeg", "buffer": JPEG_BYTES}])
    page.fill("#password", "andrea-secret-1")
    page.fill("#confirm_password", "andrea-secret-1")
    page.get_by_role("button", name="Submit my application").click()
    page.wait_for_url("**/apply/done")
    number = page.locator("#student-number").inner_text()
    assert number.endswith("-00001") and len(number) == 10

    sign_in(number, "andrea-secret-1")
    assert page.url == live_server + "/student/"
    assert "Welcome, Andrea" in page.locator("h1").inner_text()
    plan = page.locator("table.plan")
    assert "Installment plan" in plan.locator("caption").inner_text()
    assert plan.locator("tbody tr").count() == 6
    assert "₱\u00a015,000.00" in plan.locator("tfoot").inner_text()
    assert page.get_by_role("link", name="Valid ID").count() == 1
