"""The subject picker on a phone (390×844): "enroll in my block" enrolls what it can and
explains each refusal where the student is looking, the other subjects filter by code, title
and day, and nothing is wider than the screen."""
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

WAIT = 20_000


def test_enroll_in_my_block_on_a_phone(browser, live_server):
    program = make_program(code="BSIT")
    term = make_term()
    student = make_student(program=program, email="block.e2e@example.edu.ph", first_name="Rosa")
    te = make_enrollment(student, term)
    pay_first_month(te)
    block = new_section(term, program, "BSIT-1A")
    it101 = new_subject(program, "IT101", title="Programming 1")
    it102 = new_subject(program, "IT102", title="Computing Basics")
    it103 = new_subject(program, "IT103", title="Discrete Math")
    new_offering(it101, block, slots=[(0, "08:00", "09:30")])
    new_offering(it102, block, slots=[(1, "08:00", "09:30")], capacity=1, enrolled_count=1)  # full
    new_offering(it103, block, slots=[(0, "09:00", "10:30")])  # clashes with IT101
    senior = new_subject(program, "IT401", title="Capstone Project", year_level=4)
    new_offering(senior, new_section(term, program, "BSIT-4A", year_level=4), slots=[(2, "13:00", "15:00")])
    networks = new_subject(program, "IT402", title="Networks", year_level=4)
    new_offering(networks, new_section(term, program, "BSIT-4B", year_level=4), slots=[(4, "13:00", "15:00")])

    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    context.set_default_timeout(WAIT)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.goto("/login")
        page.get_by_label("Email or student number").fill(student.student_number)
        page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        page.goto("/student/subjects")
        page.wait_for_function("() => window.htmx !== undefined")
        expect(page.locator("#block-card")).to_contain_text("Your block: BSIT-1A")

        page.get_by_role("button", name="Enroll in my block").click()
        answer = page.locator("#block-result")
        expect(answer).to_contain_text("Enrolled in 1 subject", timeout=WAIT)
        expect(answer).to_contain_text("IT101 Programming 1")
        expect(answer).to_contain_text("Not enrolled in 2 subjects")
        expect(answer).to_contain_text("Section BSIT-1A is full for IT102")
        expect(answer).to_contain_text("IT103 in section BSIT-1A (Mon 9:00 AM–10:30 AM) clashes with IT101")
        # The warning is where the student looks: focused and on screen.
        warning = answer.locator(".flash-warning")
        expect(warning).to_be_focused(timeout=WAIT)
        expect(warning).to_be_in_viewport()
        expect(page.locator("#unit-counter")).to_contain_text("3 / 30", timeout=WAIT)
        expect(page.locator("#schedule-preview")).to_contain_text("IT101", timeout=WAIT)
        expect(page.locator(f"#subject-{it101.id}")).to_contain_text("Enrolled", timeout=WAIT)

        # Other offered subjects are collapsed; the filter finds them by code, title or day.
        other = page.locator("#other-subjects")
        expect(other.locator(".subject-card").first).to_be_hidden()
        other.locator("summary").click()
        page.get_by_label("Code or title").fill("capstone")
        expect(page.locator(f"#subject-{senior.id}")).to_be_visible()
        expect(page.locator(f"#subject-{networks.id}")).to_be_hidden()
        page.get_by_label("Code or title").fill("")
        page.get_by_label("Day", exact=True).select_option("Fri")
        expect(page.locator(f"#subject-{networks.id}")).to_be_visible()
        expect(page.locator(f"#subject-{senior.id}")).to_be_hidden()
        expect(page.locator("#subject-filter-count")).to_contain_text("Showing 1 of 2")

        width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], width
        if os.environ.get("RICHWELL_SCREENSHOTS"):
            page.locator("#block-result").scroll_into_view_if_needed()
            page.screenshot(path=f"{os.environ['RICHWELL_SCREENSHOTS']}/picker-block-phone.png")
            page.locator("#schedule-preview").scroll_into_view_if_needed()
            page.screenshot(path=f"{os.environ['RICHWELL_SCREENSHOTS']}/picker-week-phone.png")
    finally:
        context.close()
    assert not errors, errors
