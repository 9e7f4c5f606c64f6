"""The counter from the keyboard alone: find the student, see where the money goes, record,
see the receipt; then the student sees the Prelim permit."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from richwell.models import Role
from tests.e2e.navigation import follow
from tests.factories import DEFAULT_PASSWORD, make_enrollment, make_student, make_user


def test_cashier_records_a_payment_from_the_keyboard_and_the_student_sees_the_permit(page, sign_in, live_server):
    make_enrollment(student=make_student(first_name="Ana", last_name="Villareal"), commitment="1000.00")
    student = make_student(first_name="Bea", last_name="Villareal")
    make_enrollment(student=student, commitment="1000.00")
    make_user(Role.CASHIER, email="till.e2e@richwell.edu.ph")

    sign_in("till.e2e@richwell.edu.ph", DEFAULT_PASSWORD)
    assert page.url == live_server + "/cashier/"
    assert page.evaluate("document.activeElement.id") == "student-search"

    page.keyboard.type("villa")
    expect(page.locator("#search-listbox li[role=option]")).to_have_count(2)
    page.keyboard.press("ArrowDown")  # Ana → Bea
    expect(page.locator("#search-listbox li.active")).to_contain_text("Bea")
    page.keyboard.press("Enter")

    amount = page.get_by_label("Amount received (PHP)")
    expect(amount).to_be_focused()
    expect(page.locator("#student-name")).to_contain_text(student.student_number)
    page.keyboard.type("1500")
    preview = page.locator("#allocation-preview")
    expect(preview).to_contain_text("Month 1: ₱\u00a01,000.00")
    expect(preview).to_contain_text("Month 2: ₱\u00a0500.00")
    expect(preview).to_contain_text("Prelim")
    page.keyboard.press("Enter")

    recorded = page.locator(".recorded")
    expect(recorded).to_contain_text(re.compile(r"OR-\d{4}-000001"))
    expect(page.locator("#permit-state-PRELIM")).to_contain_text("Issued")
    expect(page.locator("#history-rows tr").first).to_contain_text("₱\u00a01,500.00")
    expect(page.locator("#bucket-1")).to_contain_text("Fully paid")
    expect(page.locator("#money-summary")).to_contain_text("₱\u00a04,500.00")
    expect(page.locator("#receipt-link")).to_be_focused()
    page.keyboard.press("Enter")  # follow the focused receipt link
    expect(page.locator("#receipt-title")).to_contain_text("Official receipt")
    expect(page.locator(".receipt")).to_contain_text("Bea Villareal")
    expect(page.locator(".receipt")).to_contain_text("One thousand five hundred pesos and 00/100")

    follow(page.get_by_role("button", name="Sign out"))
    sign_in(student.student_number, DEFAULT_PASSWORD)
    page.goto("/student/payments")
    expect(page.locator("#permit-PRELIM")).to_contain_text("Issued")
    expect(page.locator("#permit-MIDTERM")).to_contain_text("Locked")
    follow(page.locator("#permit-PRELIM").get_by_role("link", name="Print permit"))
    expect(page.locator("h1")).to_contain_text("Prelim examination permit")
    expect(page.locator(".permit-qr svg")).to_be_visible()


def test_enter_before_the_search_answers_still_opens_the_first_hit(page, sign_in):
    student = make_student(first_name="Cora", last_name="Quimpo")
    make_enrollment(student=student)
    make_user(Role.CASHIER, email="fast.e2e@richwell.edu.ph")
    sign_in("fast.e2e@richwell.edu.ph", DEFAULT_PASSWORD)
    page.evaluate("window.__sameTerminal = true")  # gone if the hit loads a whole new page
    page.keyboard.type(student.student_number)
    page.keyboard.press("Enter")  # no waiting for the debounced search
    expect(page.locator("#student-name")).to_contain_text("Cora Quimpo")
    assert page.evaluate("window.__sameTerminal === true"), "the hit was opened by a full page load, not HTMX"
    # The panel hands focus to the amount once it has settled; Escape then goes back to search.
    expect(page.locator("#amount")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#student-search")).to_be_focused()
