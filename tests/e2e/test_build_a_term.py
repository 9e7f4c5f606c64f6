"""A registrar builds a term from nothing in the browser: the term, block sections,
professors, schedule slots, and a professor conflict overridden with a reason."""
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from richwell.extensions import db
from richwell.models import AuditEntry, Role, ScheduleSlot
from richwell.services.platform import clock
from tests.e2e.navigation import follow
from tests.factories import DEFAULT_PASSWORD, make_program, make_subject, make_user


def test_a_registrar_builds_a_term_from_nothing(page, sign_in):
    program = make_program("BSIT", name="Bachelor of Science in Information Technology")
    for code, title in (("GE101", "Understanding the Self"), ("IT101", "Introduction to Computing"),
                        ("IT102", "Computer Programming 1")):
        make_subject(program, code, title=title, is_major=code.startswith("IT"))
    make_user(Role.PROFESSOR, first_name="Maria", last_name="Garcia")
    make_user(Role.PROFESSOR, first_name="Pedro", last_name="Santos")
    make_user(Role.REGISTRAR, email="registrar.e2e@richwell.edu.ph")
    today = clock.today()

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    sign_in("registrar.e2e@richwell.edu.ph", DEFAULT_PASSWORD)

    # 1. The term, made current at creation (there is none yet).
    follow(page.locator("#mainnav").get_by_role("link", name="Terms"))
    form = page.get_by_role("region", name="New term")
    form.get_by_label("Academic year").fill("2026-2027")
    form.get_by_label("Semester").select_option(label="1st semester")
    for label, offset in (("First day of the term", -7), ("Last day of the term", 130), ("Enrollment opens", -7),
                          ("Enrollment closes", 20), ("Drop deadline", 30), ("Grade-entry deadline", 125)):
        form.get_by_label(label).fill(day(offset))
    form.get_by_label("Make this the current term").check()
    form.get_by_role("button", name="Create term").click()
    expect(page.locator(".flash-success")).to_contain_text("1st semester 2026-2027 created as the current term.")

    # 2. Two block sections of first year.
    follow(page.locator("#mainnav").get_by_role("link", name="Sections"))
    block = page.get_by_role("region", name="Create block sections")
    block.get_by_label("Program").select_option(label="BSIT")
    block.get_by_label("Year level").select_option(label="Year 1")
    block.get_by_label("Number of sections").fill("2")
    block.get_by_role("button", name="Create block sections").click()
    expect(page.locator(".flash-success")).to_contain_text("Created BSIT-1A, BSIT-1B with 3 classes each.")

    # 3. Professors and slots on BSIT-1A (HTMX).
    follow(page.get_by_role("link", name="BSIT-1A"))  # its forms post by HTMX once loaded
    expect(page.locator("h1")).to_contain_text("BSIT-1A")

    def card(code):
        return page.locator(f"article[data-subject='{code}']")

    def assign(code, name):
        card(code).get_by_label("Professor", exact=True).select_option(label=name)
        card(code).get_by_role("button", name="Assign professor").click()
        expect(page.locator("#section-schedule .flash-success")).to_contain_text(f"{code}: professor {name}.")

    def place(code, weekday, start, end, room):
        slot = card(code).locator("form.slot-form")
        slot.get_by_label("Day").select_option(label=weekday)
        slot.get_by_label("Start").fill(start)
        slot.get_by_label("End").fill(end)
        slot.get_by_label("Room").fill(room)
        slot.get_by_role("button", name="Add meeting").click()

    assign("IT101", "Maria Garcia")
    place("IT101", "Monday", "08:00", "09:30", "RM 201")
    expect(page.locator("#section-schedule .flash-success")).to_contain_text("IT101: Mon 8:00 AM–9:30 AM placed.")
    assign("GE101", "Pedro Santos")
    place("GE101", "Tuesday", "08:00", "09:30", "RM 202")
    expect(page.locator("#section-schedule .flash-success")).to_contain_text("GE101: Tue 8:00 AM–9:30 AM placed.")
    assign("IT102", "Maria Garcia")

    # 4. The professor conflict: refused with the reason at the field, then overridden.
    place("IT102", "Monday", "09:00", "10:30", "RM 203")
    error = card("IT102").locator(".field-error")
    expect(error).to_contain_text("Maria Garcia already teaches IT101 in BSIT-1A on Mon 8:00 AM–9:30 AM.")
    reason = card("IT102").get_by_label("Reason to override the conflict")
    expect(reason).to_have_attribute("aria-invalid", "true")
    reason.fill("Joint laboratory session while the second IT instructor is on leave.")
    card("IT102").get_by_role("button", name="Place with override").click()
    expect(page.locator("#section-schedule .flash-success")).to_contain_text(
        "IT102: Mon 9:00 AM–10:30 AM placed over a professor conflict (override recorded).")
    expect(card("IT102").locator(".pill-warn").first).to_contain_text("Override: Joint laboratory session")
    expect(card("IT102").get_by_text("Professor conflict")).to_be_visible()
    expect(page.locator(".weekly-grid .wg-clash")).to_have_count(2)

    # 5. Maria Garcia's week through the grid tabs.
    page.locator("nav.tabs").get_by_role("link", name="Maria Garcia").click()
    expect(page.locator("#grid-panel figcaption")).to_contain_text("Maria Garcia · 1st semester 2026-2027")
    expect(page.locator("#grid-panel .wg-entry")).to_have_count(2)

    db.session.rollback()
    slots = db.session.scalars(select(ScheduleSlot).order_by(ScheduleSlot.id)).all()
    assert [s.override_reason for s in slots] == [
        None, None, "Joint laboratory session while the second IT instructor is on leave."]
    assert db.session.scalar(select(AuditEntry.reason).where(AuditEntry.action == "schedule.override")) == \
        "Joint laboratory session while the second IT instructor is on leave."
