"""The grades flow in a real browser: the professor enters grades with the keyboard alone and
submits; the registrar finalizes; the student sees the grades and the GPA."""
from playwright.sync_api import expect

from richwell.extensions import db
from richwell.models import Role
from tests.factories import DEFAULT_PASSWORD, add_to_class, make_class, make_student, make_user


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login**")


def test_professor_keyboard_entry_registrar_finalizes_student_sees_gpa(page, sign_in, live_server):
    professor = make_user(Role.PROFESSOR, email="prof.e2e@richwell.edu.ph", first_name="Pedro")
    make_user(Role.REGISTRAR, email="reg.e2e@richwell.edu.ph")
    offering = make_class(professor=professor, code="IT101", title="Programming 1", units=3)
    ana = make_student(first_name="Ana", last_name="Aquino", email="ana.e2e@example.edu.ph")
    ben = make_student(program=ana.program, first_name="Ben", last_name="Bautista")
    cris = make_student(program=ana.program, first_name="Cris", last_name="Cruz")
    for student in (ana, ben, cris):
        add_to_class(offering, student)
    offering_id, ana_number = offering.id, ana.student_number
    db.session.commit()

    sign_in("prof.e2e@richwell.edu.ph", DEFAULT_PASSWORD)
    page.goto(f"/professor/classes/{offering_id}/grades")
    page.get_by_label(f"Grade for {ana.full_name}").focus()
    page.keyboard.type("1.5")                      # type-ahead picks 1.50
    page.locator("[id^=status-]").nth(0).get_by_text("Saved draft: 1.50").wait_for()
    page.keyboard.press("Tab")                     # next row
    page.keyboard.type("INC")
    page.locator("[id^=status-]").nth(1).get_by_text("Saved draft: INC").wait_for()
    page.keyboard.press("Tab")
    page.keyboard.type("2.2")                      # 2.25
    page.locator("[id^=status-]").nth(2).get_by_text("Saved draft: 2.25").wait_for()
    assert page.locator('[data-count="passed"]').inner_text() == "2"
    assert page.locator('[data-count="inc"]').inner_text() == "1"
    assert page.locator('[data-count="missing"]').inner_text() == "0"
    page.keyboard.press("Tab")                     # "Save all grades" (for no-JavaScript use)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Submit for finalization"
    page.keyboard.press("Enter")
    # The dialog says what submitting means; Cancel has the focus, the action is one Shift+Tab away.
    expect(page.get_by_role("dialog", name="Submit these grades?")).to_contain_text("no longer edit")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.get_by_text("Grades submitted for finalization").wait_for()
    _sign_out(page)

    sign_in("reg.e2e@richwell.edu.ph", DEFAULT_PASSWORD)
    page.goto("/registrar/grades")
    page.get_by_label("Finalize IT101").check()
    page.get_by_role("button", name="Finalize selected").click()
    page.get_by_role("dialog", name="Finalize these grades?").get_by_role("button", name="Finalize").click()
    page.get_by_text("Grades posted for 1 class (3 students notified)").wait_for()
    _sign_out(page)

    sign_in(ana_number, DEFAULT_PASSWORD)
    page.goto("/student/grades")
    assert page.locator("[data-cumulative-gpa]").inner_text() == "1.50"
    row = page.get_by_role("row", name="IT101")
    assert "1.50" in row.inner_text() and "Passed" in row.inner_text()
    assert "Term GPA 1.50" in page.locator("main").inner_text()
    # The grade-posted notification reached the bell.
    page.locator("#bell .badge").wait_for()
