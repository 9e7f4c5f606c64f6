"""A paid student picks subjects in the browser: the counter moves, a clash is flagged before
submitting, a drop frees the units, and the Certificate of Registration prints."""
from __future__ import annotations

import os

from playwright.sync_api import expect

from tests.factories import (
    DEFAULT_PASSWORD,
    make_enrollment,
    make_program,
    make_student,
    make_term,
    new_offering,
    new_section,
    new_subject,
    pay_first_month,
)

# HTMX round trips on a busy shared machine: give each expectation room before failing.
WAIT = 20_000


def test_paid_student_adds_sees_counter_and_clash_drops_and_prints_cor(page, sign_in, live_server):
    program = make_program(code="BSIT")
    term = make_term()
    student = make_student(program=program, email="picker.e2e@example.edu.ph", first_name="Liza")
    te = make_enrollment(student, term)
    pay_first_month(te)
    sec_a, sec_b = new_section(term, program, "BSIT-1A"), new_section(term, program, "BSIT-1B")
    it101 = new_subject(program, "IT101", title="Programming 1")
    it102 = new_subject(program, "IT102", title="Computing Basics", units=2)
    it103 = new_subject(program, "IT103", title="Discrete Math")
    o101 = new_offering(it101, sec_a, slots=[(0, "08:00", "09:30")])
    o102 = new_offering(it102, sec_a, slots=[(1, "08:00", "09:30")])
    o103 = new_offering(it103, sec_b, slots=[(0, "09:00", "10:30")])
    ids = {"it101": it101.id, "it102": it102.id, "it103": it103.id, "o101": o101.id, "o102": o102.id,
           "o103": o103.id}

    sign_in(student.student_number, DEFAULT_PASSWORD)
    shots = os.environ.get("RICHWELL_SCREENSHOTS")
    page.goto("/student/subjects")
    page.wait_for_function("() => window.htmx !== undefined")  # clicks before htmx loads would post plainly
    counter = page.locator("#unit-counter")
    expect(counter).to_contain_text("0 / 30", timeout=WAIT)

    page.locator(f"#add-{ids['o101']}").click()
    expect(counter).to_contain_text("3 / 30", timeout=WAIT)
    expect(page.locator(f"#subject-{ids['it101']}")).to_contain_text("Enrolled", timeout=WAIT)
    expect(page.locator("#picker-status")).to_contain_text("IT101 Programming 1 added in section BSIT-1A", timeout=WAIT)
    expect(page.locator("#schedule-preview")).to_contain_text("IT101", timeout=WAIT)

    page.locator(f"#add-{ids['o102']}").click()
    expect(counter).to_contain_text("5 / 30", timeout=WAIT)

    # The other cards refresh after each change: IT103 now says it clashes, before any submit.
    card = page.locator(f"#subject-{ids['it103']}")
    expect(card).to_contain_text("clashes with IT101 in section BSIT-1A (Mon 8:00 AM–9:30 AM)", timeout=WAIT)
    expect(page.locator(f"#add-{ids['o103']}")).to_have_count(0, timeout=WAIT)
    card.get_by_role("button", name="Preview").click()
    preview = page.locator("#schedule-preview")
    expect(preview.locator(".clash-warning")).to_contain_text("IT103 in section BSIT-1B", timeout=WAIT)
    expect(preview.locator(".wg-clash")).to_have_count(2, timeout=WAIT)

    if shots:
        page.screenshot(path=f"{shots}/picker.png", full_page=True)
    page.locator(f"#subject-{ids['it102']}").get_by_role("button", name="Drop").click()
    page.get_by_role("dialog", name="Drop IT102?").get_by_role("button", name="Drop IT102").click()
    expect(counter).to_contain_text("3 / 30", timeout=WAIT)
    expect(page.locator(f"#add-{ids['o102']}")).to_be_visible(timeout=WAIT)

    page.goto("/student/registration")
    cor = page.locator("article.cor")
    expect(cor).to_contain_text("Certificate of Registration", timeout=WAIT)
    expect(cor).to_contain_text(student.student_number, timeout=WAIT)
    expect(cor).to_contain_text("IT101", timeout=WAIT)
    expect(cor).not_to_contain_text("IT102")
    subjects = cor.get_by_role("table", name="Enrolled subjects")
    expect(subjects.get_by_role("row", name="Total units")).to_contain_text("3", timeout=WAIT)
    expect(cor).to_contain_text("₱\u00a05,000.00", timeout=WAIT)
    if shots:
        page.screenshot(path=f"{shots}/cor.png", full_page=True)
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden(timeout=WAIT)
    expect(page.get_by_role("button", name="Print")).to_be_hidden(timeout=WAIT)
    # Printed, the COR stays portrait: the grid (the one landscape paper) stays on screen, the
    # subject table carries the schedule (tests/e2e/test_papers_flow.py checks the page sizes).
    expect(cor.locator(".weekly-grid")).to_be_hidden(timeout=WAIT)
    expect(cor.get_by_role("table", name="Enrolled subjects")).to_be_visible(timeout=WAIT)
    assert page.pdf(prefer_css_page_size=True)[:4] == b"%PDF"
