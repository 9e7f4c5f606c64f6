"""The pages work under the Content-Security-Policy: HTMX swaps (search, payment), progress
bars sized through data-style, the print button, and not one CSP violation in the console
or in the page's securitypolicyviolation events."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from richwell.models import Role
from tests.factories import DEFAULT_PASSWORD, make_enrollment, make_student, make_user

WATCH = """window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || ''));
});"""


def test_htmx_pages_work_under_the_csp_without_a_violation(page, sign_in, live_server, tmp_path):
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.add_init_script(WATCH)
    student = make_student(first_name="Cora", last_name="Sapalaran")
    make_enrollment(student=student, commitment="1000.00")
    make_user(Role.CASHIER, email="csp.e2e@richwell.edu.ph")

    response = page.goto("/login")
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp

    sign_in("csp.e2e@richwell.edu.ph", DEFAULT_PASSWORD)
    page.keyboard.type("sapal")  # HTMX search as you type
    expect(page.locator("#search-listbox li[role=option]")).to_have_count(1)
    page.keyboard.press("Enter")  # HTMX swaps the student panel in
    page.get_by_label("Amount received (PHP)").fill("1500")
    expect(page.locator("#allocation-preview")).to_contain_text("Month 1")
    page.keyboard.press("Enter")  # HTMX posts the payment
    expect(page.locator(".recorded")).to_contain_text(re.compile(r"OR-\d{4}-\d{6}"))

    # The paid month's bar got its width from data-style, set through the CSSOM after the swap.
    bar = page.locator("#bucket-1 .progress > span").first
    expect(bar).to_have_attribute("data-style", re.compile(r"width: 100%"))
    assert page.evaluate("el => el.style.width", bar.element_handle()) == "100%"
    page.screenshot(path=str(tmp_path / "cashier-under-csp.png"), full_page=True)

    page.locator("#receipt-link").click()
    expect(page.locator("#receipt-title")).to_contain_text("Official receipt")
    page.evaluate("window.print = function () { window.__printed = true; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.__printed") is True

    violations = page.evaluate("window.__cspViolations")
    assert violations == [], violations
    csp_console = [line for line in console if "Content Security Policy" in line or "Refused to" in line]
    assert csp_console == [], csp_console
