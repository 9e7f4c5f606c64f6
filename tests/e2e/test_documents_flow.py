"""Documents in a real browser: a student asks for a certificate of enrollment; the registrar
previews and releases it from the queue; the student opens and prints it; the public verify
page says valid; the registrar revokes it and the verify page says revoked."""
from __future__ import annotations

import os

from richwell.extensions import db
from richwell.models import DocumentRelease, Role
from tests.e2e.navigation import follow
from tests.factories import DEFAULT_PASSWORD, add_to_class, make_class, make_student, make_term, make_user

SHOTS = os.environ.get("E2E_SCREENSHOTS")  # a folder to keep screenshots in, when set


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login**")


def _shot(page, name: str):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"documents-{name}.png"), full_page=True)


def test_request_release_print_verify_revoke(page, sign_in):
    make_term()
    offering = make_class(code="IT101", title="Programming 1", units=3)
    ana = make_student(program=offering.subject.program, first_name="Ana", last_name="Aquino",
                       email="ana.docs@example.edu.ph")
    add_to_class(offering, ana)
    make_user(Role.REGISTRAR, email="reg.docs@richwell.edu.ph", first_name="Rosa", last_name="Reyes")
    number = ana.student_number
    db.session.commit()

    # The student asks for a COE.
    sign_in(number, DEFAULT_PASSWORD)
    page.goto("/student/documents")
    page.get_by_label("Document", exact=True).select_option("COE")
    page.get_by_label("Purpose", exact=True).fill("Scholarship")
    page.get_by_role("button", name="Send the request").click()
    page.get_by_text("Request sent: Certificate of enrollment").wait_for()
    assert "Waiting for the registrar" in page.locator("[data-request-status=PENDING]").inner_text()
    _sign_out(page)

    # The registrar previews it from the queue, then releases it.
    sign_in("reg.docs@richwell.edu.ph", DEFAULT_PASSWORD)
    page.goto("/registrar/documents/requests")
    follow(page.get_by_role("row", name=number).get_by_role("link", name="Release…"))
    assert page.get_by_label("Document", exact=True).input_value() == "COE"
    assert page.get_by_label("Purpose", exact=True).input_value() == "Scholarship"
    page.get_by_role("button", name="Preview").click()
    page.get_by_text("Preview: every rule passed").wait_for()
    assert "officially enrolled" in page.locator(".document-preview").inner_text()
    _shot(page, "preview")
    page.get_by_role("button", name="Release", exact=True).click()
    page.get_by_text("released. The student has been notified").wait_for()
    release_number = page.locator("[data-release-number]").inner_text()
    assert release_number.startswith("COE-") and release_number.endswith("-000001")
    _sign_out(page)

    # The student opens and prints it.
    sign_in(number, DEFAULT_PASSWORD)
    page.goto("/student/documents")
    assert page.locator("[data-request-status=RELEASED]").count() == 1  # the release closed the request
    follow(page.get_by_role("link", name="Certificate of enrollment"))  # print is stubbed on that page
    page.evaluate("window.__printed = false; window.print = () => { window.__printed = true; };")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.__printed") is True
    page.emulate_media(media="print")
    _shot(page, "printed")
    page.emulate_media(media="screen")
    code = page.locator(".verification-code").inner_text()
    assert "Ana" in page.locator(".document-paper").inner_text()
    _sign_out(page)

    # Anyone checks the code.
    page.goto(f"/verify/{code}")
    verdict = page.locator(".verify-result")
    assert "Valid" in verdict.inner_text() and number in verdict.inner_text()
    _shot(page, "verify-valid")

    # The registrar revokes it; the verification now says so.
    release_id = db.session.query(DocumentRelease.id).filter_by(number=release_number).scalar()
    sign_in("reg.docs@richwell.edu.ph", DEFAULT_PASSWORD)
    page.goto(f"/registrar/documents/{release_id}")
    page.get_by_label("Reason for revoking").fill("Issued for the wrong term")
    page.get_by_role("button", name="Revoke").click()
    page.get_by_text(f"{release_number} revoked").wait_for()
    _sign_out(page)
    page.goto(f"/verify/{code}")
    verdict = page.locator(".verify-result")
    assert "Not valid" in verdict.inner_text() and "revoked" in verdict.inner_text().lower()
    assert page.locator("[data-revoked-at]").count() == 1
    _shot(page, "verify-revoked")


def test_my_documents_fit_a_phone(browser, live_server):
    make_term()
    offering = make_class(code="IT102", title="Programming 2", units=3)
    student = make_student(program=offering.subject.program, email="phone.docs@example.edu.ph")
    add_to_class(offering, student)
    registrar = make_user(Role.REGISTRAR)
    from richwell.services import documents

    tor = documents.release(registrar, student.id, kind="TOR", purpose="Employment")
    number, release_id = student.student_number, tor.id
    db.session.commit()
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Email or student number").fill(number)
        page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        for url, name in (("/student/documents", "phone-list"), (f"/student/documents/{release_id}", "phone-tor")):
            page.goto(url)
            _shot(page, name)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{url} is {width}px wide at 390px"
    finally:
        context.close()
