"""In a real browser: the confirmation dialog (keyboard, consequence, token), the cashier's
reference field for cash and GCash with the record button busy while a request runs, and the
print sheets (Chromium prints the COR portrait and only the weekly grid landscape)."""
from __future__ import annotations

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from richwell.extensions import db
from richwell.models import Payment, Role, User
from tests.e2e.navigation import follow
from tests.factories import DEFAULT_PASSWORD, make_enrollment, make_student, make_user


def test_deactivating_an_account_asks_in_a_dialog_that_the_keyboard_drives(page, sign_in):
    make_user(Role.ADMIN, email="root.e2e@richwell.edu.ph")
    target = make_user(Role.CASHIER, email="gone.e2e@richwell.edu.ph", first_name="Gina", last_name="Ramos")
    sign_in("root.e2e@richwell.edu.ph", DEFAULT_PASSWORD)
    page.goto("/admin/users?q=gone.e2e")
    button = page.get_by_role("button", name="Deactivate").first
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Deactivate Gina Ramos?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("signed out everywhere")
    expect(page.locator("#confirm-dialog-cancel")).to_be_focused()  # the safe choice first
    page.keyboard.press("Escape")  # closes: nothing sent
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()
    db.session.rollback()  # a fresh snapshot of what the server wrote
    assert db.session.get(User, target.id).is_active_account

    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Shift+Tab")  # Cancel → the danger button before it
    expect(page.locator("#confirm-dialog-ok")).to_be_focused()
    expect(page.locator("#confirm-dialog-ok")).to_have_text("Deactivate Gina Ramos")
    page.keyboard.press("Enter")
    expect(page.locator("#flashes")).to_contain_text("deactivated")
    db.session.rollback()  # a fresh snapshot of what the server wrote
    assert not db.session.get(User, target.id).is_active_account


def test_asking_again_right_after_a_cancel_keeps_the_new_ask(page, sign_in):
    """The dialog's "close" event comes a task after it closes. A cancel followed at once by a
    second ask (Escape then Enter, quicker than the browser's next task) used to let that late
    event forget the second ask, so confirming it sent nothing."""
    make_user(Role.ADMIN, email="root2.e2e@richwell.edu.ph")
    target = make_user(Role.CASHIER, email="quick.e2e@richwell.edu.ph", first_name="Quin", last_name="Reyes")
    sign_in("root2.e2e@richwell.edu.ph", DEFAULT_PASSWORD)
    page.goto("/admin/users?q=quick.e2e")
    page.get_by_role("button", name="Deactivate").first.click()
    expect(page.get_by_role("dialog", name="Deactivate Quin Reyes?")).to_be_visible()
    page.evaluate("""() => {
      document.getElementById("confirm-dialog-cancel").click();
      const form = document.querySelector("form[data-confirm]");
      form.requestSubmit(form.querySelector("button[type=submit]"));
    }""")  # cancel and ask again in one task
    expect(page.get_by_role("dialog", name="Deactivate Quin Reyes?")).to_be_visible()
    follow(page.locator("#confirm-dialog-ok"))
    expect(page.locator("#flashes")).to_contain_text("deactivated")
    db.session.rollback()  # a fresh snapshot of what the server wrote
    assert not db.session.get(User, target.id).is_active_account


def test_the_reference_field_hides_for_cash_and_is_required_for_gcash(page, sign_in):
    student = make_student(first_name="Cara", last_name="Manalo")
    make_enrollment(student=student, commitment="1000.00")
    make_user(Role.CASHIER, email="ref.e2e@richwell.edu.ph")
    sign_in("ref.e2e@richwell.edu.ph", DEFAULT_PASSWORD)
    page.keyboard.type(student.student_number)
    result = page.locator("#search-listbox li[role=option]").first
    expect(result).to_contain_text("Balance")
    assert result.evaluate("e => e.getBoundingClientRect().height") < 50  # one line
    page.keyboard.press("Enter")
    reference = page.locator("#reference_number")
    method = page.get_by_label("Method")
    expect(page.get_by_label("Amount received (PHP)")).to_be_focused()
    expect(method).to_have_value("CASH")
    expect(reference).to_be_hidden()

    method.select_option("GCASH")
    expect(reference).to_be_visible()
    expect(reference).to_be_focused()
    assert reference.evaluate("e => e.required")
    page.get_by_label("Amount received (PHP)").fill("500")
    page.get_by_role("button", name=re.compile("Record payment")).click()
    # Refused at the field (the server requires it for GCash); nothing recorded.
    expect(page.locator("#reference_number-error")).to_be_visible()
    assert db.session.scalar(select(Payment)) is None

    method.select_option("CASH")
    expect(reference).to_be_hidden()
    submit = page.get_by_role("button", name=re.compile("Record payment"))
    # While the request runs the record button is disabled (no double payment by a second Enter).
    page.route("**/payments", lambda route: (page.wait_for_timeout(600), route.continue_()))
    submit.click()
    expect(submit).to_be_disabled()
    expect(page.locator(".recorded")).to_contain_text(re.compile(r"OR-\d{4}-\d{6}"))
    expect(page.get_by_role("button", name=re.compile("Record payment"))).to_be_enabled()
    db.session.rollback()  # a fresh snapshot of what the server wrote
    payment = db.session.scalar(select(Payment))
    assert payment.method == "CASH" and payment.reference_number is None
    # The counter screen is used edge to edge.
    width = page.evaluate("document.querySelector('main').getBoundingClientRect().width")
    assert width >= 1270


def _printed(page) -> PdfReader:
    return PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))


def test_the_cor_prints_portrait_and_only_the_weekly_grid_prints_landscape(page, sign_in):
    student = make_student(first_name="Dina", last_name="Santos")
    make_enrollment(student=student, commitment="1000.00")
    sign_in(student.student_number, DEFAULT_PASSWORD)
    page.goto("/student/registration")
    expect(page.locator("#cor-title")).to_be_visible()
    page.emulate_media(media="print")
    cor = _printed(page)
    box = cor.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 portrait
    assert all(float(p.mediabox.width) < float(p.mediabox.height) for p in cor.pages)
    assert "Page 1 of" in cor.pages[0].extract_text()
    page.emulate_media(media="screen")
    page.goto("/student/schedule")
    page.emulate_media(media="print")
    schedule = _printed(page)
    widths = [(float(p.mediabox.width), float(p.mediabox.height)) for p in schedule.pages]
    assert any(w > h for w, h in widths)  # the grid's page is landscape
